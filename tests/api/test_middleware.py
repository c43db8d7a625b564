"""The request-context middleware, driven as ASGI: metrics, ids, counting once."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from clarion.api.middleware import RequestContext
from clarion.observability.metrics import Metrics


def count(metrics: Metrics, status: str) -> float:
    value = metrics.registry.get_sample_value(
        "clarion_requests_total", {"route": "unmatched", "method": "GET", "status": status}
    )
    return value or 0.0


async def streamed(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for i in range(3):
        await send({"type": "http.response.body", "body": b"x", "more_body": i < 2})


def drive(metrics: Metrics) -> list[tuple[str, float]]:
    """Run one request; note what the counter said as each message went out."""
    seen: list[tuple[str, float]] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        seen.append((message["type"], count(metrics, "200")))

    scope: Scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    asyncio.run(RequestContext(streamed, metrics)(scope, receive, send))
    return seen


def test_a_request_is_counted_once_before_its_last_bytes_leave() -> None:
    metrics = Metrics()
    seen = drive(metrics)
    # Not before the end: a reply still streaming is not a finished request.
    assert [c for _, c in seen] == [0.0, 0.0, 0.0, 1.0]
    assert count(metrics, "200") == 1.0  # and not again when the app returns
    drive(metrics)
    assert count(metrics, "200") == 2.0

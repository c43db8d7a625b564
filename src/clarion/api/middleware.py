"""Pure ASGI middleware (BaseHTTPMiddleware would buffer streamed audio): request ids,
request metrics and one structured access-log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clarion.observability.metrics import Metrics

access_log = logging.getLogger("clarion.access")
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = header(scope, b"x-request-id")
        # A client's id is echoed only when it is harmless to put in headers and logs.
        request_id = given if given and _VALID_ID.fullmatch(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["start"] = time.perf_counter()
        record: dict[str, Any] = {}
        state["record"] = record  # filled in by the serving code (engine, voice, TTFA, ...)
        status = 500
        start: float = state["start"]
        counted = False

        def count() -> float:
            nonlocal counted
            elapsed = time.perf_counter() - start
            if not counted:
                counted = True
                route = getattr(scope.get("route"), "path", "unmatched")
                self.metrics.requests.labels(route, scope["method"], str(status)).inc()
                self.metrics.request_seconds.labels(route).observe(elapsed)
            return elapsed

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted before the last bytes go out: a client that has read a whole reply
                # and then scrapes /metrics (a benchmark, a test) finds it counted.
                count()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = count()
            route = getattr(scope.get("route"), "path", "unmatched")
            if route not in ("/health/live", "/health/ready", "/metrics"):
                access_log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "latency_s": round(elapsed, 4),
                        **record,
                    },
                )


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (the first, if repeated), decoded as HTTP says: latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None

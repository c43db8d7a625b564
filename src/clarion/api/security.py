"""API keys, per-key rate limits and the request body cap, as pure ASGI middleware.

Keys are compared in constant time and never logged; a key is identified in metrics and
rate limiting by a short hash, never by its value."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clarion.api.errors import error_response
from clarion.api.middleware import header

OPEN_PATHS = ("/health/live", "/health/ready")
# The API's description holds no secret, and Swagger UI must load it before its Authorize
# button can take a key: with keys set, /docs still opens and asks for one.
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json")


def load_keys(keys: Sequence[str], keys_file: Path | None) -> list[str]:
    """Keys from settings plus a file of one key per line ('#' comments): a Docker or
    Kubernetes secret mounted as a file works as is."""
    out = [k.strip() for k in keys if k.strip()]
    if keys_file is not None:
        for line in keys_file.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class TokenBucket:
    """``rate`` tokens per second, up to ``burst``; thread-safe."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: str) -> float:
        """0 when allowed, else seconds until a token is available."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._tokens.get(who, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._tokens[who] = (tokens - 1, now)
                return 0.0
            self._tokens[who] = (tokens, now)
            return (1 - tokens) / self.rate


class ApiKeyAuth:
    def __init__(
        self,
        app: ASGIApp,
        keys: Sequence[str],
        limiter: TokenBucket | None = None,
        on_reject: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.keys = [k.encode() for k in keys]
        self.limiter = limiter
        self.on_reject = on_reject or (lambda reason: None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.keys
            or scope["path"] in OPEN_PATHS
            or (scope["path"] in DOCS_PATHS and scope["method"] in ("GET", "HEAD"))
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        key = _bearer(scope)
        # Compare against every key, whatever matches, so timing tells nothing about which.
        matched = None
        for candidate in self.keys:
            if key is not None and hmac.compare_digest(candidate, key):
                matched = candidate
        if matched is None:
            self.on_reject("invalid_api_key")
            message = (
                "missing API key: send 'Authorization: Bearer <key>' (in /docs: the Authorize button)"
                if key is None
                else "invalid API key"
            )
            response = error_response(
                401,
                message,
                "authentication_error",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        if self.limiter is not None:
            wait = self.limiter.take(fingerprint(matched.decode()))
            if wait > 0:
                response = error_response(
                    429,
                    "rate limit for this API key exceeded; slow down",
                    "rate_limit_error",
                    code="rate_limited",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
                self.on_reject("rate_limited")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuses bodies over ``max_bytes`` with 413, by Content-Length or while reading, and
    bodies that take longer than ``timeout_s`` to arrive with 408 (closing the connection).

    The body is read here in full (it is small by definition) and replayed to the app, so
    an oversized chunked upload is refused before any parser sees it."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout_s: float,
        routes: dict[str, tuple[int, str]] | None = None,
    ) -> None:
        """``routes``: path -> (limit, setting name) for routes that take larger bodies (uploads)."""
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.routes = routes or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.routes.get(scope["path"], (self.max_bytes, "CLARION_MAX_BODY_BYTES"))
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit, setting)
            return
        parts: list[bytes] = []
        size = 0
        message: Message = {"type": "http.request", "body": b"", "more_body": True}
        try:
            async with asyncio.timeout(self.timeout_s):
                while message["type"] == "http.request" and message.get("more_body", False):
                    message = await receive()
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        break
                    parts.append(chunk)
        except TimeoutError:
            response = error_response(
                408,
                f"the request body did not arrive within {self.timeout_s:g} s (CLARION_BODY_TIMEOUT_S); "
                f"{size} bytes came",
                "invalid_request_error",
                code="request_timeout",
                headers={"Connection": "close"},  # uvicorn closes it: the rest of the body is not read
            )
            await response(scope, receive, send)
            return
        if message["type"] != "http.request":
            await self.app(scope, _replay(message, receive), send)  # client gone: let the app see it
        elif size > limit:
            await self._refuse(scope, receive, send, limit, setting)
        else:
            body: Message = {"type": "http.request", "body": b"".join(parts), "more_body": False}
            await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int, setting: str) -> None:
        response = error_response(
            413,
            f"request body is larger than {limit} bytes ({setting})",
            "invalid_request_error",
            code="body_too_large",
        )
        await response(scope, receive, send)


def _replay(first: Message, receive: Receive) -> Receive:
    """A receive that hands out ``first`` once, then defers to the real one (disconnects)."""
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _bearer(scope: Scope) -> bytes | None:
    value = header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip().encode("latin-1") if scheme.lower() == "bearer" and token.strip() else None

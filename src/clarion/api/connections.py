"""Connection-level limits that uvicorn lacks: a deadline for a request's headers and a cap on
open connections, as a subclass of uvicorn's HTTP protocol (the one its "auto" picks).

uvicorn closes idle kept-alive connections, but a client that sends its headers a byte at a
time holds its connection, and a file descriptor, for as long as it likes: each byte cancels
the keep-alive timer and nothing else is armed. Here a timer starts when a connection opens
(and at the first byte of each later request on it) and is cancelled once the request's
headers are complete; if it fires, the client gets 408 and the connection is closed. The body
has its own deadline, in the ASGI middleware that reads it (``clarion.api.security.BodyLimit``).

A refusal is closed by lingering: the answer and a FIN go out, whatever the client still sends
is read and dropped, and the socket closes when the client closes its end or after a short
linger. Closing outright while bytes keep arriving makes the kernel answer them with a reset,
and a reset can destroy the refusal before the client has read it. A lingering connection no
longer counts against the cap.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from clarion.config import Settings

log = logging.getLogger(__name__)

# How long a refused connection waits for the client to close its end. A slow client may still
# be trickling its headers; a client refused by the cap sent its request on connecting, so a
# short wait serves it and keeps a flood of refused connections from holding descriptors.
LINGER_S = 1.0
LINGER_REFUSED_S = 0.25


def _raw_response(status: str, message: str, code: str, extra: str = "") -> bytes:
    """A whole HTTP/1.1 response with an OpenAI-style error body, written straight to the
    socket: no request exists yet for the app to answer."""
    body = json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"{extra}connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def guarded_protocol(settings: Settings) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class with Clarion's header deadline and connection cap."""
    header_timeout = settings.header_timeout_s
    cap = settings.max_connections
    timed_out = _raw_response(
        "408 Request Timeout",
        f"the request's headers did not arrive within {header_timeout:g} s (CLARION_HEADER_TIMEOUT_S)",
        "request_timeout",
    )
    full = _raw_response(
        "503 Service Unavailable",
        f"the server has {cap} connections open (CLARION_MAX_CONNECTIONS); retry shortly",
        "too_many_connections",
        "retry-after: 1\r\n",
    )
    base: Any = AutoHTTPProtocol  # H11Protocol or HttpToolsProtocol: both keep `cycle` and `connections`

    class GuardedHTTPProtocol(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_timer: asyncio.TimerHandle | None = None
            self._headed: object = None  # the request cycle whose headers were complete last
            self._linger_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > cap:
                # Refused before reading anything: the cap bounds descriptors and memory.
                self._refuse(full, LINGER_REFUSED_S)
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._linger_timer is not None:
                return  # refused: the rest of what the client sends is dropped unparsed
            if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the first bytes of the next request on a kept-alive connection
            super().data_received(data)
            if self.cycle is not None and self.cycle is not self._headed:
                # A new request cycle exists only once its headers were parsed.
                self._headed = self.cycle
                self._disarm()

        def handle_websocket_upgrade(self, *args: Any) -> None:
            # The headers are complete and the socket now belongs to the WebSocket protocol:
            # a timer left armed would write a 408 into its stream and close it.
            self._disarm()
            super().handle_websocket_upgrade(*args)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._linger_timer is not None:
                self._linger_timer.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                log.info("closed a connection whose request headers took over %g s", header_timeout)
                self._refuse(timed_out, LINGER_S)

        def _refuse(self, response: bytes, linger: float) -> None:
            self._disarm()
            self.connections.discard(self)
            self.transport.write(response)
            if not self.transport.can_write_eof():
                self.transport.close()  # TLS: no half-close to linger in
                return
            self.transport.write_eof()
            self._linger_timer = self.loop.call_later(linger, self.transport.close)

    return GuardedHTTPProtocol

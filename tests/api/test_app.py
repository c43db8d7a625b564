"""The app's server settings, on a real uvicorn server (tests.server.serve uses them too)."""

from __future__ import annotations

import socket
import time

import httpx

from clarion.config import Settings
from tests.server import serve


def test_a_reused_idle_connection_survives_a_busy_loop() -> None:
    # httpx and the OpenAI SDK reuse a connection idle for up to 5 s. With uvicorn's own 5 s
    # keep-alive, a loop that an I/O callback keeps busy across that moment (here from 3.5 s to
    # 6 s of idle) runs the keep-alive timer first when it is free again, then reads the request
    # sent at 4 s: the connection is reset under that request.
    with serve(Settings(engines=["null"], default_engine="null")) as server:
        loop = server.loop
        assert loop is not None
        wake, busy = socket.socketpair()

        def hold_the_loop() -> None:
            busy.recv(1)
            time.sleep(2.5)

        with wake, busy, httpx.Client(base_url=server.url, timeout=30) as client:
            loop.call_soon_threadsafe(loop.add_reader, busy.fileno(), hold_the_loop)
            assert client.get("/health/live").status_code == 200
            time.sleep(3.5)
            wake.send(b"x")  # the loop sleeps in that callback until 6 s
            time.sleep(0.5)
            assert client.get("/health/live").status_code == 200
            loop.call_soon_threadsafe(loop.remove_reader, busy.fileno())

"""A real Clarion server on a loopback port, in a background thread of the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from clarion.api.app import create_app
from clarion.config import Settings
from clarion.engines.base import Engine
from clarion.service import Service


@dataclass
class RunningServer:
    url: str
    app: FastAPI

    @property
    def service(self) -> Service:
        service: Service = self.app.state.service
        return service


@contextmanager
def serve(
    settings: Settings,
    engines: Mapping[str, Engine] | None = None,
    ready_timeout: float = 180,
    wait_ready: bool = True,
) -> Iterator[RunningServer]:
    app = create_app(settings, engines)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name="clarion-test-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not (server.started and server.servers):
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready_timeout
        while wait_ready and httpx.get(f"{url}/health/ready").status_code != 200:
            if app.state.startup_error is not None:
                raise RuntimeError(f"server failed to start: {app.state.startup_error}")
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready in time")
            time.sleep(0.05)
        yield RunningServer(url, app)
    finally:
        server.should_exit = True
        thread.join(60)

"""A real Clarion server on a loopback port, in a background thread of the test process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx
import uvicorn
from fastapi import FastAPI

from clarion.api.app import create_app, server_options
from clarion.config import Settings
from clarion.engines.base import Engine
from clarion.service import Service


@dataclass
class RunningServer:
    url: str
    app: FastAPI
    loop: asyncio.AbstractEventLoop | None = None  # the server's event loop, to inspect its tasks

    def tasks(self) -> int:
        """Tasks alive on the server's loop now."""
        assert self.loop is not None
        return len(asyncio.run_coroutine_threadsafe(_count_tasks(), self.loop).result(10)) - 1

    @property
    def service(self) -> Service:
        service: Service = self.app.state.service
        return service


async def _count_tasks() -> set[asyncio.Task[object]]:
    return asyncio.all_tasks()


POLL_LIMITS = httpx.Limits(max_keepalive_connections=0)


def ready(probe: httpx.Client, url: str) -> bool:
    try:
        return probe.get(f"{url}/health/ready", timeout=30).status_code == 200
    except httpx.TransportError:  # not listening yet, or busy starting
        return False


@contextmanager
def serve(
    settings: Settings,
    engines: Mapping[str, Engine] | None = None,
    # Generous: warming three engines took over 180 s on a loaded CI machine. A server that
    # cannot start says so at once through startup_error; only a slow one uses this.
    ready_timeout: float = 600,
    wait_ready: bool = True,
) -> Iterator[RunningServer]:
    app = create_app(settings, engines)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **server_options(settings))
    server = uvicorn.Server(config)
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
        # One client, and no CA bundle for plain HTTP: loading one per poll holds the GIL that
        # the starting server needs. No kept-alive connection either: a poll sent just as the
        # server closes an idle one is reset (seen while a model warmed up, with a 5 s keep-alive).
        with httpx.Client(verify=False, limits=POLL_LIMITS) as probe:
            while wait_ready and not ready(probe, url):
                if app.state.startup_error is not None:
                    raise RuntimeError(f"server failed to start: {app.state.startup_error}")
                if time.monotonic() > deadline:
                    raise RuntimeError("server not ready in time")
                time.sleep(0.05)
        yield RunningServer(url, app, server.servers[0].get_loop())
    finally:
        server.should_exit = True
        thread.join(60)


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen[bytes]
    log: IO[bytes]  # stderr goes to a file: a full pipe would block the server

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def serve_process(*args: str, env: Mapping[str, str] | None = None) -> Iterator[ServerProcess]:
    """`clarion serve` as a real child process on a free loopback port, once it is ready.
    The caller stops it (e.g. with SIGTERM); it is killed if still running at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clarion.cli",
                "serve",
                "--port",
                str(port),
                "--log-level",
                "warning",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, **(env or {})},
        )
        server = ServerProcess(f"http://127.0.0.1:{port}", proc, log)
        url = server.url
        try:
            deadline = time.monotonic() + 120
            with httpx.Client(verify=False, limits=POLL_LIMITS) as probe:  # see serve
                while not ready(probe, url):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"clarion serve never became ready: {server.stderr()[-2000:]}")
                    time.sleep(0.1)
            yield server
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(30)

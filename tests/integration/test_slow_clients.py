"""Slow clients against a real `clarion serve` process, over raw sockets on loopback: headers a
byte at a time, a body that stops short, more connections than the cap. Each is cut off at its
deadline while ordinary requests are served meanwhile, and the server's file descriptors go
back to where they were. Deadlines are set small here so the file runs in seconds."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import ServerProcess, serve_process

# Deadlines of a second are judged here: beside another test file on the other core, accepting
# 40 connections alone took longer than the check allowed. scripts/test.sh runs these alone.
pytestmark = pytest.mark.timing

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.5
MAX_CONNECTIONS = 60
SLOW_CLIENTS = 40  # within the cap: the cap has its own test


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "CLARION_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "CLARION_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "CLARION_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "CLARION_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    with serve_process("-e", "null", "--default-engine", "null", env=env) as running:
        yield running


def fds(server: ServerProcess) -> int:
    return len(os.listdir(f"/proc/{server.proc.pid}/fd"))


def address(server: ServerProcess) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed (monotonic)."""
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic()


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and a Content-Length body) from a kept-alive connection."""
    sock.settimeout(3)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return data


def served_meanwhile(server: ServerProcess) -> None:
    """Ordinary requests, each on a fresh connection, answered promptly."""
    body = {"model": "null", "voice": "null", "input": "Still serving.", "response_format": "wav"}
    with httpx.Client(timeout=5, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        assert client.get(f"{server.url}/health/ready").status_code == 200
        started = time.monotonic()
        r = client.post(f"{server.url}/v1/audio/speech", json=body)
        assert r.status_code == 200, r.text
        assert time.monotonic() - started < 1.0


def settled_fds(server: ServerProcess, at_most: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while (count := fds(server)) > at_most and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_deadline(server: ServerProcess) -> None:
    served_meanwhile(server)  # warm: the first request's one-time costs are not the slow clients'
    baseline = fds(server)
    request = b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    socks = [socket.create_connection(address(server)) for _ in range(SLOW_CLIENTS)]
    opened = time.monotonic()
    stop = threading.Event()

    def trickle() -> None:  # one byte per socket every 0.1 s, never finishing the headers
        for byte in request:
            for s in socks:
                with contextlib.suppress(OSError):  # closed by the server: what is expected
                    s.send(bytes([byte]))
            if stop.wait(0.1):
                return

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        # The server holds them all before the deadline (the baseline may still count a closing
        # connection or two) ...
        held = baseline + SLOW_CLIENTS - 3
        while fds(server) < held and time.monotonic() - opened < 0.8 * HEADER_TIMEOUT_S:
            time.sleep(0.02)
        assert fds(server) >= held
        served_meanwhile(server)  # ... and serves others meanwhile
        answers = [read_until_closed(s, timeout=HEADER_TIMEOUT_S + 3) for s in socks]
    finally:
        stop.set()
        sender.join(5)
    for data, closed in answers:
        assert data.startswith(b"HTTP/1.1 408 "), data[:200]
        assert b"CLARION_HEADER_TIMEOUT_S" in data
        # Closed at the deadline, not at the end of the trickle (200 bytes: 20 s).
        assert HEADER_TIMEOUT_S - 0.1 < closed - opened < HEADER_TIMEOUT_S + 1.5
    # The server let go of every one while the clients still hold their ends.
    assert settled_fds(server, baseline + 2) <= baseline + 2
    for s in socks:
        s.close()
    served_meanwhile(server)


def test_a_client_still_sending_after_the_deadline_reads_its_408(server: ServerProcess) -> None:
    # The client reads only after the deadline and keeps sending until then: the server must
    # not answer those late bytes with a reset, which would destroy the unread 408.
    with socket.create_connection(address(server)) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        while time.monotonic() - started < HEADER_TIMEOUT_S + 0.4:
            s.sendall(b"X-Slow: a\r\n")
            time.sleep(0.02)
        data, closed = read_until_closed(s, timeout=3)
    assert data.startswith(b"HTTP/1.1 408 "), data[:200]
    assert b"CLARION_HEADER_TIMEOUT_S" in data
    assert closed - started < HEADER_TIMEOUT_S + 1.5


def test_a_body_that_stops_short_is_cut_off_at_the_deadline(server: ServerProcess) -> None:
    served_meanwhile(server)
    baseline = fds(server)
    head = (
        b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    start = b'{"model": "null", "voice": "null", "input": "xy'
    assert len(start) == 47  # of the 100,000 declared, as in the issue
    socks = [socket.create_connection(address(server)) for _ in range(10)]
    for s in socks:
        s.sendall(head + start)
    started = time.monotonic()
    served_meanwhile(server)
    for s in socks:
        data, closed = read_until_closed(s, timeout=BODY_TIMEOUT_S + 3)
        assert data.startswith(b"HTTP/1.1 408 "), data[:200]
        assert b"CLARION_BODY_TIMEOUT_S" in data and b"47 bytes came" in data
        assert BODY_TIMEOUT_S - 0.1 < closed - started < BODY_TIMEOUT_S + 1.5
    assert settled_fds(server, baseline + 2) <= baseline + 2
    for s in socks:
        s.close()


def test_connections_past_the_cap_are_refused_at_once(server: ServerProcess) -> None:
    served_meanwhile(server)
    baseline = fds(server)
    idle = [socket.create_connection(address(server)) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.2)  # the server has accepted them all
        extra = socket.create_connection(address(server))
        started = time.monotonic()
        data, closed = read_until_closed(extra, timeout=3)
        extra.close()
        assert data.startswith(b"HTTP/1.1 503 "), data[:200]
        assert b"retry-after: 1" in data and b"CLARION_MAX_CONNECTIONS" in data
        assert closed - started < 0.5  # refused at once, not at the header deadline
        assert fds(server) <= baseline + MAX_CONNECTIONS + 2  # the cap bounds descriptors
        # The idle ones go at the header deadline; then the server serves again.
        for s in idle:
            read_until_closed(s, timeout=HEADER_TIMEOUT_S + 3)
        served_meanwhile(server)
        assert settled_fds(server, baseline + 2) <= baseline + 2
    finally:
        for s in idle:
            s.close()


def test_kept_alive_connections_get_the_header_deadline_for_every_request(server: ServerProcess) -> None:
    with socket.create_connection(address(server)) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s).startswith(b"HTTP/1.1 200 ")
        # Idle between requests is the keep-alive's business (75 s): not cut at the header deadline.
        time.sleep(HEADER_TIMEOUT_S + 0.5)
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(s).startswith(b"HTTP/1.1 200 ")
        # A second request whose headers trickle is cut like a first one.
        started = time.monotonic()
        s.sendall(b"GET /health/live HTTP/1.1\r\n")
        data, closed = read_until_closed(s, timeout=HEADER_TIMEOUT_S + 3)
        assert data.startswith(b"HTTP/1.1 408 ")
        assert closed - started < HEADER_TIMEOUT_S + 1.5


def test_a_big_upload_at_a_steady_pace_is_not_cut(server: ServerProcess, tmp_path: Path) -> None:
    # A body under its deadline, sent in pieces over most of it, gets its ordinary answer.
    body = b'{"model": "null", "voice": "null", "input": "' + b"word " * 100 + b'", "response_format": "wav"}'
    head = (
        b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    with socket.create_connection(address(server)) as s:
        s.sendall(head)
        pieces = [body[i : i + 100] for i in range(0, len(body), 100)]
        for piece in pieces:
            s.sendall(piece)
            time.sleep(BODY_TIMEOUT_S * 0.6 / len(pieces))
        s.settimeout(5)
        assert s.recv(65536).startswith(b"HTTP/1.1 200 ")

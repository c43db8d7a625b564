"""`clarion bench` turns bad options and unusable targets into one clear message (exit 2)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clarion.cli import app
from tests.server import RunningServer


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["bench", "--no-progress", "--duration", "1s", *args])
    return result.exit_code, result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "soon"], "cannot read duration"),
        (["--concurrency", "0"], "concurrency levels must be >= 1"),
        (["--rate", "fast"], "--rate takes numbers"),
        (["--texts", "/nonexistent/texts.txt"], "neither a built-in set"),
        (["--lang", "fr"], "no built-in texts in language"),
        (["--format", "ogg"], "unknown --format"),
        (["--target", "piper", "--format", "mp3"], "answers WAV only"),
    ],
)
def test_bad_options(args: list[str], message: str) -> None:
    code, output = invoke(*args)
    assert code == 2 and message in output, output


def test_nothing_listening(tmp_path: Path) -> None:
    code, output = invoke("--url", f"http://127.0.0.1:{free_port()}", "--voice", "x")
    assert code == 2 and "ConnectError" in output, output
    code, output = invoke("--target", "piper", "--url", f"http://127.0.0.1:{free_port()}")
    assert code == 2 and "cannot reach piper's server" in output, output


def test_a_request_the_server_refuses(server: RunningServer) -> None:
    code, output = invoke("--url", server.url, "--model", "no-such-model", "--voice", "heart")
    assert code == 2 and "warm-up request got HTTP 404" in output and "no-such-model" in output, output

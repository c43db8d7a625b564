from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clarion.observability.logging import JsonFormatter, RepeatLimiter


def test_json_lines_carry_extra_fields() -> None:
    record = logging.makeLogRecord(
        {"name": "clarion.access", "levelname": "INFO", "msg": "request", "request_id": "r1", "status": 200}
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "request"
    assert line["logger"] == "clarion.access"
    assert line["level"] == "info"
    assert line["request_id"] == "r1" and line["status"] == 200
    assert line["ts"].endswith("Z")


def test_exceptions_are_included() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    line = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in line["exception"]


def test_tracebacks_of_a_stream_cut_off_by_a_clarion_error_are_dropped() -> None:
    import logging as std

    from clarion.errors import DeadlineExceeded
    from clarion.observability.logging import AbortedStreamFilter

    def record(exc: BaseException) -> std.LogRecord:
        return std.LogRecord(
            "uvicorn.error",
            std.ERROR,
            __file__,
            1,
            "Exception in ASGI application",
            None,
            (type(exc), exc, None),
        )

    try:
        try:
            raise DeadlineExceeded("passed its deadline after 4 of 6 segments")
        except DeadlineExceeded as cause:
            raise RuntimeError("Caught handled exception, but response already started.") from cause
    except RuntimeError as wrapped:
        cut = wrapped
    keep = ValueError("a real bug")
    f = AbortedStreamFilter()
    assert not f.filter(record(cut))
    assert f.filter(record(keep))


def test_libraries_that_print_on_their_own_are_routed_through_the_root_handler(tmp_path: Path) -> None:
    from clarion.observability.logging import adopt_library_loggers

    # As jieba does at import: its own stderr handler, and its logger set to debug.
    chatty = logging.getLogger("clarion-test-chatty-library")
    console = logging.StreamHandler(sys.stderr)
    chatty.addHandler(console)
    chatty.setLevel(logging.DEBUG)
    # A file handler somebody configured on purpose stays.
    kept = logging.getLogger("clarion-test-file-logged")
    to_file = logging.FileHandler(tmp_path / "lib.log")
    kept.addHandler(to_file)
    try:
        adopt_library_loggers()
        assert console not in chatty.handlers
        assert chatty.level == logging.NOTSET and chatty.propagate
        assert kept.handlers == [to_file]
    finally:
        chatty.handlers.clear()
        kept.removeHandler(to_file)
        to_file.close()


def test_phonemizers_word_count_warnings_are_debug_lines(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("kokoro_onnx", reason="the kokoro extra is not installed")
    from kokoro_onnx.tokenizer import Tokenizer

    from clarion.observability.logging import RoutineAsDebug, adopt_library_loggers

    tokenizer = Tokenizer()
    phonemizer = logging.getLogger("phonemizer")
    # A bulletin's sentence that espeak reads as a different number of words than it is given.
    text = "The museum opens at ten. Guided tours of the new gallery start every half hour."
    saved = phonemizer.filters[:]
    try:
        phonemizer.filters[:] = [f for f in saved if not isinstance(f, RoutineAsDebug)]
        with caplog.at_level(logging.INFO):
            tokenizer.phonemize(text)
        assert any(r.levelno == logging.WARNING and r.name == "phonemizer" for r in caplog.records)
        caplog.clear()
        adopt_library_loggers()
        adopt_library_loggers()  # each engine load calls it: still one filter
        assert sum(isinstance(f, RoutineAsDebug) for f in phonemizer.filters) == 1
        with caplog.at_level(logging.INFO):
            assert tokenizer.phonemize(text)
        assert not [r for r in caplog.records if r.name == "phonemizer"]
        with caplog.at_level(logging.DEBUG):
            tokenizer.phonemize(text)
        mismatch = [r for r in caplog.records if r.name == "phonemizer"]
        assert mismatch and all(r.levelno == logging.DEBUG for r in mismatch)
    finally:
        phonemizer.filters[:] = saved


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Callable[[], str]]]:
    """A real `clarion serve` logging JSON at info level: its URL, and its log so far."""
    from tests.server import serve_process

    env = {"CLARION_DATA_DIR": str(tmp_path_factory.mktemp("data")), "CLARION_LOG_FORMAT": "json"}
    with serve_process("-e", "null", "--default-engine", "null", "--log-level", "info", env=env) as server:
        yield server.url, server.stderr


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_a_real_servers_uvicorn_lines_carry_no_color_message(
    server_log: tuple[str, Callable[[], str]],
) -> None:
    _, log = server_log
    text = log()
    lines = json_lines(text)
    # uvicorn logs these with extra={"color_message": <the same with ANSI escapes>}.
    started = [x for x in lines if x["logger"].startswith("uvicorn") and "running on" in x["message"]]
    assert started, text[-2000:]
    assert not [x for x in lines if "color_message" in x]
    assert "\x1b[" not in text and "\\u001b[" not in text


@pytest.mark.slow
def test_a_burst_of_one_library_warning_from_a_real_server_is_cut_to_a_few_lines(
    server_log: tuple[str, Callable[[], str]],
) -> None:
    url, log = server_log
    # A part header with "[" in its name: python-multipart warns about each one it parses.
    body = b'--B\r\nContent-Disposition: form-data; name="name"\r\nX[Y: 1\r\n\r\nv\r\n--B--\r\n'
    headers = {"content-type": "multipart/form-data; boundary=B"}
    with httpx.Client() as client:
        for _ in range(30):
            assert client.post(f"{url}/v1/audio/voices", content=body, headers=headers).status_code == 400
    lines = json_lines(log())
    found = [x for x in lines if x["logger"] == "python_multipart.multipart"]
    assert len(found) == RepeatLimiter().limit, found
    assert found[0]["message"].startswith("Found invalid character")


def test_a_burst_is_counted_in_one_summary_line_when_its_interval_ends() -> None:
    limiter = RepeatLimiter(limit=3, interval_s=0.3)
    noisy, own = logging.getLogger("clarion-test-noisy"), logging.getLogger("clarion.test")
    passed: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            passed.append(record)

    handler = Keep()
    handler.addFilter(limiter)
    root = logging.getLogger()
    saved = root.handlers[:], root.level, noisy.propagate
    root.handlers[:] = [handler]  # the summary is a clarion record: it reaches the root handler
    root.setLevel(logging.INFO)
    try:
        for i in range(40):
            noisy.warning("Found invalid character %r in header at %d", i, i)
        noisy.warning("Invalid HTTP request received.")  # another template: its own allowance
        noisy.error("a failure %d", 1)  # errors always pass
        for _ in range(10):
            own.warning("clarion's own warning")  # never limited
        noisy.info("routine")  # nor info lines
        assert [r.getMessage() for r in passed if r.name == noisy.name][:3] == [
            f"Found invalid character {i} in header at {i}" for i in range(3)
        ]
        assert len([r for r in passed if r.name == noisy.name]) == 3 + 3
        assert len([r for r in passed if r.name == own.name]) == 10
        assert not [r for r in passed if getattr(r, "suppressed", None)]  # not before the interval ends
        deadline = time.monotonic() + 5
        while not [r for r in passed if getattr(r, "suppressed", None)] and time.monotonic() < deadline:
            time.sleep(0.05)
        summary = [r for r in passed if getattr(r, "suppressed", None)]
        assert len(summary) == 1
        assert summary[0].suppressed == 37  # type: ignore[attr-defined]
        assert summary[0].source_logger == noisy.name  # type: ignore[attr-defined]
        assert "37" in summary[0].getMessage() and "Found invalid character" in summary[0].getMessage()
        # A new interval starts a new allowance.
        noisy.warning("Found invalid character %r in header at %d", 0, 0)
        assert passed[-1].name == noisy.name
        line = json.loads(JsonFormatter().format(summary[0]))
        assert line["suppressed"] == 37 and line["template"].startswith("Found invalid character")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        limiter.flush(force=True)


def test_color_message_is_left_out_of_json_lines() -> None:
    record = logging.makeLogRecord(
        {
            "name": "uvicorn.error",
            "msg": "Started server process [%d]",
            "args": (7,),
            "color_message": "\x1b[36m",
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Started server process [7]" and "color_message" not in line

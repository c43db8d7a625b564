from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from clarion.observability.logging import JsonFormatter


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

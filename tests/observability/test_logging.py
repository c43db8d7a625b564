from __future__ import annotations

import json
import logging

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

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

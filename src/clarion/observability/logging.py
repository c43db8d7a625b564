"""Logging set-up: one JSON object per line (for log shippers) or plain text."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

# Attributes every LogRecord has; anything else was passed through ``extra`` and is logged. Except
# uvicorn's color_message: the same message again, with ANSI escapes for a terminal.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
log = logging.getLogger(__name__)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class AbortedStreamFilter(logging.Filter):
    """A stream that fails after its headers went out can only be cut off (the client then
    sees an incomplete body). Clarion logs that once, as a warning with the reason; the
    framework's and server's tracebacks of the same event add only noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if type(exc).__module__ == "clarion.errors":
                return False
            exc = exc.__cause__ or exc.__context__
        return True


class RoutineAsDebug(logging.Filter):
    """Lowers one library module's warnings about routine conditions to debug level.

    phonemizer warns whenever espeak's output has a different number of words than its input,
    which for Kokoro's English happens on most multi-sentence texts. Kokoro never aligns words,
    so for Clarion that is routine; as a warning it put a line in the log for most requests."""

    def __init__(self, module: str) -> None:
        super().__init__()
        self.module = module

    def filter(self, record: logging.LogRecord) -> bool:
        if record.module != self.module:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class RepeatLimiter(logging.Filter):
    """Lets one library warning (the same logger and message template, whatever its arguments)
    through ``limit`` times per ``interval_s``; the rest of that interval are counted, and one
    line at its end says how many were left out. Under fuzzing, python-multipart warned about
    each malformed part header (about 300 lines) and uvicorn about each malformed request.

    Clarion's own records and records above warning level always pass."""

    def __init__(self, limit: int = 5, interval_s: float = 60.0) -> None:
        super().__init__()
        self.limit = limit
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}  # by (logger, template)
        self._timer: threading.Timer | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or record.name.split(".")[0] == "clarion":
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window.start >= self.interval_s:
                if window is not None and window.suppressed:
                    self._summarise(key, window.suppressed)
                self._windows[key] = _Window(now)
                return True
            if window.passed < self.limit:
                window.passed += 1
                return True
            window.suppressed += 1
            self._schedule(window.start + self.interval_s - now)
            return False

    def flush(self, *, force: bool = False) -> None:
        """Summarise the windows that have ended (every window if ``force``)."""
        now = time.monotonic()
        with self._lock:
            self._timer = None
            for key, window in list(self._windows.items()):
                if force or now - window.start >= self.interval_s:
                    del self._windows[key]
                    if window.suppressed:
                        self._summarise(key, window.suppressed)
                elif window.suppressed:
                    self._schedule(window.start + self.interval_s - now)  # look again when it closes

    def _schedule(self, delay: float) -> None:
        if self._timer is None:
            self._timer = threading.Timer(max(delay, 0.0), self.flush)
            self._timer.daemon = True
            self._timer.start()

    def _summarise(self, key: tuple[str, str], suppressed: int) -> None:
        # A clarion record: it passes this filter without taking the lock held here.
        name, template = key
        log.warning(
            "suppressed %d more %s warnings like %r in %g s",
            suppressed,
            name,
            template,
            self.interval_s,
            extra={"suppressed": suppressed, "source_logger": name, "template": template},
        )


@dataclass
class _Window:
    start: float
    passed: int = 1
    suppressed: int = 0


def adopt_library_loggers() -> None:
    """Send the engines' libraries' records through the root handler only, at the root's level.

    jieba, kokoro-onnx and indextts attach their own stderr handler when imported, and
    jieba sets its logger to debug: their records then printed twice, once as plain text in the
    middle of the JSON log (which breaks log shippers that parse each line). They are imported
    when an engine loads, after logging is configured, so this runs after each engine load."""
    console = {sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__}
    for logger in list(logging.root.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger):
            continue  # a placeholder for a dotted name's parent
        # type(), not isinstance(): a FileHandler is a StreamHandler someone configured on purpose.
        own = [h for h in logger.handlers if type(h) is logging.StreamHandler and h.stream in console]
        if own:
            for handler in own:
                logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
            logger.propagate = True
    # phonemizer resets its logger's handlers and level each time it builds a backend, but keeps
    # its filters.
    phonemizer = logging.getLogger("phonemizer")
    if not any(isinstance(f, RoutineAsDebug) for f in phonemizer.filters):
        phonemizer.addFilter(RoutineAsDebug("words_mismatch"))


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = time.gmtime  # the "Z" in the timestamp promises UTC
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    handler.addFilter(RepeatLimiter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python's warnings (a library's DeprecationWarning on import) print as plain text otherwise.
    logging.captureWarnings(True)
    # uvicorn's own loggers go through the same handler, in the same format.
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    for name in ("uvicorn.error", "clarion.api.errors"):
        logging.getLogger(name).addFilter(AbortedStreamFilter())

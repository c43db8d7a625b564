"""The bench's one error type: bad options or an unusable target, said plainly."""

from __future__ import annotations


class BenchError(Exception):
    """A problem with the bench's input or target; the CLI prints it and exits with status 2."""

"""Shared by the checkpoint generators: build a directory beside its final place, then
rename it in, so an interrupted build never leaves a half-written checkpoint behind. A lock
file serialises builders: test workers running side by side (pytest -n) build it once."""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def build_once(path: Path, complete: Callable[[Path], bool], write: Callable[[Path], object]) -> None:
    """Make ``path`` with ``write`` unless ``complete(path)`` already holds. Another process
    building the same checkpoint is waited for, and its result used."""
    if complete(path):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not complete(path):  # built by whoever held the lock before us
            build_atomically(path, write)


def build_atomically(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{path.name}-build-", dir=path.parent))
    try:
        write(build)
        if path.exists():
            shutil.rmtree(path)
        build.rename(path)
    finally:
        if build.exists():
            shutil.rmtree(build)

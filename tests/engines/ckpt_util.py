"""Shared by the checkpoint generators: build a directory beside its final place, then
rename it in, so an interrupted build never leaves a half-written checkpoint behind."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


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

"""A read-only view of a directory, for tests of models served from read-only mounts.

The view is a bind mount of the directory, remounted read-only, at a fresh mount point: the
loader under test runs in the test's own process (torch and the model package are imported
once per worker, not again in a child), and the original stays writable. Root only."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

can_mount = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root for a bind mount"
)


@contextmanager
def read_only_view(source: Path, mount_point: Path) -> Iterator[Path]:
    """``source`` seen read-only at ``mount_point`` (created, and left empty afterwards)."""
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "--bind", str(source), str(mount_point)], check=True, capture_output=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount_point)], check=True, capture_output=True)
        yield mount_point
    finally:
        # Lazy: a file the loader still holds open (a memory map) must not keep the mount.
        subprocess.run(["umount", "-l", str(mount_point)], check=True, capture_output=True)

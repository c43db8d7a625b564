"""Fixtures shared by the whole suite. Loaded engines are session-scoped: loading is the
slow part, and synthesis is batch-pure, so tests can share them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clarion.config import Settings
from clarion.engines.hibari import HibariEngine
from clarion.engines.kokoro import KokoroEngine
from clarion.engines.piper import PiperEngine


@pytest.fixture(scope="session")
def kokoro_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory with Kokoro pulled into it, once per test session.

    CLARION_TEST_MODELS_DIR reuses a directory across runs (scripts/test.sh sets it)."""
    pytest.importorskip("kokoro_onnx", reason="the kokoro extra is not installed")
    from clarion.models import pull_kokoro

    given = os.environ.get("CLARION_TEST_MODELS_DIR")
    models_dir = Path(given) if given else tmp_path_factory.mktemp("models")
    pull_kokoro(models_dir)
    return models_dir


@pytest.fixture(scope="session")
def hibari_engine() -> Iterator[HibariEngine]:
    engine = HibariEngine(Settings())
    engine.load("cpu", 1)
    yield engine
    engine.unload()


@pytest.fixture(scope="session")
def kokoro_engine(kokoro_models_dir: Path) -> Iterator[KokoroEngine]:
    engine = KokoroEngine(Settings(models_dir=kokoro_models_dir))
    engine.load("cpu", 1)
    yield engine
    engine.unload()


@pytest.fixture(scope="session")
def piper_engine() -> Iterator[PiperEngine]:
    pytest.importorskip("piper", reason="the piper extra is not installed")
    engine = PiperEngine(Settings())
    engine.load("cpu", 1)
    yield engine
    engine.unload()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts a tmpfs of the given size (e.g. "256k"): a disk that fills up. Needs root;
    skipped elsewhere, with the reason."""
    mounts: list[Path] = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounts)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounts.append(where)
        return where

    yield mount
    for where in mounts:
        subprocess.run(["umount", "-l", str(where)], check=False)


# -- how scripts/test.sh spreads the suite over its two workers (pytest-xdist, --dist loadfile) --

# Test files of one engine family import the same heavy packages (torch, transformers, the
# model's own) and share its generated checkpoint: one worker takes a whole family, so each
# worker process pays those imports once, not both.
FAMILIES = ("chatterbox", "chattts", "indextts")
# The longest work first, so that the short files fill in at the end instead of one worker
# finishing a long family alone (seconds per family measured by scripts/test.sh's --durations).
FIRST = ("chattts", "chatterbox", "tests/integration/test_fuzz.py", "indextts", "tests/deploy/test_docker.py")


def work_unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return next((f for f in FAMILIES if name.startswith(f"test_{f}")), path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {unit: i for i, unit in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(work_unit(item.nodeid), len(FIRST)))  # stable: else as collected


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "loadfile":
        return None  # another distribution asked for: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class FamilyScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # the collection's order, set above, not test counts
    return FamilyScheduling(config, log)

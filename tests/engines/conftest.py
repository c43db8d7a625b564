"""Loaded engines, one per test session: loading is the slow part, synthesis is batch-pure.

The Kokoro files come from the suite-wide ``kokoro_models_dir`` fixture (tests/conftest.py),
which pulls once into CLARION_TEST_MODELS_DIR or a session temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clarion.config import Settings
from clarion.engines.hibari import HibariEngine
from clarion.engines.kokoro import KokoroEngine
from clarion.engines.piper import PiperEngine


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

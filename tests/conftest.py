"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def kokoro_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models directory with Kokoro pulled into it, once per test session.

    CLARION_TEST_MODELS_DIR reuses a directory across runs (.ci/run sets it)."""
    pytest.importorskip("kokoro_onnx", reason="the kokoro extra is not installed")
    from clarion.models import pull_kokoro

    given = os.environ.get("CLARION_TEST_MODELS_DIR")
    models_dir = Path(given) if given else tmp_path_factory.mktemp("models")
    pull_kokoro(models_dir)
    return models_dir

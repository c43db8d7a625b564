"""GET/HEAD /health, the alias some health checkers expect, on a real server; and the CUDA
settings (cudnn.benchmark, CUDA_MODULE_LOADING) reaching torch, checked where a CPU can."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from clarion.config import Settings
from clarion.engines import torch_util
from tests.server import serve


def test_health_alias_answers_like_live() -> None:
    with (
        serve(Settings(engines=["null"], default_engine="null")) as running,
        httpx.Client(base_url=running.url, timeout=10) as client,
    ):
        live = client.get("/health/live")
        alias = client.get("/health")
        assert alias.status_code == live.status_code == 200
        assert alias.json() == live.json() == {"status": "ok"}
        head = client.head("/health")
        assert head.status_code == 200 and head.content == b""
        # Kept out of OpenAPI like the other HEAD routes; /health/live stays documented.
        paths = client.get("/openapi.json").json()["paths"]
        assert "/health" not in paths and "/health/live" in paths


def test_cuda_settings_are_settings() -> None:
    settings = Settings(cudnn_benchmark=True, cuda_module_loading="LAZY")
    assert settings.cudnn_benchmark is True and settings.cuda_module_loading == "LAZY"
    assert Settings().cudnn_benchmark is False and Settings().cuda_module_loading is None


@pytest.fixture
def cudnn() -> Iterator[object]:
    torch = pytest.importorskip("torch")
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = False
    yield torch.backends.cudnn
    torch.backends.cudnn.benchmark = before


def test_cudnn_benchmark_reaches_torch(cudnn: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    # Not on the CPU: a CPU engine leaves the process-wide flag alone.
    monkeypatch.setenv("CLARION_CUDNN_BENCHMARK", "true")
    torch_util.configure_cuda(torch.device("cpu"))
    assert torch.backends.cudnn.benchmark is False
    # Off unless asked, on a CUDA device too.
    monkeypatch.setenv("CLARION_CUDNN_BENCHMARK", "false")
    torch_util.configure_cuda(torch.device("cuda"))
    assert torch.backends.cudnn.benchmark is False
    # Asked through the environment (as the settings reach engine worker processes).
    monkeypatch.setenv("CLARION_CUDNN_BENCHMARK", "true")
    torch_util.configure_cuda(torch.device("cuda"))
    assert torch.backends.cudnn.benchmark is True


def test_cuda_module_loading_exported_before_cuda_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_MODULE_LOADING", raising=False)
    monkeypatch.setenv("CLARION_CUDA_MODULE_LOADING", "lazy")
    torch_util.cuda_module_loading("cpu")
    assert "CUDA_MODULE_LOADING" not in os.environ
    torch_util.cuda_module_loading("auto")
    assert os.environ["CUDA_MODULE_LOADING"] == "LAZY"
    # A value the operator exported directly wins.
    monkeypatch.setenv("CUDA_MODULE_LOADING", "EAGER")
    torch_util.cuda_module_loading("cuda")
    assert os.environ["CUDA_MODULE_LOADING"] == "EAGER"
    monkeypatch.setenv("CLARION_CUDA_MODULE_LOADING", "SOMETIMES")
    with pytest.raises(torch_util.EngineUnavailable):
        torch_util.cuda_module_loading("cuda")

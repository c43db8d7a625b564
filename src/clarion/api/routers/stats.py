"""GET /v1/stats: a small JSON view of load and latency right now (the web page's panel)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from clarion.observability.metrics import Metrics
from clarion.service import Service

router = APIRouter(tags=["monitoring"])


@router.get("/v1/stats")
async def stats(request: Request) -> dict[str, Any]:
    service: Service = request.app.state.service
    metrics: Metrics = request.app.state.metrics
    engines = {name: snap.load() for name, snap in service.scheduler_snapshots().items()}
    return {"window_s": metrics.recent.window_s, **metrics.recent.summary(), "engines": engines}

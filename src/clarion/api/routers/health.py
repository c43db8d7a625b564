"""Liveness and readiness for load balancers and Kubernetes probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clarion.service import Service

router = APIRouter(tags=["health"])


# HEAD too: load balancers probe with it. Kept out of the schema, which documents GET.
@router.get("/health/live")
@router.head("/health/live", include_in_schema=False)
# A plain /health for checkers that expect that path: the same answer as /health/live. An alias,
# so it stays out of the schema (as HEAD does), which documents each route once.
@router.get("/health", include_in_schema=False)
@router.head("/health", include_in_schema=False)
async def live(request: Request) -> JSONResponse:
    failure: BaseException | None = request.app.state.startup_error
    if failure is not None:
        return JSONResponse({"status": "failed", "error": str(failure)}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/health/ready")
@router.head("/health/ready", include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    if service.draining:
        return JSONResponse({"status": "draining"}, status_code=503)
    if not service.ready:
        state = "failed" if request.app.state.startup_error is not None else "loading"
        return JSONResponse({"status": state, "skipped": service.skipped}, status_code=503)
    down = service.engines_down()
    if down:
        # A worker process crashed or hung and is being restarted: take traffic elsewhere meanwhile.
        return JSONResponse({"status": "recovering", "engines_down": down}, status_code=503)
    return JSONResponse({"status": "ready", "engines": list(service.runtimes), "skipped": service.skipped})

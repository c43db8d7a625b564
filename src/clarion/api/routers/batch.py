"""POST /v1/audio/speech/batch and the job routes: status, download, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from clarion.api.protocol import BatchRequest
from clarion.errors import NotReady
from clarion.jobs import BatchItem, BatchJobs, BatchSpec, render_inline
from clarion.service import Service

router = APIRouter(tags=["batch"])


def batch_spec(req: BatchRequest) -> BatchSpec:
    """The wire schema's batch as the domain spec jobs work on."""
    return BatchSpec(
        model=req.model,
        voice=req.voice,
        items=tuple(BatchItem(item.input, item.id, item.voice) for item in req.items),
        response_format=req.response_format,
        speed=req.speed,
        sample_rate=req.sample_rate,
        seed=req.seed,
        extras=req.extras,
    )


def _jobs(request: Request) -> BatchJobs:
    jobs: BatchJobs = request.app.state.jobs
    return jobs


@router.post(
    "/v1/audio/speech/batch",
    responses={200: {"content": {"application/zip": {}}}, 202: {"description": "A job was created."}},
)
async def create_batch(request: Request, req: BatchRequest) -> Response:
    service: Service = request.app.state.service
    if not service.ready or service.draining:
        raise NotReady("the server is starting or draining; retry shortly", retry_after=2)
    spec = batch_spec(req)
    if len(spec.items) <= service.settings.batch_inline_max_items:
        data = await render_inline(service, spec)
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="speech.zip"'},
        )
    status = _jobs(request).create(spec)
    return JSONResponse(
        status, status_code=202, headers={"Location": f"/v1/audio/speech/batch/{status['id']}"}
    )


@router.get("/v1/audio/speech/batch/{job_id}")
async def batch_status(request: Request, job_id: str) -> dict[str, Any]:
    return _jobs(request).status(job_id)


@router.get("/v1/audio/speech/batch/{job_id}/download", response_class=FileResponse)
async def batch_download(request: Request, job_id: str) -> FileResponse:
    path = await _jobs(request).archive(job_id)
    return FileResponse(path, media_type="application/zip", filename=f"speech-{job_id}.zip")


@router.delete("/v1/audio/speech/batch/{job_id}")
async def batch_delete(request: Request, job_id: str) -> dict[str, Any]:
    await _jobs(request).delete(job_id)
    return {"id": job_id, "deleted": True}

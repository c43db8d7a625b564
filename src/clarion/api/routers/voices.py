"""Uploaded reference voices: POST /v1/audio/voices (multipart), list, get, delete.

The upload is checked (size, real format, a sandboxed decode with a time limit, rate,
channels, length) before it is stored; nothing of it reaches an engine until then."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from clarion.config import Settings
from clarion.service import Service
from clarion.voices.store import NAME_RE, RESERVED, VoiceStore, check_name
from clarion.voices.upload import check_clip

router = APIRouter(tags=["voices"])


def _any_case(word: str) -> str:
    return "^" + "".join(f"[{c.upper()}{c.lower()}]" for c in word) + "$"


# What check_name enforces, stated in the schema. It is checked by check_name alone, whose message
# says what a name may hold (pydantic's would quote the regex).
NAME_SCHEMA: dict[str, Any] = {
    "pattern": NAME_RE.pattern,
    "minLength": 1,
    "maxLength": 64,
    # The reserved path segments, in any case: the store refuses them as names.
    "not": {"anyOf": [{"pattern": _any_case(word)} for word in sorted(RESERVED)]},
}
VoiceName = Annotated[str, Path(description="An uploaded voice's id.", json_schema_extra=NAME_SCHEMA)]
# GET /v1/audio/voices/uploaded is an operation of its own, so for GET the reserved word is no
# invalid name: that path answers 200, as a schema that ruled it out would say it must not.
ReadVoiceName = Annotated[
    str,
    Path(
        description="An uploaded voice's id.",
        json_schema_extra={k: v for k, v in NAME_SCHEMA.items() if k != "not"},
    ),
]


def _store(request: Request) -> VoiceStore:
    service: Service = request.app.state.service
    return service.voice_store


@router.post("/v1/audio/voices", status_code=201)
async def upload_voice(
    request: Request,
    file: Annotated[
        UploadFile,
        File(
            description="Reference clip: 5 to 20 s of one clear speaker.",
            json_schema_extra={"minLength": 1},
        ),
    ],
    name: Annotated[str, Form(description="Voice id to create.", json_schema_extra=NAME_SCHEMA)],
    transcript: Annotated[
        str | None, Form(max_length=2000, description="What the clip says (some engines use it).")
    ] = None,
    overwrite: Annotated[bool, Form()] = False,
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    check_name(name)
    data = await file.read(settings.max_upload_bytes + 1)
    clip = await asyncio.to_thread(check_clip, data, file.filename, settings)
    voice = await asyncio.to_thread(
        _store(request).add,
        name,
        clip.samples,
        clip.sample_rate,
        transcript=transcript,
        source_format=clip.source_format,
        overwrite=overwrite,
    )
    return JSONResponse(voice.card(), status_code=201)


@router.get("/v1/audio/voices/uploaded")
async def list_uploaded(request: Request) -> dict[str, Any]:
    return {"voices": [v.card() for v in await asyncio.to_thread(_store(request).list)]}


@router.get("/v1/audio/voices/{name}")
async def get_voice(request: Request, name: ReadVoiceName) -> dict[str, Any]:
    return _store(request).get(name).card()


@router.delete("/v1/audio/voices/{name}")
async def delete_voice(request: Request, name: VoiceName) -> dict[str, Any]:
    if name in RESERVED:
        # The path is GET /v1/audio/voices/uploaded's, which has no DELETE.
        raise HTTPException(405)
    await asyncio.to_thread(_store(request).delete, name)
    return {"id": name, "deleted": True}

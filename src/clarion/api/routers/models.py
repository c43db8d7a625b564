"""GET /v1/models and GET /v1/audio/voices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from clarion.api.protocol import ModelCard, ModelList, VoiceCard, VoiceList
from clarion.runtime import EngineRuntime
from clarion.service import Service

router = APIRouter(tags=["models"])


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/v1/models")
async def list_models(request: Request) -> ModelList:
    service = _service(request)
    created = int(service.started_at)
    cards = [
        ModelCard(id=name, created=created, engine={**rt.describe(), "instructions": _instructions(rt)})
        for name, rt in service.runtimes.items()
    ]
    for alias, target in service.settings.model_aliases.items():
        if alias not in service.runtimes and (target == "auto" or target in service.runtimes):
            cards.append(ModelCard(id=alias, created=created, alias_of=target))
    return ModelList(data=cards)


def _instructions(rt: EngineRuntime) -> str:
    """What this engine does with a request's OpenAI ``instructions``."""
    target = rt.engine.capabilities.instructions_extra
    return f"used, as extras.{target}" if target else "ignored"


@router.get("/v1/audio/voices")
async def list_voices(
    request: Request,
    engine: Annotated[str | None, Query(max_length=128)] = None,
    language: Annotated[
        str | None, Query(max_length=35, description="BCP-47 tag or prefix, e.g. zh or en-GB")
    ] = None,
) -> VoiceList:
    voices = _service(request).all_voices()
    if engine:
        voices = [v for v in voices if v.engine == engine]
    if language:
        want = language.lower()
        voices = [v for v in voices if v.language.lower() == want or v.lang == want]
    return VoiceList(
        voices=[
            VoiceCard(
                id=v.id,
                name=v.id,
                engine=v.engine,
                language=v.language,
                gender=v.gender,
                licence=v.licence,
                sample_rate=v.sample_rate,
                description=v.description,
            )
            for v in voices
        ]
    )

"""The text front end over HTTP: see what an engine will actually read."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from clarion.api.protocol import LexiconResponse, NormalizeRequest, NormalizeResponse, TextSpan
from clarion.errors import InputTooLarge, ModelNotFound
from clarion.routing import reading_language
from clarion.service import Service

router = APIRouter(tags=["text"])


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.post("/v1/text/normalize")
async def normalize_text(body: NormalizeRequest, request: Request) -> NormalizeResponse:
    service = _service(request)
    cap = service.settings.max_input_chars
    if len(body.input) > cap:
        raise InputTooLarge(f"input is {len(body.input)} characters; the limit is {cap}", param="input")
    engine = service.settings.model_aliases.get(body.model, body.model) if body.model else None
    engine = None if engine == "auto" else engine
    language = body.language
    if body.voice is not None:
        # As /v1/audio/speech resolves it: aliases, uploaded and mixed voices included.
        runtime, voice = service.resolve(body.model or "auto", body.voice)
        engine, language = runtime.name, body.language or reading_language(voice)
    elif engine is not None and engine not in service.runtimes:
        raise ModelNotFound(
            f"model {body.model!r} is not loaded; valid models: {', '.join(service.runtimes)}", param="model"
        )
    result = await asyncio.to_thread(service.analyse, body.input, engine, language)
    return NormalizeResponse(
        normalized=result.text,
        language=language,
        segments=[TextSpan(text=s.text, language=s.language) for s in result.segments],
        spans=[TextSpan(text=s.text, language=s.language) for s in result.spans],
        rules=result.rules,
    )


@router.get("/v1/text/lexicon")
async def lexicon(request: Request) -> LexiconResponse:
    lex = _service(request).frontend.lexicon
    return LexiconResponse(path=str(lex.path) if lex.path else None, entries=lex.entries())

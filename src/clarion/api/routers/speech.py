"""POST /v1/audio/speech (OpenAI) and GET /v1/tts (quick use from a browser or curl)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError

from clarion.api.protocol import SpeechRequest, SpeechWithTimestamps, SpeechWordsEvent, Speed
from clarion.api.serving import SpeechServing
from clarion.audio.formats import AudioFormat

router = APIRouter(tags=["speech"])

AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {f.media_type: {} for f in AudioFormat},
        "description": "Audio in the requested format.",
    },
}


def _words_event_schema() -> dict[str, Any]:
    """SpeechWordsEvent inline: its WordTimestamp is in the components already (through
    SpeechWithTimestamps)."""
    schema = SpeechWordsEvent.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


SPEECH_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "model": SpeechWithTimestamps,  # FastAPI puts its schema under application/json
        "content": {
            **{f.media_type: {} for f in AudioFormat},
            "text/event-stream": {
                "schema": {
                    "description": "stream_format 'sse': 'data: <json>' events: speech.audio.delta "
                    "(base64 audio), speech.audio.words after each segment's audio when timestamps "
                    "is set, then speech.audio.done with usage, or error.",
                    "anyOf": [_words_event_schema(), {"type": "object"}],
                }
            },
        },
        "description": "Audio in the requested format; with timestamps (not streamed), JSON with the "
        "audio in base64 and its words; with stream_format 'sse', server-sent events.",
    },
}


def _serving(request: Request) -> SpeechServing:
    serving: SpeechServing = request.app.state.speech
    return serving


@router.post("/v1/audio/speech", response_class=Response, responses=SPEECH_RESPONSES)
async def create_speech(body: SpeechRequest, request: Request) -> Response:
    return await _serving(request).respond(request, body)


@router.get("/v1/tts", response_class=Response, responses=AUDIO_RESPONSES)
async def quick_tts(
    request: Request,
    text: Annotated[
        str, Query(min_length=1, description="Text to speak (capped, see CLARION_MAX_GET_INPUT_CHARS).")
    ],
    voice: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    model: Annotated[str, Query(min_length=1, max_length=128)] = "auto",
    format: Annotated[AudioFormat, Query()] = AudioFormat.MP3,
    speed: Annotated[Speed, Query()] = 1.0,
    stream: Annotated[bool, Query()] = True,
) -> Response:
    serving = _serving(request)
    settings = serving.settings
    if voice is None:
        voice = serving.default_voice()
    try:
        req = SpeechRequest(
            model=model, input=text, voice=voice, response_format=format, speed=speed, stream=stream
        )
    except ValidationError as e:  # query values the POST schema refuses: a 400 like any other
        raise RequestValidationError(e.errors()) from None
    limit = (settings.max_get_input_chars, "CLARION_MAX_GET_INPUT_CHARS")
    return await serving.respond(request, req, input_limit=limit)

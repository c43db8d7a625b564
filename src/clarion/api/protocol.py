"""Request and response schemas of the HTTP API (OpenAI's audio.speech plus extensions)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from clarion.audio.formats import AudioFormat

SPEED_MIN, SPEED_MAX = 0.25, 4.0


def _speed_in_range(value: object) -> object:
    # Ahead of the ge/le checks: NaN fails both, and they would name only one bound.
    try:
        speed = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value  # not a number: pydantic's own message says so
    if not SPEED_MIN <= speed <= SPEED_MAX:
        raise ValueError(f"must be a number from {SPEED_MIN:g} to {SPEED_MAX:g} (got {value!r})")
    return value


# The validator last, so that it runs first (and the bounds stay in the schema as min/max).
Speed = Annotated[float, Field(ge=SPEED_MIN, le=SPEED_MAX), BeforeValidator(_speed_in_range)]


VOICE_MAX = 128
VoiceId = Annotated[str, Field(min_length=1, max_length=VOICE_MAX)]


def _voice_in_range(value: object) -> object:
    # Ahead of the length checks, which for a union would name both members in one garbled message.
    vid = value.get("id") if isinstance(value, dict) else value
    if isinstance(vid, str) and not 1 <= len(vid) <= VOICE_MAX:
        raise ValueError(f"voice must be 1 to {VOICE_MAX} characters")
    return value


class VoiceRef(BaseModel):
    id: VoiceId


class SpeechRequest(BaseModel):
    """POST /v1/audio/speech. Fields past OpenAI's are Clarion extensions."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=128, description="An engine name or an OpenAI model alias.")
    input: str = Field(min_length=1, description="Text to speak. Long text is split, never truncated.")
    input_format: Literal["text", "ssml"] | None = Field(
        default=None,
        description="'ssml': input is SSML (speak, break, say-as, sub, prosody rate, phoneme, lang, p, s). "
        "Unset: SSML when the input starts with <speak>, else plain text.",
    )
    voice: Annotated[
        VoiceId | VoiceRef,
        Field(description="Voice id, see GET /v1/audio/voices."),
        BeforeValidator(_voice_in_range),
    ]
    response_format: AudioFormat = AudioFormat.MP3
    speed: Speed = 1.0
    instructions: str | None = Field(
        default=None,
        max_length=4096,
        description="Passed to engines that can use it (IndexTTS-2: as extras.emo_text); accepted and "
        "ignored by the others. GET /v1/models says which (engine.instructions).",
    )
    stream: bool = Field(default=False, description="Send audio as it is produced (chunked).")
    stream_format: Literal["audio", "sse"] | None = Field(
        default=None, description="'sse': base64 chunks as server-sent events; implies streaming."
    )
    sample_rate: int | None = Field(default=None, ge=8000, le=48000, description="Output rate; resampled.")
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1, description="Fix the engine's randomness.")
    timeout: float | None = Field(default=None, gt=0, description="This request's deadline in seconds.")
    extras: dict[str, Any] = Field(default_factory=dict, description="Engine-specific parameters.")
    cache: bool = Field(
        default=True,
        description="False: synthesise afresh instead of answering from the audio cache "
        "(so does the header 'Cache-Control: no-cache').",
    )
    timestamps: bool = Field(
        default=False,
        description="Word timings, from engines that give them (GET /v1/models: "
        "engine.word_timestamps; others answer 400). Not streamed: the response is JSON "
        "(SpeechWithTimestamps) instead of audio. With stream_format 'sse': a "
        "speech.audio.words event after each segment's audio. Not with plain 'stream'.",
    )

    @property
    def voice_id(self) -> str:
        return self.voice.id if isinstance(self.voice, VoiceRef) else self.voice

    @property
    def streaming(self) -> bool:
        return self.stream or self.stream_format is not None


class WordTimestamp(BaseModel):
    """One word and when it is heard, in seconds from the start of the response's audio."""

    word: str
    start: float
    end: float


class SpeechWithTimestamps(BaseModel):
    """POST /v1/audio/speech with ``timestamps: true``, not streamed: the audio and its words."""

    audio: str = Field(description="The whole audio file in response_format, base64.")
    format: AudioFormat
    sample_rate: int
    audio_seconds: float
    words: list[WordTimestamp]


class SpeechWordsEvent(BaseModel):
    """The SSE event after a segment's audio when ``timestamps`` is set (stream_format 'sse')."""

    type: Literal["speech.audio.words"] = "speech.audio.words"
    segment: int = Field(description="The segment's index in the request, from 0.")
    text: str = Field(description="The segment's text as read (normalised).")
    words: list[WordTimestamp]


class BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: str = Field(min_length=1, description="Text of this item.")
    id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="Names the item's file in the zip (default: its position).",
    )
    voice: str | None = Field(default=None, max_length=128, description="Overrides the batch's voice.")


class BatchRequest(BaseModel):
    """POST /v1/audio/speech/batch: many texts, one zip. Small batches are answered at
    once; larger ones become a job that survives restarts."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=128)
    voice: str = Field(min_length=1, max_length=128)
    response_format: AudioFormat = AudioFormat.MP3
    speed: Speed = 1.0
    sample_rate: int | None = Field(default=None, ge=8000, le=48000)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    extras: dict[str, Any] = Field(default_factory=dict)
    items: list[BatchItem] = Field(
        min_length=1,
        description="Up to CLARION_BATCH_MAX_ITEMS items. Item ids must be unique (JSON Schema cannot "
        "say that of one property across items; x-unique-property does, and a repeat is refused with "
        "code duplicate_item_id).",
        json_schema_extra={"x-unique-property": "id"},
    )

    @field_validator("items")
    @classmethod
    def _unique_ids(cls, items: list[BatchItem]) -> list[BatchItem]:
        seen: set[str] = set()
        for item in items:
            if item.id is not None and item.id in seen:
                raise PydanticCustomError(
                    "duplicate_item_id", "item ids must be unique: '{id}' repeats", {"id": item.id}
                )
            if item.id is not None:
                seen.add(item.id)
        return items


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "clarion"
    alias_of: str | None = None
    engine: dict[str, Any] | None = None


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class VoiceCard(BaseModel):
    id: str
    name: str
    engine: str
    language: str
    gender: str | None
    licence: str
    sample_rate: int
    description: str = ""


class VoiceList(BaseModel):
    voices: list[VoiceCard]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class NormalizeRequest(BaseModel):
    """POST /v1/text/normalize."""

    model_config = ConfigDict(extra="forbid")

    input: str = Field(min_length=1, description="Text to normalise.")
    model: str | None = Field(
        default=None,
        max_length=128,
        description="Apply this engine's front-end options (segment length, erhua).",
    )
    voice: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Normalise as a synthesis request to this voice would: its engine's options and its "
        "language (digits, symbols and units are read in the voice's language).",
    )
    language: Literal["zh", "en"] | None = Field(
        default=None,
        description="Read digits, symbols and units in this language (overrides the voice's). Without "
        "either, the text's own script decides.",
    )


class TextSpan(BaseModel):
    text: str
    language: str


class NormalizeResponse(BaseModel):
    normalized: str
    language: Literal["zh", "en"] | None = Field(description="The reading language applied, if any.")
    segments: list[TextSpan]
    spans: list[TextSpan]
    rules: list[str]


class LexiconResponse(BaseModel):
    path: str | None
    entries: dict[str, dict[str, str]]

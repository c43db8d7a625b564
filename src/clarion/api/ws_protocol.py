"""Messages of WS /v1/audio/speech/stream (text in, audio out, for voice agents).

Client to server, as JSON text frames: first a ``StreamSettings`` object, then any number
of ``{"type": "text", "text": ...}``, ``{"type": "flush"}``, ``{"type": "cancel"}`` and
``{"type": "close"}``.

Server to client: audio as binary frames (headerless 16-bit little-endian mono PCM at
``sample_rate``), and JSON text frames: ``ready`` (once, after the settings),
``segment.start`` and ``segment.end`` around each segment's audio (with ``timestamps``,
``segment.end`` carries the segment's ``words``), ``cancelled`` (after a
cancel), ``done`` (after a close, before the socket closes with 1000) and ``error``
(OpenAI's error body; ``fatal`` errors are followed by close code 1008 for a client error,
1011 for a server error)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from clarion.api.protocol import Speed, VoiceId

# Close codes (RFC 6455).
NORMAL = 1000
POLICY = 1008  # a client error: bad settings or message, invalid key, rate limited
SERVER_ERROR = 1011


class StreamSettings(BaseModel):
    """The first message: what every segment of the connection is read with."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["settings"] = "settings"
    model: str = Field(default="auto", min_length=1, max_length=128)
    voice: VoiceId
    response_format: Literal["pcm", "mp3", "opus", "aac"] = Field(
        default="pcm",
        description="'pcm': headerless signed 16-bit little-endian mono. 'mp3', 'opus' (Ogg) and 'aac' "
        "(ADTS): one stream per turn; the turn's last bytes follow its last segment, and the next "
        "turn (or the audio after a cancel) starts a new stream. Binary frames either way.",
    )
    sample_rate: int | None = Field(default=None, ge=8000, le=48000, description="Output rate; resampled.")
    speed: Speed = 1.0
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)
    extras: dict[str, Any] = Field(default_factory=dict)
    instructions: str | None = Field(default=None, max_length=4096)
    timeout: float | None = Field(default=None, gt=0, description="Each segment's deadline in seconds.")
    cache: bool = True
    timestamps: bool = Field(
        default=False,
        description="Word timings in segment.end ('words': word, start, end in seconds from the start of "
        "that segment's audio). Engines without them (GET /v1/models: engine.word_timestamps) refuse it.",
    )
    idle_flush_ms: float | None = Field(
        default=None,
        ge=0,
        le=60_000,
        description="Speak held text after this gap (default CLARION_WS_IDLE_FLUSH_MS).",
    )
    api_key: str | None = Field(
        default=None, max_length=1024, description="For clients that cannot send an Authorization header."
    )


class TextMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["text"]
    text: str


class ControlMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["flush", "cancel", "close"]


ClientMessage = Annotated[TextMessage | ControlMessage, Field(discriminator="type")]
CLIENT_MESSAGE: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)

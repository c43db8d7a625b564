"""The output formats Clarion can produce (the OpenAI ``response_format`` values)."""

from __future__ import annotations

import enum
import os
from pathlib import PurePath

_MEDIA_TYPES = {
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",  # Opus is always delivered in an Ogg container
    "flac": "audio/flac",
    "aac": "audio/aac",  # raw ADTS stream, not MP4
}

_EXTENSIONS = {
    ".wav": "wav",
    ".pcm": "pcm",
    ".raw": "pcm",
    ".mp3": "mp3",
    ".opus": "opus",
    ".ogg": "opus",
    ".flac": "flac",
    ".aac": "aac",
    ".adts": "aac",
}


class AudioFormat(enum.StrEnum):
    WAV = "wav"
    PCM = "pcm"  # headerless signed 16-bit little-endian mono
    MP3 = "mp3"
    OPUS = "opus"
    FLAC = "flac"
    AAC = "aac"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self.value]

    @classmethod
    def from_filename(cls, path: str | os.PathLike[str]) -> AudioFormat:
        """The format implied by a file name's extension (case-insensitive)."""
        suffix = PurePath(path).suffix.lower()
        if suffix in _EXTENSIONS:
            return cls(_EXTENSIONS[suffix])
        if suffix in (".m4a", ".mp4"):
            # An MP4 container needs a seekable output for its index; we only write ADTS.
            raise ValueError(f"{suffix} (AAC in MP4) is not supported; use .aac for an ADTS stream")
        known = ", ".join(sorted(_EXTENSIONS))
        raise ValueError(f"cannot infer an audio format from {str(path)!r}; known extensions: {known}")

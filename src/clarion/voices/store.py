"""Reference clips on disk: one directory per voice, written atomically.

Layout under ``<data_dir>/voices/``::

    <name>/reference.wav   the clip, mono 16-bit PCM at its own rate (downmixed, trimmed)
    <name>/voice.json      name, sha256 of the clip, duration, rate, created, transcript
    <name>/cache/          what engines derive from the clip (speaker embeddings), by engine

A voice is written to a temporary directory beside the others and renamed into place,
so a crash or a full disk never leaves a half-written voice behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from clarion.audio.encoders import encode
from clarion.audio.formats import AudioFormat
from clarion.errors import Conflict, InvalidRequest, NotFound, StorageFull
from clarion.types import Audio

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
RESERVED = frozenset({"uploaded"})  # path segments of the voices API


@dataclass(frozen=True, slots=True)
class StoredVoice:
    id: str
    name: str
    sha256: str
    duration_s: float
    sample_rate: int
    created: int
    transcript: str | None = None
    source_format: str | None = None

    def card(self) -> dict[str, object]:
        return asdict(self)


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name) or name.lower() in RESERVED:
        raise InvalidRequest(
            f"invalid voice name {name[:80]!r}: use 1 to 64 letters, digits, '-' or '_', starting with a "
            "letter or digit",
            param="name",
        )
    return name


class VoiceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, name: str) -> Path:
        return self.root / check_name(name)

    def exists(self, name: str) -> bool:
        return NAME_RE.fullmatch(name) is not None and (self.root / name / "voice.json").is_file()

    def get(self, name: str) -> StoredVoice:
        path = self._dir(name) / "voice.json"
        try:
            return StoredVoice(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise NotFound(f"no uploaded voice named {name!r}", param="name") from None

    def reference(self, name: str) -> Path:
        """The clip's path, for engines to load."""
        self.get(name)
        return self._dir(name) / "reference.wav"

    def cache_dir(self, name: str, engine: str) -> Path:
        """Where an engine keeps what it derives from this voice (made on demand)."""
        path = self._dir(name) / "cache" / engine
        path.mkdir(parents=True, exist_ok=True)
        return path

    def list(self) -> list[StoredVoice]:
        if not self.root.is_dir():
            return []
        out = []
        for d in sorted(self.root.iterdir()):
            if d.is_dir() and NAME_RE.fullmatch(d.name) and (d / "voice.json").is_file():
                with contextlib.suppress(ValueError, TypeError, OSError):
                    out.append(self.get(d.name))
        return out

    def add(
        self,
        name: str,
        samples: Audio,
        sample_rate: int,
        *,
        transcript: str | None = None,
        source_format: str | None = None,
        overwrite: bool = False,
    ) -> StoredVoice:
        final = self._dir(name)
        if final.exists() and not overwrite:
            raise Conflict(
                f"a voice named {name!r} exists; delete it first or upload with overwrite=true", param="name"
            )
        wav = encode(samples, sample_rate, AudioFormat.WAV)
        voice = StoredVoice(
            id=name,
            name=name,
            sha256=hashlib.sha256(wav).hexdigest(),
            duration_s=round(len(samples) / sample_rate, 3),
            sample_rate=sample_rate,
            created=int(time.time()),
            transcript=transcript,
            source_format=source_format,
        )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=self.root))
            try:
                _write(tmp / "reference.wav", wav)
                _write(tmp / "voice.json", json.dumps(voice.card(), ensure_ascii=False).encode())
                if final.exists():
                    old = final.with_name(f".{name}.old.{os.getpid()}")
                    final.rename(old)
                    tmp.rename(final)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    tmp.rename(final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError as e:
            if e.errno in (28, 122):  # ENOSPC, EDQUOT
                raise StorageFull(f"no space left for voices under {self.root}; nothing was stored") from e
            raise
        return voice

    def delete(self, name: str) -> None:
        path = self._dir(name)
        if not (path / "voice.json").is_file():
            raise NotFound(f"no uploaded voice named {name!r}", param="name")
        # Rename first so a concurrent reader never sees a half-deleted voice.
        doomed = path.with_name(f".{name}.deleted.{os.getpid()}.{time.monotonic_ns()}")
        path.rename(doomed)
        shutil.rmtree(doomed, ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def trim_silence(samples: Audio, sample_rate: int, threshold: float = 0.01) -> Audio:
    """Leading and trailing silence off (engines clone the voice, not the room tone)."""
    frame = max(1, sample_rate // 100)
    n = len(samples) // frame
    if n == 0:
        return samples
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > threshold)
    if loud.size == 0:
        return samples[:0]
    start, stop = max(0, loud[0] - 10) * frame, min(n, loud[-1] + 11) * frame
    return samples[start:stop]

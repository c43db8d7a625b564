"""What a file really is, from its first bytes (never from its name)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: str  # "wav", "flac", "ogg", "mp3", "mp4", "webm", "aiff", or a non-audio kind
    audio: bool
    demuxer: str | None = None  # FFmpeg's name, for audio

    @property
    def extensions(self) -> tuple[str, ...]:
        return _EXTENSIONS.get(self.kind, ())


_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "wav": ("wav", "wave"),
    "flac": ("flac",),
    "ogg": ("ogg", "oga", "opus"),
    "mp3": ("mp3",),
    "mp4": ("m4a", "mp4", "aac"),
    "webm": ("webm", "weba", "mka"),
    "aiff": ("aif", "aiff"),
}
AUDIO_EXTENSIONS = frozenset(e for exts in _EXTENSIONS.values() for e in exts)

# Things people (or attackers) upload instead of audio, so the error can say what it was.
_NOT_AUDIO: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "a Windows executable"),
)


def sniff(data: bytes) -> Sniffed:
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("wav", True, "wav")
    if head[:4] == b"RF64" and head[8:12] == b"WAVE":
        return Sniffed("wav", True, "wav")
    if head[:4] == b"fLaC":
        return Sniffed("flac", True, "flac")
    if head[:4] == b"OggS":
        return Sniffed("ogg", True, "ogg")
    if head[:3] == b"ID3" or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06
    ):
        # ID3 tag, or an MPEG audio frame sync with a valid layer (ADTS AAC has layer 0).
        return Sniffed("mp3", True, "mp3")
    if head[4:8] == b"ftyp":
        return Sniffed("mp4", True, "mov,mp4,m4a,3gp,3g2,mj2")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Sniffed("webm", True, "matroska,webm")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed("aiff", True, "aiff")
    for magic, what in _NOT_AUDIO:
        if head.startswith(magic):
            return Sniffed(what, False)
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<svg")):
        return Sniffed("an HTML or XML document", False)
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return Sniffed("a text file", False)
    return Sniffed("unrecognised data", False)

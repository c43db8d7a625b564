"""The audio result cache: the same request again costs no synthesis.

Keys are content addresses: a hash of everything that decides the audio (each segment's
engine, model version, voice, language, normalised text, plus speed, seed and extras;
for an uploaded voice, its clip's hash). Values are the engine's own float32 samples per
segment, before encoding, so one entry serves every format, sample rate and streaming
mode. Two tiers: an in-memory LRU with a byte cap, and an optional on-disk tier with a
byte cap (files written atomically, least recently used evicted first).
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clarion.types import Audio, WordTiming

log = logging.getLogger(__name__)

Observer = Callable[[str, str], None]  # (result: hit|miss|store|evict, tier: memory|disk)


@dataclass(frozen=True, slots=True)
class CachedChunk:
    samples: Audio
    text: str
    # Word timings, seconds from the start of this chunk; None when the request that made the
    # entry did not ask for them (a request that does then synthesises and replaces it).
    words: tuple[WordTiming, ...] | None = None


Entry = tuple[CachedChunk, ...]


def cache_key(parts: Sequence[Any]) -> str:
    """A stable hash of JSON-able parts (dict keys sorted)."""
    blob = json.dumps(list(parts), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _size(entry: Entry) -> int:
    return sum(c.samples.nbytes + len(c.text.encode()) + 48 * len(c.words or ()) for c in entry)


def _words_from_json(value: Any) -> tuple[WordTiming, ...] | None:
    if value is None:
        return None
    return tuple(WordTiming(str(w), float(s), float(e)) for w, s, e in value)


class MemoryTier:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: collections.OrderedDict[str, Entry] = collections.OrderedDict()

    def get(self, key: str) -> Entry | None:
        entry = self._items.get(key)
        if entry is not None:
            self._items.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> int:
        """Store; returns how many entries were evicted to make room."""
        size = _size(entry)
        if size > self.max_bytes:
            return 0  # larger than the whole cache: not worth evicting everything for
        if key in self._items:
            self.bytes -= _size(self._items.pop(key))
        self._items[key] = entry
        self.bytes += size
        evicted = 0
        while self.bytes > self.max_bytes:
            _, old = self._items.popitem(last=False)
            self.bytes -= _size(old)
            evicted += 1
        return evicted

    def __len__(self) -> int:
        return len(self._items)


class DiskTier:
    """One ``.npz`` file per entry; access time kept in the file's mtime for LRU eviction."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        root.mkdir(parents=True, exist_ok=True)
        self.bytes = sum(p.stat().st_size for p in root.glob("*.npz"))

    def _path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def get(self, key: str) -> Entry | None:
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as z:
                texts = json.loads(bytes(z["texts"]).decode())
                # Entries written before timings were kept have no "words": untimed.
                timed = json.loads(bytes(z["words"]).decode()) if "words" in z.files else [None] * len(texts)
                entry = tuple(
                    CachedChunk(z[f"a{i}"].astype(np.float32), t, _words_from_json(w))
                    for i, (t, w) in enumerate(zip(texts, timed, strict=True))
                )
            os.utime(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as e:  # damaged file: drop it, answer a miss
            log.warning("dropping unreadable cache file %s: %s", path.name, e)
            with contextlib.suppress(OSError):
                self.bytes -= path.stat().st_size
                path.unlink()
            return None
        return entry

    def put(self, key: str, entry: Entry) -> int:
        buf = io.BytesIO()
        arrays: dict[str, Any] = {f"a{i}": c.samples for i, c in enumerate(entry)}
        arrays["texts"] = np.frombuffer(json.dumps([c.text for c in entry]).encode(), dtype=np.uint8)
        words = [None if c.words is None else [[w.word, w.start, w.end] for w in c.words] for c in entry]
        arrays["words"] = np.frombuffer(json.dumps(words).encode(), dtype=np.uint8)
        np.savez(buf, allow_pickle=False, **arrays)
        data = buf.getvalue()
        if len(data) > self.max_bytes:
            return 0
        path = self._path(key)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            old = path.stat().st_size if path.exists() else 0
            os.replace(tmp, path)
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            log.warning("audio cache: could not write to disk (%s); serving on without it", e)
            return 0
        self.bytes += len(data) - old
        return self._evict()

    def _evict(self) -> int:
        if self.bytes <= self.max_bytes:
            return 0
        files = sorted(self.root.glob("*.npz"), key=lambda p: p.stat().st_mtime)
        evicted = 0
        for p in files:
            if self.bytes <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                size = p.stat().st_size
                p.unlink()
                self.bytes -= size
                evicted += 1
        return evicted

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*.npz"))


class AudioCache:
    def __init__(
        self,
        memory_bytes: int,
        disk_dir: Path | None = None,
        disk_bytes: int = 0,
        observe: Observer | None = None,
    ) -> None:
        self.memory = MemoryTier(memory_bytes)
        self.disk = DiskTier(disk_dir, disk_bytes) if disk_dir is not None and disk_bytes > 0 else None
        self._lock = threading.Lock()
        self._observe = observe or (lambda result, tier: None)

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self.memory.get(key)
        if entry is not None:
            self._observe("hit", "memory")
            return entry
        if self.disk is not None:
            entry = self.disk.get(key)
            if entry is not None:
                self._observe("hit", "disk")
                with self._lock:
                    self.memory.put(key, entry)  # promote
                return entry
        self._observe("miss", "memory" if self.disk is None else "disk")
        return None

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            evicted = self.memory.put(key, entry)
        self._observe("store", "memory")
        for _ in range(evicted):
            self._observe("evict", "memory")
        if self.disk is not None:
            for _ in range(self.disk.put(key, entry)):
                self._observe("evict", "disk")

    def sizes(self) -> dict[str, tuple[int, int]]:
        """Per tier: (entries, bytes)."""
        out = {"memory": (len(self.memory), self.memory.bytes)}
        if self.disk is not None:
            out["disk"] = (len(self.disk), self.disk.bytes)
        return out

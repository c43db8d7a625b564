"""An engine that streams tokens like ChatTTS, with known pieces, for the scheduler tests.

It lives in an importable module so worker processes (spawned) can load it by name."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import ClassVar

import numpy as np

from clarion.engines.base import Audio, Capabilities, Segment, Streaming
from clarion.engines.null import NullEngine

PIECE = 480  # samples per streamed piece


def pieces_for(text: str) -> int:
    """How many pieces a segment streams: one per started eight characters."""
    return len(text) // 8 + 1


class TokenEngine(NullEngine):
    """Each segment streams ``pieces_for(text)`` pieces of PIECE samples; piece k holds the
    value (k + 1) / 100, so order is visible. A segment containing 'FAIL' raises after the
    batch's first piece. ``PAUSE_S`` passes between pieces, as generation would."""

    name: ClassVar[str] = "tokens"
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en",), max_batch_size=8, batch_axis=True, streaming=Streaming.TOKEN
    )
    PAUSE_S: ClassVar[float] = 0.05

    def synthesize_stream(self, batch: Sequence[Segment]) -> Iterator[list[Audio]]:
        counts = [pieces_for(s.text) for s in batch]
        for k in range(max(counts)):
            if k == 1 and any("FAIL" in s.text for s in batch):
                raise ValueError("generation failed midway (deliberately)")
            time.sleep(self.PAUSE_S)
            yield [
                np.full(PIECE, (k + 1) / 100, np.float32) if k < n else np.zeros(0, np.float32)
                for n in counts
            ]

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        joined: list[list[Audio]] = [[] for _ in batch]
        for part in self.synthesize_stream(batch):
            for mine, piece in zip(joined, part, strict=True):
                mine.append(piece)
        return [np.concatenate(p) for p in joined]


def expected(text: str) -> Audio:
    return np.concatenate([np.full(PIECE, (k + 1) / 100, np.float32) for k in range(pieces_for(text))])

"""An engine that misbehaves on request, for the process-isolation tests.

It must live in an importable module: worker processes are spawned and import it by name."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from typing import ClassVar

from clarion.config import Settings
from clarion.engines.base import Audio, Capabilities, Segment
from clarion.engines.null import NullEngine
from tests.heap import litter


class FaultyEngine(NullEngine):
    """The null engine, except: 'CRASH' kills the process (as a segfault in native code
    would), 'HANG' never returns, 'FAIL' raises, 'SLOW' takes a second, 'LITTER' leaves 60 MiB freed
    but resident on the heap (tests.heap.litter). 'LOADFAIL' in CLARION_FAULTY_LOAD makes
    loading fail."""

    name: ClassVar[str] = "faulty"
    capabilities: ClassVar[Capabilities] = Capabilities(
        languages=("en",), max_batch_size=8, thread_safe=False
    )

    kept: ClassVar[list[int]] = []  # blocks LITTER holds on to, for the life of the process

    def load(self, device: str, threads: int) -> None:
        if os.environ.get("CLARION_FAULTY_LOAD") == "LOADFAIL":
            raise RuntimeError("weights are corrupt (deliberately)")
        super().load(device, threads)

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        for seg in batch:
            if "CRASH" in seg.text:
                os.kill(os.getpid(), signal.SIGKILL)
            if "HANG" in seg.text:
                time.sleep(3600)
            if "FAIL" in seg.text:
                raise ValueError(f"cannot read {seg.text!r}")
            if "SLOW" in seg.text:
                time.sleep(1.0)
            if "LITTER" in seg.text:
                self.kept.append(litter()[1])
        return super().synthesize(batch)


def make(settings: Settings) -> dict[str, FaultyEngine]:
    return {"faulty": FaultyEngine(settings)}

"""What Kokoro's word timings cost: the patched graph at load, the plain path, the timed path.

In one process, on the model files Clarion serves (CLARION_MODELS_DIR/kokoro), one ONNX thread:

- load: reading and patching the graph (the durations output, clarion.engines.kokoro_graph),
  a session on the shipped file (before) against one on the patched bytes (now), alternating;
  then the whole engine load;
- per sentence: kokoro_onnx's ``create`` on a session of the shipped file (before), the
  engine's ``synthesize`` on the patched graph and its ``synthesize_timed``, alternating, and
  the audio of the first two compared sample for sample.

CPU seconds (process time) are the figures to compare: on a shared machine wall-clock time
measures the neighbours. Printed: medians and the ratios now/before and timed/plain.

Usage: python benchmarks/kokoro_timed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from clarion.config import Settings
from clarion.engines.base import Segment
from clarion.engines.kokoro import KokoroEngine
from clarion.engines.kokoro_graph import with_durations_output
from clarion.engines.onnx import session
from clarion.models import KOKORO_MODEL_FILE, KOKORO_VOICES_FILE, kokoro_dir

SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "As a matter of fact, I was going to tell you about it before you left for the station this morning.",
)


def cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from kokoro_onnx import Kokoro

    settings = Settings()
    folder = kokoro_dir(settings)
    model = folder / KOKORO_MODEL_FILE

    def patched_session() -> object:
        return session(with_durations_output(model.read_bytes())[0], "cpu", 1, settings.onnx)

    patch, before, now = [], [], []
    for _ in range(args.repeats):
        patch.append(cpu(lambda: with_durations_output(model.read_bytes())))
        before.append(cpu(lambda: session(model, "cpu", 1, settings.onnx)))
        now.append(cpu(patched_session))
    print(f"read + patch the graph: {median(patch):.3f} s CPU")
    print(f"session on the shipped file: {median(before):.3f} s CPU")
    print(
        f"patch + session on the patched bytes: {median(now):.3f} s CPU ({median(now) / median(before):.2f}x)"
    )
    engine = KokoroEngine(settings)
    print(f"whole engine load: {median([cpu(lambda: engine.load('cpu', 1)) for _ in range(3)]):.3f} s CPU")

    shipped = Kokoro.from_session(session(model, "cpu", 1, settings.onnx), str(folder / KOKORO_VOICES_FILE))
    for text in SENTENCES:
        seg = Segment(text, "af_heart")
        before_fn = partial(
            shipped.create, engine._phonemes(seg), voice=engine._style(seg.voice), is_phonemes=True
        )
        plain_fn = partial(engine.synthesize, [seg])
        timed_fn = partial(engine.synthesize_timed, [seg])
        raw, ours, timed = [], [], []
        for _ in range(args.repeats):
            raw.append(cpu(before_fn))
            ours.append(cpu(plain_fn))
            timed.append(cpu(timed_fn))
        same = np.array_equal(before_fn()[0], plain_fn()[0]) and np.array_equal(
            plain_fn()[0], timed_fn()[0].samples
        )
        r, o, t = median(raw), median(ours), median(timed)
        print(
            f"{len(text)} chars: shipped graph {r:.3f} s, synthesize {o:.3f} s ({o / r:.3f}x), "
            f"synthesize_timed {t:.3f} s ({t / o:.3f}x of synthesize) CPU; same audio: {same}"
        )


if __name__ == "__main__":
    main()

"""Word-timestamp accuracy: Clarion's word start times against Whisper's.

Starts `clarion serve` for each engine in turn and sends, through the real route
(POST /v1/audio/speech with ``timestamps: true``, the JSON response, cache off):

- 50 English sentences one by one (the bench text sets, split into sentences, filled up from
  the harness's texts), at speed 1.0 and at 1.5;
- the multi-sentence texts whole, so that times after the first sentence are checked too.

Each answer's audio goes through Whisper tiny.en with word timestamps (faster-whisper, the
``quality`` extra, loaded offline as ``clarion.optimize.asr`` does). Words are paired where
both read the same word in the same place (difflib over the lower-cased word sequences);
the figure is the median absolute difference of the paired start times (target <= 80 ms).
Also printed: the mean signed difference (Clarion minus Whisper: negative means Clarion
says a word starts earlier), the 90th percentile, the share of words paired, and the median
without each clip's first word (Whisper tends to put that one at 0 s).

Usage: python benchmarks/word_timestamps.py [--engines piper,kokoro] [--conditions 1,1.5,multi]
(Kokoro needs its files: `clarion models pull kokoro`, or CLARION_MODELS_DIR pointing at
them. An engine whose /v1/models card says it gives no word timestamps is skipped, saying so.)
"""

from __future__ import annotations

import argparse
import base64
import difflib
import io
import re
import statistics
import sys
import time
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
import numpy as np

from clarion.bench.texts import BUILTIN
from clarion.text.split import split_sentences
from harness import TEXTS, server_process

VOICES = {"piper": "en_US-joe-medium", "kokoro": "af_heart"}
# Past the 49 sentences of the bench sets and the harness: one more, to make 50.
EXTRA = ["Please leave your keys at the front desk when you check out."]
TARGET_S = 0.080


def sentences() -> list[str]:
    texts = [t for size in ("short", "medium", "long") for t in BUILTIN["en"][size]] + TEXTS
    found = [s for t in texts for s in split_sentences(t, 400)]
    return (found + EXTRA)[:50]


def multi_sentence_texts() -> list[str]:
    texts = [t for size in ("medium", "long") for t in BUILTIN["en"][size]] + TEXTS
    return [t for t in texts if len(split_sentences(t, 400)) > 1]


@dataclass
class Tally:
    errors: list[float] = field(default_factory=list)  # Clarion start - Whisper start, per paired word
    later: list[float] = field(default_factory=list)  # the same, leaving out each clip's first word
    paired: int = 0
    words: int = 0
    seconds: float = 0.0

    def line(self, name: str) -> str:
        if not self.errors:
            return f"{name:<28} no words paired"
        absolute = [abs(e) for e in self.errors]
        median = statistics.median(absolute)
        p90 = float(np.percentile(absolute, 90))
        later = statistics.median([abs(e) for e in self.later]) if self.later else float("nan")
        verdict = "ok" if median <= TARGET_S else "OVER TARGET"
        return (
            f"{name:<28} median |err| {median * 1000:5.1f} ms  p90 {p90 * 1000:5.1f} ms  "
            f"bias {statistics.fmean(self.errors) * 1000:+6.1f} ms  "
            f"w/o first word {later * 1000:5.1f} ms  paired {self.paired}/{self.words}  "
            f"({self.seconds:.0f} s synthesis)  {verdict}"
        )


def normal(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def speak(url: str, engine: str, text: str, speed: float) -> tuple[np.ndarray, int, list[dict[str, object]]]:
    body = {
        "model": engine,
        "voice": VOICES[engine],
        "input": text,
        "response_format": "wav",
        "speed": speed,
        "timestamps": True,
        "cache": False,
    }
    r = httpx.post(f"{url}/v1/audio/speech", json=body, timeout=600)
    r.raise_for_status()
    answer = r.json()
    with wave.open(io.BytesIO(base64.b64decode(answer["audio"]))) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    return samples, rate, answer["words"]


def compare(
    tally: Tally, ours: Sequence[dict[str, object]], heard: Sequence[tuple[str, float, float]]
) -> None:
    mine = [normal(str(w["word"])) for w in ours]
    theirs = [w for w, _, _ in heard]
    tally.words += len(mine)
    matcher = difflib.SequenceMatcher(a=mine, b=theirs, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            i, j = block.a + k, block.b + k
            error = float(ours[i]["start"]) - heard[j][1]  # type: ignore[arg-type]
            tally.errors.append(error)
            tally.paired += 1
            if i > 0:
                tally.later.append(error)


def measure(url: str, engine: str, texts: Sequence[str], speed: float) -> Tally:
    from clarion.optimize.asr import word_times

    tally = Tally()
    for text in texts:
        start = time.perf_counter()
        samples, rate, words = speak(url, engine, text, speed)
        tally.seconds += time.perf_counter() - start
        compare(tally, words, word_times(samples, rate))
    return tally


def gives_timestamps(url: str, engine: str) -> bool:
    cards = {m["id"]: m for m in httpx.get(f"{url}/v1/models", timeout=30).json()["data"]}
    return bool(cards.get(engine, {}).get("engine", {}).get("word_timestamps"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="piper,kokoro")
    parser.add_argument("--conditions", default="1,1.5,multi", help="any of: 1, 1.5, multi")
    args = parser.parse_args()
    conditions = args.conditions.split(",")
    single, multi = sentences(), multi_sentence_texts()
    print(
        f"{len(single)} sentences; {len(multi)} multi-sentence texts "
        f"({sum(len(split_sentences(t, 400)) for t in multi)} sentences); Whisper tiny.en word timestamps"
    )
    for engine in args.engines.split(","):
        try:
            # Long texts on a busy machine: a generous deadline, so a slow answer is not a 504.
            slow = {"CLARION_REQUEST_TIMEOUT_S": "900", "CLARION_MAX_REQUEST_TIMEOUT_S": "900"}
            with server_process(engine, slow, ready_timeout=600) as (url, _):
                if not gives_timestamps(url, engine):
                    print(f"{engine}: skipped, its /v1/models card says it gives no word timestamps")
                    continue
                measure(url, engine, single[:2], 1.0)  # warm-up: Whisper's load, the first runs
                if "1" in conditions:
                    print(measure(url, engine, single, 1.0).line(f"{engine} sentences, speed 1"), flush=True)
                if "1.5" in conditions:
                    print(
                        measure(url, engine, single, 1.5).line(f"{engine} sentences, speed 1.5"), flush=True
                    )
                if "multi" in conditions:
                    print(
                        measure(url, engine, multi, 1.0).line(f"{engine} multi-sentence, speed 1"), flush=True
                    )
        except RuntimeError as e:
            print(f"{engine}: skipped, the server did not start ({e}); are its files there?")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Through the real server: a reply's short first sentence and long second one run one after
another, each on every core, instead of side by side with the long one left on one core."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import ClassVar

import httpx
import pytest

from clarion.audio.decode import decode
from clarion.config import EngineOptions, Settings
from clarion.engines.base import Audio, Segment, company_expected
from clarion.engines.null import NullEngine
from clarion.scheduler.cost import MIN_SEEN
from tests.server import serve

# Paced runs, judged by which overlapped: a busy machine must not stretch one into another.
pytestmark = pytest.mark.timing

LONG = (
    "Guided tours of the east wing leave from the main hall every half hour, and the last one "
    "sets off at four, so visitors who arrive after that can still walk through on their own."
)


class PacedNull(NullEngine):
    """Takes time in proportion to the text, 1.5x faster when no company is expected (as an
    adaptive ONNX session's every core against its single thread), and records each run:
    text, start, end and whether company was expected."""

    name: ClassVar[str] = "paced"
    PER_CHAR_S = 0.002
    # Two sentences of a length then run side by side with a clear margin (1.33x against
    # hold_pays' 5 %), so that the fits' noise over HTTP does not decide the case.
    SPEED_UP = 1.5

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.runs: list[tuple[str, float, float, bool]] = []
        self._lock = threading.Lock()

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        company = company_expected.get()
        start = time.monotonic()
        chars = sum(len(s.text) for s in batch)
        time.sleep(self.PER_CHAR_S * chars / (1.0 if company else self.SPEED_UP))
        with self._lock:
            self.runs.extend((s.text, start, time.monotonic(), company) for s in batch)
        return super().synthesize(batch)


def test_a_short_first_sentence_and_a_long_second_run_one_after_another() -> None:
    settings = Settings(
        engines=["paced"],
        default_engine="paced",
        warmup=False,
        cache_memory_mb=0,
        engine_options={"paced": EngineOptions(workers=2, max_batch_size=1)},
    )
    engine = PacedNull(settings)
    with (
        serve(settings, {"paced": engine}) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):

        def speak(text: str) -> None:
            body = {"model": "paced", "voice": "null", "input": text, "response_format": "wav"}
            response = client.post("/v1/audio/speech", json=body)
            assert response.status_code == 200, response.text
            audio, _ = decode(response.content)
            assert len(audio) > 0

        # First replies of two sentences only. Their sentences are queued together, so the
        # server must choose to run some alone to learn what that costs.
        batcher = server.app.state.service.runtimes["paced"].batcher
        for n in range(6):
            more = ", and goes on" * n
            speak(f"Reply {n} has a first sentence{more}. Reply {n} has a second sentence, as long{more}.")
        assert batcher.cost_alone.seen >= MIN_SEEN and batcher.cost_beside.seen >= MIN_SEEN
        # Then what real traffic also holds: sentences alone, of several lengths, which spread
        # the lone fit beyond the two replies it was first learned from.
        for n in range(4):
            speak(f"Sentence {n} comes alone" + ", and goes on" * 2 * n + ".")
        engine.runs.clear()

        speak(f"Hi. {LONG}")
        (hi, _, hi_end, hi_company), (long, long_start, _, long_company) = sorted(
            engine.runs, key=lambda run: run[1]
        )
        assert (hi, long) == ("Hi.", LONG)
        assert not hi_company and not long_company  # each on every core
        assert long_start >= hi_end  # one after the other

        engine.runs.clear()
        speak("The first of these two sentences is long. The second of the two is just as long.")
        (_, _, first_end, first_company), (_, second_start, _, second_company) = sorted(
            engine.runs, key=lambda run: run[1]
        )
        assert first_company and second_company and second_start < first_end  # side by side

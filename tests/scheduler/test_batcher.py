"""The dynamic batcher, driven with a small deterministic engine so timing and
batch composition can be asserted exactly."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.base import (
    Audio,
    Capabilities,
    EngineIdentity,
    SchedulingDefaults,
    Segment,
    VoiceInfo,
    company_expected,
)
from clarion.errors import DeadlineExceeded, EngineError, QueueFull, ServiceUnavailable
from clarion.scheduler.batcher import Batcher
from clarion.scheduler.cost import MIN_SEEN
from clarion.scheduler.executor import ThreadExecutor
from tests.streaming_engine import TokenEngine
from tests.streaming_engine import expected as streamed_expected


class RecordingEngine:
    """Returns, for each segment, an array whose length encodes the text, and records batches."""

    name: ClassVar[str] = "recording"
    capabilities: ClassVar[Capabilities] = Capabilities(languages=("en",), max_batch_size=64, batch_axis=True)

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()

    @classmethod
    def probe(cls, settings: object) -> str | None:
        return None

    @classmethod
    def scheduling_defaults(cls, cores: int) -> SchedulingDefaults:
        return SchedulingDefaults()

    sample_rate = 1000
    loaded = True

    def load(self, device: str, threads: int) -> None: ...
    def unload(self) -> None: ...

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("v", self.name, "en-US", "none", 1000)]

    def default_voice(self, language: str | None = None) -> str:
        return "v"

    def identity(self) -> EngineIdentity:
        return EngineIdentity.of("clarion")

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        self.gate.wait(10)
        with self.lock:
            self.batches.append([s.text for s in batch])
        if self.delay:
            time.sleep(self.delay)
        if any(s.text.startswith("FAIL") for s in batch):
            raise RuntimeError("bad input in batch")
        return [np.full(len(s.text), float(len(s.text)), np.float32) for s in batch]


def seg(text: str) -> Segment:
    return Segment(text, "v")


def make(engine: RecordingEngine, *, workers: int = 1, **kw: float) -> Batcher:
    b = Batcher("recording", ThreadExecutor(engine, workers), **kw)  # type: ignore[arg-type]
    b.start()
    return b


async def busy(engine: RecordingEngine, **kw: float) -> tuple[Batcher, asyncio.Future[Audio]]:
    """A one-worker batcher whose worker holds a segment at the engine's closed gate, so what
    is submitted next stays queued until the test opens the gate."""
    engine.gate.clear()
    b = make(engine, max_batch_size=1, **kw)
    running = b.submit(seg("running"), 10)
    await asyncio.sleep(0.05)  # taken by the worker, no longer queued
    return b, running


async def test_results_come_back_to_their_own_callers() -> None:
    engine = RecordingEngine()
    b = make(engine, workers=2, max_batch_size=4, max_wait_ms=5)
    texts = ["x" * n for n in range(1, 30)]
    futures = [b.submit(seg(t), 10) for t in texts]
    results = await asyncio.gather(*futures)
    assert [len(r) for r in results] == [len(t) for t in texts]
    await b.close()


async def test_batches_fill_up_to_max_batch_size() -> None:
    engine = RecordingEngine()
    engine.gate.clear()  # hold the worker so everything queues up first
    b = make(engine, max_batch_size=4, max_wait_ms=50)
    futures = [b.submit(seg(f"s{i}"), 10) for i in range(10)]
    await asyncio.sleep(0.05)
    engine.gate.set()
    await asyncio.gather(*futures)
    # All ten were queued before the collector first ran, so batches are as full as allowed.
    assert [len(x) for x in engine.batches] == [4, 4, 2]
    assert [t for batch in engine.batches for t in batch] == [f"s{i}" for i in range(10)]  # FIFO
    await b.close()


async def test_batch_waits_up_to_max_wait_for_company() -> None:
    engine = RecordingEngine()
    # A long wait, and a full batch of two goes at once: this machine's event loop has been
    # seen to stall 0.4 s, which a 300 ms wait would turn into two batches.
    b = make(engine, max_batch_size=2, max_wait_ms=5000)
    f1 = b.submit(seg("a"), 10)
    await asyncio.sleep(0.05)
    f2 = b.submit(seg("b"), 10)
    await asyncio.gather(f1, f2)
    assert engine.batches == [["a", "b"]]
    await b.close()


async def test_the_wait_for_company_starts_when_a_worker_comes_free() -> None:
    """A segment that queued behind a long batch has waited past max_wait by the time the
    worker is free; the next request of a client the long batch answered, sent at once, still
    joins it instead of running behind a batch of one."""
    engine = RecordingEngine()
    b = make(engine, max_batch_size=2, max_wait_ms=1000)
    engine.gate.clear()
    first = [b.submit(seg("a"), 30), b.submit(seg("a2"), 30)]  # a full batch: it goes at once
    await asyncio.sleep(0.05)
    waiting = b.submit(seg("b"), 30)
    await asyncio.sleep(1.3)  # "b" has now waited longer than max_wait
    engine.gate.set()
    await asyncio.gather(*first)
    follow_up = b.submit(seg("c"), 30)
    await asyncio.gather(waiting, follow_up)
    assert engine.batches == [["a", "a2"], ["b", "c"]]
    await b.close()


async def test_no_wait_means_no_batching_delay() -> None:
    """With max_wait 0 a lone segment goes at once: one sent just after it runs in a batch of
    its own, where the test above (a 5 s wait) puts the same two in one batch. Judged by the
    order of events on the loop, which a stalled machine delays but does not reorder."""
    engine = RecordingEngine()
    b = make(engine, max_batch_size=8, max_wait_ms=0)
    f1 = b.submit(seg("a"), 10)
    await asyncio.sleep(0.05)
    f2 = b.submit(seg("b"), 10)
    await asyncio.gather(f1, f2)
    assert engine.batches == [["a"], ["b"]]
    await b.close()


async def test_expired_segments_never_reach_the_engine() -> None:
    engine = RecordingEngine(delay=0.3)
    b = make(engine, max_batch_size=1)
    slow = b.submit(seg("first"), 10)
    doomed = b.submit(seg("late"), 0.05)
    with pytest.raises(DeadlineExceeded, match="deadline"):
        await doomed
    await slow
    await asyncio.sleep(0.05)
    assert engine.batches == [["first"]]
    assert b.stats.dropped_expired == 1
    await b.close()


async def test_full_queue_rejects_at_once_with_retry_after() -> None:
    engine = RecordingEngine()
    b, running = await busy(engine, queue_size=2)
    queued = [b.submit(seg(f"q{i}"), 10) for i in range(2)]
    with pytest.raises(QueueFull) as info:
        b.submit(seg("one too many"), 10)  # a plain call: refused in it, not after waiting for room
    assert info.value.status == 503
    assert int(info.value.headers["Retry-After"]) >= 1
    engine.gate.set()
    await asyncio.gather(running, *queued)
    await b.close()


async def test_room_for_several_segments_is_checked_at_once() -> None:
    engine = RecordingEngine()
    b, running = await busy(engine, queue_size=3)
    queued = b.submit(seg("queued"), 10)
    with pytest.raises(QueueFull):
        b.ensure_room(3)
    b.ensure_room(2)  # fits, and reserves nothing
    assert b.queue_depth == 1
    engine.gate.set()
    await asyncio.gather(running, queued)
    await b.close()


async def test_a_request_keeps_its_place_in_line_for_its_later_segments() -> None:
    """Segments queue in the order their requests began: a later segment of an older request
    goes ahead of a newer request's, so what admission control counted as ahead stays ahead."""
    engine = RecordingEngine()
    engine.gate.clear()
    b = make(engine, max_batch_size=1)
    older = time.monotonic()
    running = b.submit(seg("older request, first"), 10, order=older)
    await asyncio.sleep(0.05)  # taken by the worker, no longer queued
    newer = b.submit(seg("newer request"), 10)
    second = b.submit(seg("older request, second"), 10, order=older)
    engine.gate.set()
    await asyncio.gather(running, newer, second)
    assert engine.batches == [["older request, first"], ["older request, second"], ["newer request"]]
    await b.close()


async def test_a_cancelled_segment_taken_before_its_callback_ran_is_uncounted_once() -> None:
    """A cancelled future's callbacks run on a later turn of the loop; if the collector takes
    the item first, the queue count must still drop by exactly one."""
    engine = RecordingEngine()
    b, running = await busy(engine)
    gone = b.submit(seg("client went away"), 10)
    gone.cancel()
    assert b._pop_live() is None  # what the collector does, before the callback has run
    await asyncio.sleep(0)  # now the callback runs
    assert b.queue_depth == 0
    assert b.stats.dropped_cancelled == 1
    engine.gate.set()
    await running
    await b.close()


async def test_cancelled_segments_are_dropped_not_synthesised() -> None:
    engine = RecordingEngine()
    b, running = await busy(engine)
    gone = b.submit(seg("client went away"), 10)
    kept = b.submit(seg("kept"), 10)
    assert b.queue_depth == 2
    gone.cancel()
    await asyncio.sleep(0)
    assert b.queue_depth == 1
    engine.gate.set()
    await asyncio.gather(running, kept)
    assert ["client went away"] not in engine.batches
    assert b.stats.dropped_cancelled == 1
    await b.close()


async def test_one_bad_item_fails_only_its_own_request() -> None:
    engine = RecordingEngine()
    engine.gate.clear()
    b = make(engine, max_batch_size=8, max_wait_ms=50)
    futures = [b.submit(seg(t), 10) for t in ("good one", "FAIL here", "good two")]
    engine.gate.set()
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert isinstance(results[1], EngineError)
    assert "bad input" in str(results[1])
    assert len(results[0]) == len("good one")  # type: ignore[arg-type]
    assert len(results[2]) == len("good two")  # type: ignore[arg-type]
    await b.close()


class MeetingEngine(RecordingEngine):
    """Each batch waits at a barrier for a second batch: only batches that run side by side
    get through, and batches run one after another break the barrier."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=30)

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        self.barrier.wait()
        return super().synthesize(batch)


async def test_parallel_workers_run_batches_concurrently() -> None:
    # Judged by a meeting, not by a clock: a stalled machine delays it but cannot fake it.
    engine = MeetingEngine(parties=2)
    b = make(engine, workers=2, max_batch_size=1)
    a, c = await asyncio.gather(b.submit(seg("a"), 60), b.submit(seg("bb"), 60))
    assert (len(a), len(c)) == (1, 2)
    assert not engine.barrier.broken
    await b.close()


async def test_one_worker_runs_batches_one_at_a_time() -> None:
    # The other side of the test above: with one worker the meeting never happens.
    engine = MeetingEngine(parties=2)
    engine.barrier = threading.Barrier(2, timeout=1.0)
    b = make(engine, workers=1, max_batch_size=1)
    results = await asyncio.gather(b.submit(seg("a"), 60), b.submit(seg("bb"), 60), return_exceptions=True)
    assert all(isinstance(r, EngineError | threading.BrokenBarrierError) for r in results), results
    assert engine.barrier.broken
    await b.close()


async def test_close_fails_queued_work_with_503() -> None:
    engine = RecordingEngine()
    engine.gate.clear()
    b = make(engine, max_batch_size=1)
    running = b.submit(seg("running"), 10)
    await asyncio.sleep(0.05)
    queued = b.submit(seg("queued"), 10)
    closing = asyncio.create_task(b.close())
    await asyncio.sleep(0.05)
    with pytest.raises(ServiceUnavailable):
        await queued
    engine.gate.set()
    await running
    await closing
    with pytest.raises(ServiceUnavailable):
        b.submit(seg("after close"), 10)


class PerCharEngine(RecordingEngine):
    """Costs 2 ms per character: a long sentence holds the worker longer than a short one."""

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        time.sleep(0.002 * sum(len(s.text) for s in batch))
        return super().synthesize(batch)


async def test_the_batcher_learns_costs_from_the_batches_it_runs() -> None:
    engine = PerCharEngine()
    b = make(engine, max_batch_size=1)
    assert b.estimated_completion_s(["x"]) is None  # nothing measured yet: no guess
    await b.submit(seg("x" * 100), 10)
    learned = b.estimated_completion_s(["x" * 100])
    assert learned is not None and learned > 0  # one real run is enough to guess from
    await b.close()


async def test_admission_estimate_weighs_the_text_queued_and_asked_for() -> None:
    engine = PerCharEngine()
    b = make(engine, max_batch_size=1)
    # Costs as warm-up gives them (2 ms a character), not timed here: what is judged is how
    # the estimate adds up what is queued, running and asked for, which a stall cannot shift.
    b.seed([("x" * 50, 0.1), ("x" * 400, 0.8), ("x" * 100, 0.2)])
    short, long = b.estimated_completion_s(["x" * 10]), b.estimated_completion_s(["x" * 300])
    assert short == pytest.approx(0.02) and long == pytest.approx(0.6)  # by length, not count
    assert b.estimated_completion_s([]) == pytest.approx(0.0)  # nothing ahead
    engine.gate.clear()  # hold the worker: what is queued stays ahead
    held = [b.submit(seg("x" * 250), 10) for _ in range(4)]
    # Past the running one's 0.5 s estimate it is still owed a tenth of it: the figure holds still.
    await asyncio.sleep(0.6)
    ahead = b.estimated_completion_s([])
    assert ahead == pytest.approx(3 * 0.5 + 0.05)  # three queued, one running past its estimate
    assert b.estimated_wait_s() == pytest.approx(ahead)
    assert b.estimated_completion_s(["x" * 10]) == pytest.approx(ahead + 0.02)
    for f in held[1:]:
        f.cancel()  # callers gone: their work no longer counts
    await asyncio.sleep(0)
    assert b.estimated_completion_s([]) == pytest.approx(0.05)  # only the running one is left
    engine.gate.set()
    await held[0]
    await b.close()


async def test_streamed_pieces_reach_their_item_in_order_before_the_whole() -> None:
    engine = TokenEngine(Settings())
    b = Batcher("tokens", ThreadExecutor(engine, 1), max_batch_size=4, max_wait_ms=50)
    b.start()
    got: list[tuple[np.ndarray, bool]] = []
    text = "A sentence of some length."  # four pieces
    fut: asyncio.Future[Audio] = b.submit(seg(text), 10, on_part=lambda a: got.append((a, fut.done())))
    quiet = b.submit(seg("Others wait."), 10)  # same batch, wants no pieces
    whole, other = await asyncio.gather(fut, quiet)
    assert [round(float(a[0]), 2) for a, _ in got] == [0.01, 0.02, 0.03, 0.04]
    assert not any(done for _, done in got)  # each piece came before the result
    np.testing.assert_array_equal(np.concatenate([a for a, _ in got]), whole)
    np.testing.assert_array_equal(whole, streamed_expected(text))
    np.testing.assert_array_equal(other, streamed_expected("Others wait."))
    await b.close()


async def test_an_item_whose_audio_went_out_is_not_retried_after_a_failure() -> None:
    engine = TokenEngine(Settings())
    b = Batcher("tokens", ThreadExecutor(engine, 1), max_batch_size=4, max_wait_ms=50)
    b.start()
    got: list[np.ndarray] = []
    doomed = b.submit(seg("This one will FAIL midway."), 10, on_part=got.append)
    fine = b.submit(seg("This one is fine."), 10)  # no pieces out: retried alone, succeeds
    with pytest.raises(EngineError, match="failed midway"):
        await doomed
    assert len(await fine) > 0
    assert len(got) == 1  # the piece before the failure, and no second run's pieces
    await b.close()


class PacedEngine(RecordingEngine):
    """Takes time in proportion to the text, 1.8x faster when it runs without company expected
    (as an adaptive ONNX session's every core against its single thread), and records each
    run: text, start, end and whether company was expected. "Stalls." takes half a second
    more than its length says."""

    PER_CHAR_S = 0.002
    SPEED_UP = 1.8

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[tuple[str, float, float, bool]] = []

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        company = company_expected.get()
        start = time.monotonic()
        chars = sum(len(s.text) for s in batch)
        time.sleep(self.PER_CHAR_S * chars / (1.0 if company else self.SPEED_UP))
        if any(s.text == "Stalls." for s in batch):
            time.sleep(0.5)
        with self.lock:
            self.runs.append(("".join(s.text for s in batch), start, time.monotonic(), company))
        return [np.zeros(len(s.text), np.float32) for s in batch]

    def run(self, text: str) -> tuple[float, float, bool]:
        """(start, end, company) of the run of ``text``."""
        (found,) = [(start, end, company) for t, start, end, company in self.runs if t == text]
        return found


async def paced() -> tuple[PacedEngine, Batcher]:
    """A two-worker batcher over a PacedEngine that has seen runs alone and runs beside another."""
    engine = PacedEngine()
    b = make(engine, workers=2)
    for n in range(5):  # pairs of a length side by side, and lone sentences of several lengths
        await asyncio.gather(b.submit(seg(f"{n}" + "p" * 60), 30), b.submit(seg(f"{n}" + "q" * 60), 30))
        await b.submit(seg(f"{n}" + "r" * (20 + 20 * n)), 30)
    assert b.cost_alone.seen >= 4 and b.cost_beside.seen >= 4
    engine.runs.clear()
    return engine, b


async def behind(b: Batcher, first: str, second: str, after_s: float) -> None:
    """``second`` submitted ``after_s`` after ``first`` (which is running by then); both done."""
    running = b.submit(seg(first), 30)
    await asyncio.sleep(after_s)
    await asyncio.gather(running, b.submit(seg(second), 30))


@pytest.mark.timing  # learns from paced runs, and judges which overlapped
async def test_a_long_segment_waits_for_a_short_lone_run_and_then_takes_every_core() -> None:
    """ "Hi. <long>": the long sentence, queued while "Hi." runs alone, would run on one core
    beside it and go on alone on that core; it waits the few milliseconds and runs alone."""
    engine, b = await paced()
    long = "a" * 300  # 0.6 s beside, 0.33 alone
    await behind(b, "Hi.", long, 0.002)  # "Hi." runs, alone
    _, hi_end, hi_company = engine.run("Hi.")
    long_start, _, long_company = engine.run(long)
    assert not hi_company and not long_company  # each on every core
    assert long_start >= hi_end  # one after the other
    await b.close()


@pytest.mark.timing  # learns from paced runs, and judges which overlapped
async def test_a_segment_queued_behind_a_long_lone_run_starts_at_once() -> None:
    """Waiting for a long lone run would cost more than running beside it on one core."""
    engine, b = await paced()
    long = "x" * 500
    await behind(b, long, "Hi there.", 0.02)
    _, hi_end, hi_company = engine.run("Hi there.")
    _, long_end, _ = engine.run(long)
    assert hi_company and hi_end < long_end
    await b.close()


@pytest.mark.timing  # learns from paced runs, and judges which overlapped
async def test_a_lone_run_far_past_its_expected_time_holds_nothing_back() -> None:
    """The wait is bounded by the estimate: behind a run that stalls (a slow or stuck engine),
    the queued segment starts beside it once the run has taken twice its expected time."""
    engine, b = await paced()
    long = "a" * 300
    await behind(b, "Stalls.", long, 0.002)
    _, stall_end, _ = engine.run("Stalls.")
    long_start, _, long_company = engine.run(long)
    assert long_company and long_start < stall_end
    await b.close()


@pytest.mark.timing  # learns from paced runs, and judges which overlapped
async def test_a_short_and_a_long_segment_queued_together_run_one_after_another() -> None:
    """Queued at once with nothing running (a short reply's sentences), "Hi." takes every core
    and the long one waits for it; two of a length still share the cores from the start."""
    engine, b = await paced()
    long_a, long_b = "a" * 300, "b" * 300
    await asyncio.gather(b.submit(seg("Hi."), 30), b.submit(seg(long_a), 30))
    _, hi_end, hi_company = engine.run("Hi.")
    long_start, _, long_company = engine.run(long_a)
    assert not hi_company and not long_company
    assert long_start >= hi_end

    await asyncio.gather(b.submit(seg(long_b), 30), b.submit(seg(long_a + "."), 30))
    _, b_end, b_company = engine.run(long_b)
    a_start, _, a_company = engine.run(long_a + ".")
    assert b_company and a_company and a_start < b_end  # side by side
    await b.close()


@pytest.mark.timing  # learns from paced runs, and judges which overlapped
async def test_a_batcher_that_only_gets_segments_in_pairs_learns_what_a_lone_run_costs() -> None:
    """Every reply has two sentences, so none is ever queued alone: once runs side by side are
    timed, the next pairs run one after another on every core until lone runs are timed too;
    then the costs decide, and a short and a long sentence run one after another."""
    engine = PacedEngine()
    b = make(engine, workers=2)
    learned_after = None  # pairs until both costs were known
    for n in range(6):
        await asyncio.gather(
            b.submit(seg(f"{n}" + "p" * (30 + 15 * n)), 30), b.submit(seg(f"{n}" + "q" * (30 + 15 * n)), 30)
        )
        if learned_after is None and min(b.cost_alone.seen, b.cost_beside.seen) >= MIN_SEEN:
            learned_after = n + 1
    # Two pairs side by side, then two one after another: learning costs a few, not every one.
    assert learned_after is not None and learned_after <= MIN_SEEN
    engine.runs.clear()

    long = "a" * 300
    await asyncio.gather(b.submit(seg("Hi."), 30), b.submit(seg(long), 30))
    _, hi_end, hi_company = engine.run("Hi.")
    long_start, _, long_company = engine.run(long)
    assert not hi_company and not long_company
    assert long_start >= hi_end
    await b.close()


@pytest.mark.timing  # learns from paced runs, and judges which overlapped
async def test_a_segment_waits_for_the_last_of_a_pair_and_then_takes_every_core() -> None:
    """Two sentences run side by side and a third is queued behind them (a paragraph's last):
    when the shorter of the pair is done the other nearly is, so the third waits for it and
    runs on every core instead of starting beside it on one."""
    engine, b = await paced()
    # 0.52 s and 0.6 s side by side; the third 0.6 s beside the second, 0.33 s after it, alone
    first, second, third = "a" * 260, "b" * 300, "c" * 300
    pair = [b.submit(seg(first), 30), b.submit(seg(second), 30)]
    await asyncio.sleep(0.05)
    await asyncio.gather(*pair, b.submit(seg(third), 30))
    _, first_end, first_company = engine.run(first)
    _, second_end, second_company = engine.run(second)
    third_start, _, third_company = engine.run(third)
    assert first_company and second_company  # the pair shares the cores
    assert not third_company and third_start >= max(first_end, second_end)
    await b.close()

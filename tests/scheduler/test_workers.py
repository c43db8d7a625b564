"""Engines in worker processes: results cross the pipe intact, and a crash, a hang or a
failed load is contained, reported and recovered from."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.base import Segment, StreamsBatches, company_expected
from clarion.errors import EngineUnavailable, WorkerLost
from clarion.scheduler.workers import ProcessExecutor
from tests.company_engine import CompanyEngine
from tests.faulty_engine import FaultyEngine
from tests.heap import FREED_MB
from tests.polling import wait_until
from tests.signals import rss_mb
from tests.streaming_engine import PIECE, TokenEngine, expected

# The pool's workers are cut at 1.5 s (the hang tests): beside a model suite on the other core,
# an ordinary batch could take that long too.
pytestmark = pytest.mark.timing


def seg(text: str) -> Segment:
    return Segment(text, "null", "en")


def make_pool(
    workers: int = 1,
    timeout_s: float = 30.0,
    events: list[str] | None = None,
    settings: Settings | None = None,
) -> ProcessExecutor:
    return ProcessExecutor(
        FaultyEngine,
        settings or Settings(),
        workers=workers,
        device="cpu",
        threads=1,
        timeout_s=timeout_s,
        start_timeout_s=60,
        on_event=events.append if events is not None else None,
    )


@pytest.fixture
def pool() -> Iterator[ProcessExecutor]:
    p = make_pool(workers=2, timeout_s=1.5)
    p.start()
    yield p
    p.close()


def test_batches_run_in_other_processes_and_match_in_process_output(pool: ProcessExecutor) -> None:
    batch = [seg("Hello there."), seg("A longer sentence than that.")]
    remote = pool.submit(batch).result(10)
    local = FaultyEngine(Settings())
    local.load("cpu", 1)
    for got, want in zip(remote, local.synthesize(batch), strict=True):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
    pids = pool.pids()
    assert len(pids) == 2 and os.getpid() not in pids
    assert pool.proxy.sample_rate == local.sample_rate
    assert [v.id for v in pool.proxy.voices()] == ["null"]


def test_an_engine_exception_reaches_the_caller_and_the_worker_lives_on(pool: ProcessExecutor) -> None:
    pids = pool.pids()
    with pytest.raises(ValueError, match="cannot read"):
        pool.submit([seg("FAIL here")]).result(10)
    assert pool.submit([seg("fine")]).result(10)
    assert pool.pids() == pids


def test_a_crash_fails_only_that_batch_and_the_worker_is_restarted() -> None:
    events: list[str] = []
    pool = make_pool(workers=1, events=events)
    pool.start()
    try:
        (before,) = pool.pids()
        with pytest.raises(WorkerLost, match="killed by SIGKILL"):
            pool.submit([seg("CRASH now")]).result(10)
        # Queued meanwhile: runs on the fresh worker, not lost.
        assert len(pool.submit([seg("after the crash")]).result(30)) == 1
        (after,) = pool.pids()
        assert after != before
        assert "crash" in events and events.count("start") == 2
        assert pool.describe()["processes"][0]["restarts"] == 1
    finally:
        pool.close()


def test_a_hang_is_cut_at_the_deadline_and_the_worker_is_restarted(pool: ProcessExecutor) -> None:
    t0 = time.monotonic()
    hung = pool.submit([seg("HANG forever")])
    ok = pool.submit([seg("meanwhile, the other worker answers")])
    assert len(ok.result(10)) == 1
    assert not hung.done()  # answered by the other worker, not stuck behind the hung batch
    with pytest.raises(WorkerLost, match=r"did not answer within 1\.5 s"):
        hung.result(10)
    assert 1.4 < time.monotonic() - t0 < 10  # cut at the worker limit (1.5 s), not later
    wait_until(lambda: len(pool.pids()) == 2)
    assert pool.submit([seg("recovered")]).result(10)


def test_a_worker_killed_while_idle_is_noticed_and_replaced(pool: ProcessExecutor) -> None:
    victim = pool.pids()[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(pool.pids()) == 2 and victim not in pool.pids())
    assert sum(p["restarts"] for p in pool.describe()["processes"]) == 1


def test_unload_stops_the_processes_and_load_brings_them_back(pool: ProcessExecutor) -> None:
    pids = pool.pids()
    pool.proxy.unload()
    assert not pool.loaded and pool.pids() == []
    for pid in pids:
        wait_until(lambda pid=pid: not _exists(pid))  # type: ignore[misc]
    assert pool.available  # unloaded on purpose is not an outage
    pool.proxy.load("cpu", 1)
    assert pool.loaded
    assert pool.submit([seg("back again")]).result(10)


def test_a_worker_that_cannot_load_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLARION_FAULTY_LOAD", "LOADFAIL")  # inherited by the spawned worker
    pool = make_pool()
    try:
        with pytest.raises(EngineUnavailable, match="weights are corrupt"):
            pool.start()
    finally:
        pool.close()


async def test_run_is_awaitable_and_cancellation_skips_queued_work(pool: ProcessExecutor) -> None:
    busy = [asyncio.ensure_future(pool.run([seg("SLOW one")])) for _ in range(2)]
    await asyncio.sleep(0.2)
    queued = asyncio.ensure_future(pool.run([seg("never needed")]))
    await asyncio.sleep(0.05)
    queued.cancel()
    for b in busy:
        assert len(await b) == 1
    with pytest.raises(asyncio.CancelledError):
        await queued


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_workers_run_at_lower_cpu_priority_than_the_server(pool: ProcessExecutor) -> None:
    # So that a saturated CPU still leaves the server free to refuse and answer health checks.
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in pool.pids():
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, mine + Settings().worker_nice)


async def test_streamed_pieces_cross_the_pipe_in_order() -> None:
    pool = ProcessExecutor(
        TokenEngine, Settings(), workers=1, device="cpu", threads=1, timeout_s=30, start_timeout_s=60
    )
    pool.start()
    try:
        batch = [Segment("Sixteen letters.", "null", "en"), Segment("Short.", "null", "en")]
        parts: list[list[np.ndarray]] = []
        whole = await pool.run(batch, parts.append)
        assert len(parts) == 3  # the longer segment's pieces; the shorter has one
        assert [len(p[1]) for p in parts] == [PIECE, 0, 0]
        for k, result in enumerate(whole):
            np.testing.assert_array_equal(np.concatenate([p[k] for p in parts]), result)
            np.testing.assert_array_equal(result, expected(batch[k].text))
        # Through the stand-in engine the service sees, as a plain iterator.
        proxy = pool.proxy
        assert isinstance(proxy, StreamsBatches)
        assert len(list(proxy.synthesize_stream(batch))) == 3
    finally:
        pool.close()


async def litter_handed_back(trim: dict[str, float], handed_back: bool) -> None:
    """A worker on the ``trim`` settings runs LITTER; whether it then hands the litter back.
    On the server's allocator settings the litter's blocks come from the heap and stay there
    unless trimmed (clarion.allocator)."""
    pool = make_pool(settings=Settings(**trim))
    pool.start()
    try:
        await pool.run([seg("warm up")])
        (pid,) = pool.pids()
        await asyncio.sleep(0.5)
        before = rss_mb(pid)
        await pool.run([seg("LITTER")])
        if handed_back:
            # The worker trims, and only the block LITTER keeps stays.
            wait_until(lambda: rss_mb(pid) - before < 20)
        else:
            await asyncio.sleep(1.5)
            assert rss_mb(pid) - before > FREED_MB - 10
    finally:
        pool.close()


@pytest.mark.parametrize("trim_idle_s", [0.0, 0.2])
async def test_an_idle_worker_hands_back_what_its_heap_freed(trim_idle_s: float) -> None:
    # Idle after work: the worker trims.
    await litter_handed_back({"malloc_trim_idle_s": trim_idle_s}, handed_back=bool(trim_idle_s))


@pytest.mark.parametrize("trim_busy_s", [0.0, 0.2])
async def test_a_busy_worker_hands_back_freed_memory_every_so_often(trim_busy_s: float) -> None:
    # Jobs come closer together than the idle spell (30 s) that would trim: only the busy
    # interval can.
    trim = {"malloc_trim_idle_s": 30.0, "malloc_trim_busy_s": trim_busy_s}
    await litter_handed_back(trim, handed_back=bool(trim_busy_s))


async def test_the_company_hint_reaches_the_worker_process() -> None:
    """A worker process's own runs never overlap: whether others run beside it only the parent's
    batcher knows, and it says so with each batch (timed or not)."""
    pool = ProcessExecutor(
        CompanyEngine, Settings(), workers=1, device="cpu", threads=1, timeout_s=30, start_timeout_s=60
    )
    pool.start()
    try:
        batch = [Segment("Hello.", "null", "en")]
        alone = await pool.run(batch)
        token = company_expected.set(True)  # as the batcher sets it in the batch's task
        try:
            together = await pool.run(batch)
        finally:
            company_expected.reset(token)
        again = await pool.run(batch)
        assert [a[0] for a in (alone[0], together[0], again[0])] == [0.0, 1.0, 0.0]
    finally:
        pool.close()

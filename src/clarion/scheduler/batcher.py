"""The dynamic batcher: one per loaded engine.

Segments from any number of requests wait in one bounded queue, in the order of the stamp
each was submitted with: by default the start of its request, so a request's later segments,
submitted as its earlier ones finish, go ahead of requests that came after it (what admission
control's estimate assumes). A streamed request's first segment carries a stamp far ahead of
that (queue order "first"), or each of its segments its playback deadline (queue order
"playback", ``scheduler/playback.py``): ``synthesis.py`` stamps them.

A collector task forms a batch whenever an executor worker is free: it takes the first live
segment in line, then waits up to ``max_wait_ms`` for more, up to ``max_batch_size``. The wait
counts from that segment's arrival or from the moment the worker came free, whichever is
later: under load, the requests the last batch answered send their next segments just after
it ends, and those belong in the next batch rather than behind a batch of one. Because batches
only form when a worker is free, load makes batches grow by itself while an idle server
answers at once.

A segment that would start beside the one batch running may wait for it instead, when that
batch ends soon enough that the segment, then alone on every core (an adaptive session's wide
one), ends sooner than it would now beside it on one core: "Hi. <a long sentence>" runs as
two lone runs, whether its sentences were queued together or the second came while the first
ran, and a paragraph's last sentence waits for the nearly done one beside which it would
start. ``cost.hold_pays`` decides, from what the batcher has seen batches take alone and
beside others, when a batch is dispatched, something is queued or a batch ends.

Segments whose caller has gone (future cancelled) or whose deadline has passed are
dropped before they reach the engine. A failing batch is retried item by item, so one
bad input fails only its own request.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from clarion.engines.base import Audio, Segment, WordTiming, company_expected
from clarion.errors import (
    ClarionError,
    DeadlineExceeded,
    EngineError,
    QueueFull,
    ServiceUnavailable,
    WorkerLost,
)
from clarion.scheduler.cost import MIN_SEEN, CostModel, ScaledCost, Work, hold_pays
from clarion.scheduler.executor import Executor

log = logging.getLogger(__name__)

BACKGROUND_AGING_S = 30.0  # a batch-job segment waiting this long goes ahead of interactive ones
HOLD_MOST = 4  # queued segments, at most, that may wait for the running batch (see _hold_s)
HOLD_OVERRUN = 2.0  # a batch this many times past its expected time no longer holds anything,
HOLD_SLACK_S = 0.05  # nor one this far past it: a few milliseconds' jitter must not end the wait


@dataclass(slots=True, eq=False)
class _Item:
    segment: Segment
    future: asyncio.Future[Audio]
    deadline: float  # time.monotonic()
    enqueued: float
    timeout_s: float
    work: Work
    trace: Trace | None = None
    on_part: Callable[[Audio], None] | None = None  # wants audio while it is generated
    on_words: Callable[[tuple[WordTiming, ...]], None] | None = None  # wants its word timings
    streamed: bool = False  # some audio already went out through on_part
    queued: bool = True  # still counted in the queue (not yet taken, cancelled or failed)


@dataclass(slots=True)
class Trace:
    """Scheduling facts about one request's segments, filled in by the batchers as they
    run, for that request's access-log line."""

    segments: int = 0
    queue_wait_s: float = 0.0  # summed over segments: time queued before an engine took them
    batch_items: int = 0  # summed batch sizes, for the mean
    cache: str = "off"  # the audio cache's answer: hit, miss, bypass or off

    def add(self, wait: float, batch_size: int) -> None:
        self.segments += 1
        self.queue_wait_s += wait
        self.batch_items += batch_size

    @property
    def mean_batch_size(self) -> float:
        return self.batch_items / self.segments if self.segments else 0.0


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What one finished batch tells observers (metrics)."""

    size: int
    seconds: float  # engine time for the whole batch
    samples: int  # audio produced, all items
    queue_waits: list[float]  # per item, from submit to the engine


@dataclass(slots=True)
class BatcherStats:
    submitted: int = 0
    completed: int = 0
    failed: int = 0
    rejected_full: int = 0
    dropped_cancelled: int = 0
    dropped_expired: int = 0
    batches: int = 0
    batch_sizes: collections.Counter[int] = field(default_factory=collections.Counter)
    busy_seconds: float = 0.0  # executor time, summed over workers


class Batcher:
    def __init__(
        self,
        name: str,
        executor: Executor,
        *,
        max_batch_size: int = 1,
        max_wait_ms: float = 0.0,
        queue_size: int = 256,
        on_batch: Callable[[BatchReport], None] | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be >= 1")
        if queue_size < 1:
            raise ValueError("queue_size must be >= 1")
        self.name = name
        self.executor = executor
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.queue_size = queue_size
        self.stats = BatcherStats()
        self._on_batch = on_batch
        # Heaps of (place in line, arrival number, item): see submit's ``order``.
        self._queue: list[tuple[float, int, _Item]] = []
        # Batch-job work: taken only when no interactive item waits, or once it has
        # waited BACKGROUND_AGING_S (so a busy server still makes progress on jobs).
        self._background: list[tuple[float, int, _Item]] = []
        self._arrivals = itertools.count()
        self._live = 0  # queued items (both queues) whose future is still pending
        # What admission control weighs: the work queued and running, and its learned cost.
        self.cost = CostModel()
        # How two kinds of batch compare with that: those that ran alone from start to end
        # without company expected (an adaptive session's every core), and those that started
        # expecting company (its single-threaded one). Their ratio decides whether a segment
        # waits for a lone batch.
        self.cost_alone = ScaledCost(self.cost)
        self.cost_beside = ScaledCost(self.cost)
        self._starts = 0  # batches dispatched so far
        # Batches dispatched and not yet done, number -> (dispatched at, work, company expected):
        # what _hold_s waits for and what admission counts as running.
        self._dispatched: dict[int, tuple[float, Work, bool]] = {}
        self._queued = Work()
        # Admitted requests' segments not yet submitted (a request keeps only a few in the
        # queue at once): they keep their request's place in line, so they are ahead of any
        # request admitted after them.
        self._reserved = Work()
        self._wakeup = asyncio.Event()
        self._room_waiters: list[asyncio.Future[None]] = []  # see room()
        self._free = asyncio.Semaphore(executor.workers)
        self._running: set[asyncio.Task[None]] = set()
        self._collector: asyncio.Task[None] | None = None
        self._closed = False

    # -- public ---------------------------------------------------------------
    @property
    def queue_depth(self) -> int:
        return self._live

    @property
    def in_flight(self) -> int:
        """Batches dispatched and not yet done: workers busy."""
        return len(self._dispatched)

    def start(self) -> None:
        if self._collector is None:
            self._collector = asyncio.get_running_loop().create_task(
                self._collect(), name=f"batcher-{self.name}"
            )

    def submit(
        self,
        segment: Segment,
        timeout_s: float,
        trace: Trace | None = None,
        *,
        background: bool = False,
        on_part: Callable[[Audio], None] | None = None,
        order: float | None = None,
        on_words: Callable[[tuple[WordTiming, ...]], None] | None = None,
    ) -> asyncio.Future[Audio]:
        """Queue one segment; raises QueueFull at once when the queue is at capacity.
        ``trace``, if given, is told the segment's queue wait and batch size when it runs.
        ``background`` items (batch jobs) yield to interactive ones. ``on_part``, if given,
        is called on the event loop with each piece of the segment's audio as the engine
        generates it (engines that stream tokens); the future still gets the whole audio.
        ``order`` is the segment's place in line, a ``time.monotonic()`` stamp: the start
        of its request, so that all of a request's segments queue as if sent at once
        (default: now, first come first served). ``on_words``, if given, gets the segment's
        word timings just before the future its audio: its batch runs through the engine's
        ``synthesize_timed`` (only for ``TimesWords`` engines)."""
        self.ensure_room(1)
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        work = Work.of([segment.text])
        item = _Item(
            segment, loop.create_future(), now + timeout_s, now, timeout_s, work, trace, on_part, on_words
        )
        item.future.add_done_callback(self._forget_if_queued(item))
        entry = (now if order is None else order, next(self._arrivals), item)
        heapq.heappush(self._background if background else self._queue, entry)
        self._live += 1
        self._queued += work
        self.stats.submitted += 1
        self._wakeup.set()
        return item.future

    def reserve(self, work: Work) -> None:
        """Count ``work`` as ahead of later requests until it is released (or submitted)."""
        self._reserved += work

    def release(self, work: Work) -> None:
        self._reserved -= work

    def ensure_room(self, segments: int) -> None:
        """Raise QueueFull unless ``segments`` more fit in the queue (a request checks its
        first segments together, so it is refused whole rather than half queued)."""
        if self._closed:
            raise ServiceUnavailable(f"engine {self.name!r} is shutting down; retry on another replica")
        if self._live + min(segments, self.queue_size) > self.queue_size:
            self.stats.rejected_full += 1
            raise QueueFull(
                f"engine {self.name!r} has {self._live} segments queued (limit {self.queue_size}); "
                "retry later or raise CLARION_QUEUE_SIZE",
                retry_after=self.estimated_wait_s(),
            )

    async def room(self, timeout_s: float) -> None:
        """Return once a queued item has left the queue (so one more may fit), or after
        ``timeout_s``: a request waiting for room is woken, not polling."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._room_waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, max(0.0, timeout_s))
        except TimeoutError:
            pass
        finally:
            if waiter in self._room_waiters:
                self._room_waiters.remove(waiter)

    def estimated_wait_s(self) -> float:
        """Rough time until a newly queued segment starts, from the learned costs."""
        if not self.cost.ready:
            return 1.0
        return self._ahead_s() / self.executor.workers

    def estimated_completion_s(
        self, texts: list[str], *, ahead: bool = True, reserved: bool = True
    ) -> float | None:
        """Time until new segments with these texts are all done, or None before the batcher
        has measured anything: the least that the batches measured so far allow
        (``CostModel.least_seconds``), since it may refuse a request. Everything queued or
        running is ahead of them (unless ``ahead`` is false: an idle engine), and so are the
        reserved segments of admitted requests unless ``reserved`` is false (a stream's first
        segment, which queues ahead of them); all workers share it, and the last segment
        still needs one worker on its own. With no texts: the wait for what is ahead alone, a
        lower bound for any request."""
        if not self.cost.ready:
            return None
        seconds = self.cost.least_seconds
        last = max((Work.of([t]) for t in texts), key=seconds, default=Work())
        before = 0.0
        if ahead:
            before = self._ahead_s(seconds) + (seconds(self._reserved) if reserved else 0.0)
        shared = before + seconds(Work.of(texts)) - seconds(last)
        return shared / self.executor.workers + seconds(last)

    def _ahead_s(self, seconds: Callable[[Work], float] | None = None) -> float:
        """Worker-seconds still owed to what is queued and running, by ``seconds`` (default:
        the fit's)."""
        seconds = seconds or self.cost.seconds
        now = time.monotonic()
        running = 0.0
        for start, work, _ in self._dispatched.values():
            expected = seconds(work)
            # A batch running past its estimate is still owed something (a tenth, say).
            running += max(expected - (now - start), 0.1 * expected)
        return seconds(self._queued) + running

    def seed(self, runs: list[tuple[str, float]]) -> None:
        """First measurements, (text, seconds) of warm-up syntheses, so that admission
        works from the first request."""
        if not self.cost.ready:
            for text, seconds in runs:
                self.cost.observe(Work.of([text]), seconds)

    async def close(self) -> None:
        """Stop taking work, fail what is still queued, let running batches finish."""
        self._closed = True
        if self._collector is not None:
            self._collector.cancel()
            await asyncio.gather(self._collector, return_exceptions=True)
            self._collector = None
        for queue in (self._queue, self._background):
            while queue:
                item = heapq.heappop(queue)[2]
                self._unqueue(item)
                if not item.future.done():
                    item.future.set_exception(ServiceUnavailable(f"engine {self.name!r} shut down"))
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self.executor.close()

    # -- internals -------------------------------------------------------------
    def _forget_if_queued(self, item: _Item) -> Callable[[asyncio.Future[Audio]], None]:
        def done(fut: asyncio.Future[Audio]) -> None:
            # A future cancelled while still queued no longer counts; its entry stays in the
            # heap until popped, and is skipped then.
            if fut.cancelled() and self._unqueue(item):
                self.stats.dropped_cancelled += 1

        return done

    def _unqueue(self, item: _Item) -> bool:
        """Stop counting an item as queued; False if it no longer was."""
        if not item.queued:
            return False
        item.queued = False
        self._live -= 1
        self._queued -= item.work
        waiters, self._room_waiters = self._room_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        return True

    def _pop_live(self) -> _Item | None:
        """The first queued item in line that still has a caller and time left."""
        now = time.monotonic()
        while self._queue or self._background:
            aged = self._background and now - self._background[0][2].enqueued > BACKGROUND_AGING_S
            item = heapq.heappop(self._queue if self._queue and not aged else self._background)[2]
            counted = self._unqueue(item)  # here or by the cancel callback, whichever runs first
            if item.future.done():
                if counted:
                    self.stats.dropped_cancelled += 1
                continue
            if now >= item.deadline:
                self.stats.dropped_expired += 1
                item.future.set_exception(
                    DeadlineExceeded(
                        f"request waited {now - item.enqueued:.1f} s in the {self.name!r} queue and "
                        f"passed its {item.timeout_s:g} s deadline "
                        "(the request's 'timeout' or CLARION_REQUEST_TIMEOUT_S)"
                    )
                )
                continue
            return item
        return None

    async def _collect(self) -> None:
        while True:
            await self._free.acquire()
            try:
                batch = await self._form_batch(time.monotonic())
            except BaseException:
                self._free.release()
                raise
            # Counted here, before the next batch forms, so that its choices see this one, and
            # before its own choice (see _company).
            self._starts += 1
            dispatched, work = time.monotonic(), sum((i.work for i in batch), Work())
            self._dispatched[self._starts] = (dispatched, work, True)
            company = self._company() and not self._alone_pays(work)
            self._dispatched[self._starts] = (dispatched, work, company)
            task = asyncio.get_running_loop().create_task(self._run(batch, company, self._starts))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _company(self) -> bool:
        """Whether a batch dispatched now should expect company (engines.base.company_expected):
        another batch is running, or more is queued and a worker is free for it now (a whole
        paragraph's sentences, queued at once). Its own dispatch is counted in ``in_flight``."""
        return self.in_flight > 1 or (self._live > 0 and self.in_flight < self.executor.workers)

    def _alone_pays(self, work: Work) -> bool:
        """Whether the batch dispatched now (its ``work``), with nothing else running, should
        take every core and the few segments queued behind it wait for it (``_hold_s``), rather
        than all of them share the cores at once: "Hi. <a long sentence>", queued together."""
        if self.in_flight != 1 or not 0 < self._live <= HOLD_MOST or self.executor.workers < 2:
            return False
        if self._exploring():
            return True
        works = [work, *self._queued_works()]
        return hold_pays(self.cost_alone, self.cost_beside, 0.0, works, self.executor.workers)

    def _exploring(self) -> bool:
        """Whether lone runs are still to be measured: runs beside another are, and the choice
        above needs both. A reply's sentences are queued together, so without this a server
        that only ever gets replies of several sentences would never run, and so never time,
        one alone. Its first few such replies run their sentences one after another instead;
        from then on the measured costs decide."""
        return self.cost_beside.seen >= MIN_SEEN and self.cost_alone.seen < MIN_SEEN

    def _queued_works(self) -> list[Work]:
        return [e[2].work for q in (self._queue, self._background) for e in q if e[2].queued]

    def _hold_s(self) -> float:
        """How long the queued segments may wait for the one batch running, or 0 to start now:
        while waiting and then running alone ends sooner (``cost.hold_pays``), or, behind a
        batch running alone, while lone runs are still to be measured (``_exploring``). The
        running batch may itself have started beside another that is done now: the last of a
        paragraph's sentences then waits for the one still running when that is nearly done,
        and runs on every core. The wait ends when that batch does, when more is queued (the
        choice is made again), or once the batch has run HOLD_OVERRUN times its expected time
        and HOLD_SLACK_S past it (the estimates are off)."""
        if self.in_flight != 1 or not 0 < self._live <= HOLD_MOST:
            return 0.0
        ((start, work, company),) = self._dispatched.values()
        exploring = not company and self._exploring()
        # Until lone runs are measured, the cost beside another bounds one (it is no faster).
        expected = (self.cost_beside if company or exploring else self.cost_alone).seconds(work)
        elapsed = time.monotonic() - start
        limit = max(HOLD_OVERRUN * expected, expected + HOLD_SLACK_S)
        if elapsed >= limit:
            return 0.0
        running_s = max(0.0, expected - elapsed)
        if not exploring and not hold_pays(
            self.cost_alone, self.cost_beside, running_s, self._queued_works(), self.executor.workers
        ):
            return 0.0
        return limit - elapsed

    async def _form_batch(self, free_since: float) -> list[_Item]:
        while True:
            hold = self._hold_s()
            first = None if hold else self._pop_live()
            if first is not None:
                break
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), hold or None)
        batch = [first]
        fill_until = max(first.enqueued, free_since) + self.max_wait_s
        while len(batch) < self.max_batch_size:
            nxt = self._pop_live()
            if nxt is not None:
                batch.append(nxt)
                continue
            remaining = fill_until - time.monotonic()
            if remaining <= 0:
                break
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                break
        return batch

    async def _run(self, batch: list[_Item], company: bool, number: int) -> None:
        try:
            # Items cancelled while the batch was forming are not worth computing.
            batch = [i for i in batch if not i.future.done()]
            if batch:
                await self._execute(batch, company, number)
        finally:
            del self._dispatched[number]
            self._wakeup.set()  # what waited for it may start
            self._free.release()

    async def _execute(self, batch: list[_Item], company: bool, number: int) -> None:
        start = time.monotonic()
        waits = [start - i.enqueued for i in batch]
        work = sum((i.work for i in batch), Work())
        sink = self._part_sink(batch) if any(i.on_part is not None for i in batch) else None
        company_expected.set(company)  # decided at dispatch (_company); this task's own context
        # A batch is timed when any of its items wants timings; the others ignore theirs.
        timed = any(i.on_words is not None for i in batch)
        words: list[tuple[WordTiming, ...]] = []
        try:
            if timed:
                rendered = await self.executor.run_timed([i.segment for i in batch])
                results, words = [r.samples for r in rendered], [r.words for r in rendered]
            else:
                results = await self.executor.run([i.segment for i in batch], sink)
            if len(results) != len(batch):
                raise EngineError(
                    f"engine {self.name!r} returned {len(results)} results for {len(batch)} inputs"
                )
        except Exception as exc:
            if isinstance(exc, WorkerLost):
                # The worker itself went down: every item it held fails alike (retrying them
                # one by one would only feed a poison input to the fresh worker again).
                for item in batch:
                    self._fail(item, exc)
                return
            if len(batch) > 1:
                # Isolate the failure: each item alone, so only the bad one fails. An item
                # whose audio already went out in part cannot start again: it fails.
                for item in batch:
                    if item.streamed:
                        self._fail(item, exc)
                    elif not item.future.done():
                        await self._execute([item], company, number)
                return
            self._fail(batch[0], exc)
            return
        elapsed = time.monotonic() - start
        self.cost.observe(work, elapsed)
        if company:
            self.cost_beside.observe(work, elapsed)
        elif self._starts == number:  # nothing started beside it
            self.cost_alone.observe(work, elapsed)
        self._record(BatchReport(len(batch), elapsed, sum(len(r) for r in results), waits))
        for k, (item, audio, wait) in enumerate(zip(batch, results, waits, strict=True)):
            if item.trace is not None:
                item.trace.add(wait, len(batch))
            if item.on_words is not None and not item.future.done():
                item.on_words(words[k])
            if not item.future.done():
                item.future.set_result(audio)
                self.stats.completed += 1

    def _part_sink(self, batch: list[_Item]) -> Callable[[list[Audio]], None]:
        """Called on the executor's thread with each streamed piece of the batch; hands
        every item its own piece on the event loop, in order."""
        loop = asyncio.get_running_loop()

        def deliver(parts: list[Audio]) -> None:
            for item, part in zip(batch, parts, strict=True):
                if item.on_part is not None and len(part) and not item.future.done():
                    item.streamed = True
                    item.on_part(part)

        def sink(parts: list[Audio]) -> None:
            loop.call_soon_threadsafe(deliver, parts)

        return sink

    def _fail(self, item: _Item, exc: Exception) -> None:
        self.stats.failed += 1
        if item.future.done():
            return
        if isinstance(exc, ClarionError):
            item.future.set_exception(exc)
        else:
            log.exception("engine %s failed on one segment", self.name, exc_info=exc)
            item.future.set_exception(
                EngineError(f"engine {self.name!r} failed on this input: {type(exc).__name__}: {exc}")
            )

    def _record(self, report: BatchReport) -> None:
        size, elapsed = report.size, report.seconds
        s = self.stats
        s.batches += 1
        s.batch_sizes[size] += 1
        s.busy_seconds += elapsed
        if self._on_batch is not None:
            self._on_batch(report)

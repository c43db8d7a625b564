"""Synthesis: a job's text planned into segments, answered from the cache or run through
the engines' batchers, with admission, deadlines, and audio handed out in order."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import re
import time
from collections.abc import AsyncGenerator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from clarion import __version__
from clarion.cache import AudioCache, CachedChunk, cache_key
from clarion.config import Settings
from clarion.engines.base import Audio, AudioChunk, Segment, TimesWords, VoiceInfo, WordTiming
from clarion.errors import (
    DeadlineExceeded,
    ExceedsDeadline,
    NoSpeakableText,
    QueueFull,
    RateLimited,
    UnreadableScript,
)
from clarion.routing import VoiceRouter, languages_read, reading_language, speaks_zh
from clarion.runtime import EngineRuntime, Runtimes
from clarion.scheduler.batcher import Trace
from clarion.scheduler.cost import Work
from clarion.scheduler.executor import streams_parts
from clarion.scheduler.playback import Pace, PlaybackClock
from clarion.text.frontend import FrontEndOptions, FrontEndResult, TaggedSegment, TextFrontEnd
from clarion.text.lang import foreign_letters, has_han
from clarion.text.spans import Language
from clarion.text.split import split_sentences
from clarion.text.ssml import Pause, Say, looks_like_ssml, parse_ssml
from clarion.voices.store import VoiceStore

# queue_order "first": how far ahead of its request's place a stream's first segment queues,
# i.e. ahead of every segment of any request begun less than this long before it.
FIRST_AHEAD_S = 3600.0


@dataclass(frozen=True, slots=True)
class Planned:
    """One segment and the engine that renders it."""

    runtime: EngineRuntime
    segment: Segment
    stretch: float = 1.0  # time-stretch left after the engine's native speed range
    silence_s: float = 0.0  # a pause (SSML <break>): this much silence, no synthesis


# Texts at least this long are planned in two steps (first sentence, then the rest), so
# that reading a long text does not hold back its first audio.
_PLAN_IN_PARTS_CHARS = 1000


@dataclass(frozen=True, slots=True)
class SpeechJob:
    """A validated request, ready to run."""

    runtime: EngineRuntime
    voice: VoiceInfo
    text: str
    speed: float = 1.0
    seed: int | None = None
    timeout_s: float = 60.0
    extras: Mapping[str, Any] = field(default_factory=dict)
    trace: Trace = field(default_factory=Trace)  # filled in while it runs, for the access log
    use_cache: bool = True  # False: synthesise afresh (the result is still stored)
    background: bool = False  # batch-job work: yields to interactive requests, no admission check
    # Hand out a segment's audio while it is generated, where the engine streams tokens (a
    # streamed response); otherwise each chunk is a whole segment.
    partial: bool = False
    # "ssml": the text is SSML; "text": it is read as written; None: SSML if it starts with <speak.
    input_format: Literal["text", "ssml"] | None = None
    # Word timings on every chunk (``AudioChunk.words``), from engines that give them.
    timestamps: bool = False

    @property
    def is_ssml(self) -> bool:
        return self.input_format == "ssml" or (self.input_format is None and looks_like_ssml(self.text))


@dataclass(slots=True)
class Deadline:
    """When a request's work is due, a ``time.monotonic()`` stamp: for a whole reply, all of
    it; for a stream, its next chunk (``stream`` sets it anew after each)."""

    at: float

    def left(self) -> float:
        return self.at - time.monotonic()


class Synthesizer:
    def __init__(
        self,
        settings: Settings,
        runtimes: Runtimes,
        router: VoiceRouter,
        frontend: TextFrontEnd,
        voice_store: VoiceStore,
        cache: AudioCache | None,
    ) -> None:
        self.settings = settings
        self.runtimes = runtimes
        self.router = router
        self.frontend = frontend
        self.voice_store = voice_store
        self.cache = cache
        self._paces: dict[str, Pace] = {}  # per engine: its audio seconds per character

    def frontend_options(self, engine: str) -> FrontEndOptions:
        opts = self.settings.options_for(engine)
        return FrontEndOptions(
            enabled=opts.text_frontend,
            erhua=opts.erhua,
            yao=opts.yao,
            max_segment_chars=opts.max_segment_chars or self.settings.max_segment_chars,
            markup=self.settings.text_markup,
        )

    def analyse(
        self, text: str, engine: str | None = None, language: Language | None = None
    ) -> FrontEndResult:
        """What an engine will actually read: normalised text, tagged segments, rules fired.
        ``language``: the reading voice's, which numbers and symbols are read in."""
        options = (
            self.frontend_options(engine)
            if engine
            else FrontEndOptions(
                max_segment_chars=self.settings.max_segment_chars, markup=self.settings.text_markup
            )
        )
        return self.frontend.process(text, dataclasses.replace(options, language=language))

    def plan_parts(self, job: SpeechJob) -> Iterator[list[Planned]]:
        """Each segment with the engine that renders it, a part of the text at a time (its
        first sentence, then the rest: see ``TextFrontEnd.process_parts``). The requested
        voice reads it, or for a language that voice cannot speak, the voice
        ``language_voices`` names for it."""
        options = self.frontend_options(job.runtime.name)
        options = dataclasses.replace(options, language=reading_language(job.voice))
        if job.is_ssml:
            yield self._ssml_plan(job, options)
            return
        for part in self.frontend.process_parts(job.text, options):
            yield [self._planned(job, tagged) for tagged in part.segments]

    def _ssml_plan(self, job: SpeechJob, options: FrontEndOptions) -> list[Planned]:
        """An SSML document's pieces: text through the front end at its rate and language,
        pauses as silence."""
        plan: list[Planned] = []
        for piece in parse_ssml(_as_document(job.text), options.language):
            if isinstance(piece, Pause):
                if piece.seconds > 0:
                    pause = Segment("", job.voice.id, job.voice.lang, job.speed, job.seed, job.extras)
                    plan.append(Planned(job.runtime, pause, silence_s=piece.seconds))
                continue
            read = dataclasses.replace(options, language=piece.language or options.language)
            for tagged in self.frontend.process(piece.text, read).segments:
                plan.append(self._planned(job, tagged, piece.rate))
        return plan

    def segments(self, job: SpeechJob) -> list[Planned]:
        self._check_script(job)
        out = [planned for part in self.plan_parts(job) for planned in part]
        if not any(not p.silence_s for p in out):
            raise self._nothing_to_say(job)
        return out

    def _nothing_to_say(self, job: SpeechJob) -> NoSpeakableText:
        text = job.text
        if job.is_ssml:
            text = "".join(p.text for p in parse_ssml(_as_document(job.text)) if isinstance(p, Say))
        read = self.analyse(text, job.runtime.name, reading_language(job.voice)).text
        shown = read if len(read) <= 40 else read[:40] + "…"
        return NoSpeakableText(
            f"input has nothing to say: after normalisation it reads {shown!r}, with no letters, "
            "digits or Chinese characters; send text with words in it",
            param="input",
        )

    def _check_script(self, job: SpeechJob) -> None:
        """Refuse letters the voice would read out by name ("Arabic letter meem..."), where
        no voice is routed to read them (Chinese is: ``_mandarin_reader``)."""
        voice = job.voice
        found = foreign_letters(job.text, languages_read(job.runtime, voice))
        if found is None:
            return
        able = sorted(v.id for v in self.router.all_voices() if v.lang == found.language)[:8]
        choose = f", or choose a voice that reads them ({', '.join(able)})" if able else ""
        raise UnreadableScript(
            f"input has {found.script} letters ({found.sample!r}), which voice {voice.id!r} "
            f"({voice.language}) cannot read; remove or transliterate them{choose}",
            param="input",
        )

    def _planned(self, job: SpeechJob, tagged: TaggedSegment, rate: float = 1.0) -> Planned:
        runtime, voice = job.runtime, job.voice
        if tagged.language == "zh" and not speaks_zh(job.runtime, job.voice):
            runtime, voice = self.router.fallback(job.voice, tagged.language, tagged.text)
        speed = min(max(job.speed * rate, 0.25), 4.0)
        lo, hi = runtime.engine.capabilities.speed_range
        native = min(max(speed, lo), hi)
        segment = Segment(tagged.text, voice.id, tagged.language, native, job.seed, job.extras)
        return Planned(runtime, segment, _stretch_factor(speed, (lo, hi)))

    def _mandarin_reader(self, job: SpeechJob) -> EngineRuntime | None:
        """The engine that reads the text's Chinese where the requested voice cannot (an
        InvalidRequest if none can); None when no routing is needed."""
        if has_han(job.text) and not speaks_zh(job.runtime, job.voice):
            return self.router.fallback(job.voice, "zh", job.text[:20])[0]
        return None

    async def _plan(self, job: SpeechJob) -> tuple[list[Planned], asyncio.Future[list[Planned]] | None]:
        """The plan to start with, and the rest of it while it is still being read.

        A short text is planned whole. A long one is planned in two steps: its first
        sentence at once, so synthesis starts after a few milliseconds, the rest off the
        event loop meanwhile."""
        if len(job.text) < _PLAN_IN_PARTS_CHARS or job.is_ssml:
            return self.segments(job), None
        # Checked up front: a routing error must be an HTTP error, not a failure midway.
        self._check_script(job)
        self._mandarin_reader(job)
        parts = self.plan_parts(job)
        head = next(parts, [])
        rest: asyncio.Future[list[Planned]] | None = asyncio.ensure_future(
            asyncio.to_thread(lambda: [p for part in parts for p in part])
        )
        if not head and rest is not None:
            head, rest = await rest, None
        if not head:
            raise self._nothing_to_say(job)
        return head, rest

    async def stream(self, job: SpeechJob) -> AsyncGenerator[AudioChunk, None]:
        """Audio chunks in order, one per segment, at the requested voice's sample rate.
        Up to ``lookahead`` segments are in the batchers at once, so one long request uses
        several workers while staying ordered. Closing the iterator (client gone) cancels
        everything still queued."""
        if self.cache is None or not job.use_cache:
            # Refuse a hopeless request before spending time on its text: the work already
            # ahead of it is a lower bound on its wait (under overload, this keeps refusals
            # fast). The full check, with its own segments, follows the plan. (A request the
            # cache may answer is not refused before the cache has been asked.)
            self._admit(job, {job.runtime.name: []})
        rate = job.runtime.engine.sample_rate
        # Keyed on the request, not on the read text: a hit costs no front-end work at all.
        key = self._cache_key(job) if self.cache is not None else None
        if key is not None and job.use_cache:
            entry = await self._cache_get(key)
            # An entry made without timings cannot answer a request for them: made afresh, the
            # new entry (with them) replaces it and serves both kinds.
            if entry is not None and not (job.timestamps and any(c.words is None for c in entry)):
                job.trace.cache = "hit"
                at = 0  # samples so far: where each chunk's words start
                for index, cached in enumerate(entry):
                    words = _shifted(cached.words, at / rate) if job.timestamps else None
                    yield AudioChunk(cached.samples, rate, index, cached.text, words)
                    at += len(cached.samples)
                return
        plan, rest = await self._plan(job)
        if job.partial:
            plan[:1] = _first_clause_apart(plan[:1])  # a streamed request's first sound comes sooner
        job.trace.cache = "off" if key is None else ("miss" if job.use_cache else "bypass")
        produced: list[CachedChunk] = []
        at = 0
        deadline = Deadline(time.monotonic() + job.timeout_s)
        # aclosing: a client that leaves must cancel the queued segments now, not at GC time.
        async with contextlib.aclosing(self._synthesise(job, plan, rate, deadline, rest)) as chunks:
            async for chunk in chunks:
                # _synthesise times words from the start of their chunk; the cache keeps them so.
                produced.append(CachedChunk(chunk.samples, chunk.text, chunk.words))
                if chunk.words is not None:
                    chunk = dataclasses.replace(chunk, words=_shifted(chunk.words, at / rate))
                at += len(chunk.samples)
                yield chunk
                if job.partial:
                    # A stream's timeout bounds each wait for audio, the first and every next,
                    # from when its client asks for more: it lasts as long as its audio, read
                    # at any pace. A whole reply's bounds all of it.
                    deadline.at = time.monotonic() + job.timeout_s
        if key is not None and self.cache is not None:
            # Only complete results are stored (a client that left midway stores nothing).
            await self._cache_put(key, tuple(produced))

    def _cache_key(self, job: SpeechJob) -> str:
        """Everything that decides the audio: the request, the front end's options and
        lexicon, and every engine a segment may be routed to."""
        uploaded = self.router.uploaded(job.runtime, job.voice.id)
        clip = self.voice_store.get(job.voice.id).sha256 if uploaded else None
        versions = {name: rt.engine.identity().as_dict() for name, rt in self.runtimes.by_name.items()}
        options = dataclasses.asdict(self.frontend_options(job.runtime.name))
        parts: list[Any] = [__version__, job.seed, dict(job.extras), job.text, job.runtime.name, job.voice.id]
        parts += [job.voice.language, clip, job.speed, options, self.frontend.lexicon.fingerprint()]
        parts += [self.settings.language_voices, versions]
        return cache_key(parts)

    async def _cache_get(self, key: str) -> tuple[CachedChunk, ...] | None:
        assert self.cache is not None
        return await asyncio.to_thread(self.cache.get, key) if self.cache.disk else self.cache.get(key)

    async def _cache_put(self, key: str, entry: tuple[CachedChunk, ...]) -> None:
        assert self.cache is not None
        if self.cache.disk:
            await asyncio.to_thread(self.cache.put, key, entry)
        else:
            self.cache.put(key, entry)

    async def _synthesise(
        self,
        job: SpeechJob,
        plan: list[Planned],
        rate: int,
        deadline: Deadline,
        rest: asyncio.Future[list[Planned]] | None = None,
    ) -> AsyncGenerator[AudioChunk, None]:
        """``plan``'s audio in order; ``rest``, while still being planned, joins it when ready.
        With ``job.timestamps``, each chunk's words are timed from the start of that chunk."""
        begun = time.monotonic()
        lookahead = self.settings.lookahead
        # A whole reply's segments keep the request's place in line (nobody hears any of it
        # before the end); a streamed one's first segment goes ahead ("first"), or each of its
        # segments queues by when the listener needs it ("playback"): Settings.queue_order.
        clock = PlaybackClock(begun) if job.partial and self.settings.queue_order == "playback" else None
        # Each segment in flight: its whole audio, (streamed in pieces) the pieces so far, and
        # (timed) its word timings, which the batcher hands over just before the audio.
        pending: collections.deque[
            tuple[asyncio.Future[Audio], asyncio.Queue[Audio | None] | None, list[tuple[WordTiming, ...]]]
        ] = collections.deque()
        submitted = 0
        # Each engine's work this request has been admitted for and not yet submitted.
        reserved: dict[str, Work] = {}

        def fill() -> None:
            nonlocal submitted, rest
            if rest is not None and rest.done():
                plan.extend(rest.result())  # a planning error is raised here, in order
                rest = None
            # A streamed reply's first segment runs alone: its sentences after it would take
            # cores from it, and the first sound waits on that segment only (measured: Kokoro's
            # first clause of a 6-sentence text 0.99 s beside them).
            window = 1 if job.partial and submitted == 0 else lookahead
            while submitted < len(plan) and len(pending) < window:
                item = plan[submitted]
                if item.silence_s:
                    silence: asyncio.Future[Audio] = asyncio.get_running_loop().create_future()
                    silence.set_result(np.zeros(round(item.silence_s * rate), dtype=np.float32))
                    pending.append((silence, None, []))
                    if clock is not None:
                        clock.expect(submitted, item.silence_s)
                    submitted += 1
                    continue
                order = begun
                if job.partial and submitted == 0 and self.settings.queue_order == "first":
                    order = begun - FIRST_AHEAD_S
                if clock is not None:
                    order = clock.due(submitted)
                    pace = self._paces.setdefault(item.runtime.name, Pace())
                    clock.expect(submitted, pace.estimate_s(len(item.segment.text), job.speed))
                parts: asyncio.Queue[Audio | None] | None = None
                timed = job.timestamps and isinstance(item.runtime.engine, TimesWords)
                words: list[tuple[WordTiming, ...]] = []
                if job.partial and not timed and _streams_pieces(item, rate):
                    parts = asyncio.Queue()
                # A stream's pieces are each due within the timeout of the one before: one
                # queued behind others of its own may wait for all of them.
                limit = deadline.left() + (len(pending) * job.timeout_s if job.partial else 0.0)
                try:
                    fut = item.runtime.batcher.submit(
                        item.segment,
                        max(0.0, limit),
                        job.trace,
                        background=job.background,
                        on_part=None if parts is None else parts.put_nowait,
                        order=order,
                        on_words=words.append if timed else None,
                    )
                except QueueFull:
                    if submitted == 0:
                        raise  # not admitted: the caller answers 503 before any audio
                    return  # an admitted request waits for room rather than failing midway
                if parts is not None:
                    # Pieces arrive before the result (both via the loop, in order): None ends them.
                    fut.add_done_callback(functools.partial(_end_of_pieces, parts))
                pending.append((fut, parts, words))
                submitted += 1
                if (held := reserved.get(item.runtime.name)) is not None:
                    taken = Work.of([item.segment.text])
                    taken = Work(min(held.segments, taken.segments), min(held.chars, taken.chars))
                    reserved[item.runtime.name] = held - taken
                    item.runtime.batcher.release(taken)

        uses: dict[str, list[str]] = {}  # each engine's segment texts
        for p in plan:
            if not p.silence_s:
                uses.setdefault(p.runtime.name, []).append(p.segment.text)
        if rest is not None:
            # Still being read: its sentences as written stand in for the estimate, and any
            # engine its Mandarin may be routed to is taken now.
            unread = split_sentences(job.text, self.settings.max_segment_chars)[len(plan) :]
            uses.setdefault(job.runtime.name, []).extend(unread)
            if (reader := self._mandarin_reader(job)) is not None:
                uses.setdefault(reader.name, [])
        first = next((p for p in plan if not p.silence_s), None)
        if job.partial and first is not None:
            # A stream is judged by its first audio: the rest keeps ahead of the listener, each
            # piece within the timeout of the one before.
            self._admit(job, {first.runtime.name: [first.segment.text]})
        else:
            self._admit(job, uses)
        # The first window is queued whole or refused whole (503): a request that only half
        # fitted would wait for room while the estimate that admitted it went stale.
        window = collections.Counter(p.runtime.name for p in plan[:lookahead] if not p.silence_s)
        for name, count in window.items():
            self.runtimes.by_name[name].batcher.ensure_room(count)
        if not job.background:  # batch jobs yield to interactive traffic: nothing waits on them
            for name, texts in uses.items():
                reserved[name] = Work.of(texts)
                self.runtimes.by_name[name].batcher.reserve(reserved[name])
        try:
            async with self.runtimes.lease(self.runtimes.by_name[name] for name in uses):
                fill()
                index = 0
                while True:
                    if index == len(plan) and rest is not None:
                        try:
                            left = max(0.0, deadline.left())
                            await asyncio.wait_for(asyncio.shield(rest), left)
                        except TimeoutError:
                            raise self._deadline(job, index, len(plan)) from None
                        fill()
                    if index == len(plan):
                        break
                    item = plan[index]
                    while not pending and submitted < len(plan) and deadline.left() > 0:
                        # The queue was full: wait for room there, not by polling.
                        await plan[submitted].runtime.batcher.room(deadline.left())
                        fill()
                    if not pending or deadline.left() <= 0:
                        raise self._deadline(job, index, len(plan))
                    fut, parts, words = pending[0]
                    untimed = () if job.timestamps else None  # pieces come from engines without timings
                    sent = 0  # samples of this segment already handed out in pieces
                    try:
                        while parts is not None:
                            piece = await asyncio.wait_for(parts.get(), deadline.left())
                            if piece is None:
                                break
                            yield AudioChunk(piece, rate, index, "" if sent else item.segment.text, untimed)
                            sent += len(piece)
                        audio = await asyncio.wait_for(fut, deadline.left())
                    except TimeoutError:
                        raise self._deadline(job, index, len(plan)) from None
                    pending.popleft()
                    fitted = await _fit(audio, item, rate) if parts is None else audio
                    if clock is not None:
                        # Real durations replace estimates before the next segments are queued.
                        clock.produced(index, len(fitted) / rate)
                    if not item.silence_s:
                        self._paces.setdefault(item.runtime.name, Pace()).observe(
                            len(item.segment.text), len(fitted) / rate, job.speed
                        )
                    fill()
                    if parts is None:
                        timing = _fitted_words(words, audio, item, fitted, rate) if job.timestamps else None
                        yield AudioChunk(fitted, rate, index, item.segment.text, timing)
                    elif len(audio) > sent:  # the whole result is what counts: anything not yet sent
                        yield AudioChunk(
                            audio[sent:], rate, index, "" if sent else item.segment.text, untimed
                        )
                    index += 1
        finally:
            for name, held in reserved.items():
                self.runtimes.by_name[name].batcher.release(held)
            for fut, _, _ in pending:
                fut.cancel()
            if rest is not None:
                rest.cancel()
                if rest.done() and not rest.cancelled():
                    rest.exception()  # retrieved: the request already failed or left

    def _admit(self, job: SpeechJob, uses: Mapping[str, list[str]]) -> None:
        """Latency-aware admission: refuse at once a request that the learned costs say
        would miss its deadline, instead of queueing it to time out: 413 when it would even
        on an idle engine, else 429 until the work ahead of it has drained."""
        if not self.settings.admission_control or job.background:
            return  # batch jobs wait their turn behind interactive traffic instead
        budget = job.timeout_s * self.settings.admission_headroom
        for name, texts in uses.items():
            runtime = self.runtimes.by_name[name]
            alone = runtime.batcher.estimated_completion_s(texts, ahead=False)
            if alone is not None and alone > budget:
                # Not a matter of load: retrying (as clients do after a 429) cannot help.
                raise ExceedsDeadline(
                    f"this input would take at least {alone:.0f} s on engine {runtime.name!r} with "
                    f"nothing else queued, more than the {budget:.0f} s its {job.timeout_s:g} s "
                    f"deadline allows (CLARION_ADMISSION_HEADROOM {self.settings.admission_headroom:g}); "
                    f"send less text, or raise 'timeout' (up to {self.settings.max_request_timeout_s:g} s)",
                    param="input",
                )
            # A stream's first segment queues ahead of admitted requests' later ones.
            estimate = runtime.batcher.estimated_completion_s(texts, reserved=not job.partial)
            if estimate is not None and estimate > budget:
                raise RateLimited(
                    f"engine {runtime.name!r} is busy: this request would take about {estimate:.1f} s, "
                    f"more than the {budget:.1f} s its {job.timeout_s:g} s deadline allows; retry later, "
                    "send less text, or raise 'timeout'",
                    code="predicted_deadline_miss",
                    retry_after=max(1.0, estimate - budget),
                )

    @staticmethod
    def _deadline(job: SpeechJob, index: int, total: int) -> DeadlineExceeded:
        if job.partial:
            return DeadlineExceeded(
                f"stream waited more than its {job.timeout_s:g} s deadline for segment {index + 1} of "
                f"{total}; the server is overloaded, or raise the request's 'timeout' "
                "(up to CLARION_MAX_REQUEST_TIMEOUT_S)"
            )
        return DeadlineExceeded(
            f"request passed its {job.timeout_s:g} s deadline after {index} of {total} segments; "
            "send a shorter input, raise the request's 'timeout' (up to CLARION_MAX_REQUEST_TIMEOUT_S) "
            "or CLARION_REQUEST_TIMEOUT_S"
        )


# Where a clause ends: a CJK clause mark, or a Western one followed by a space (so "1,000"
# and "14:30" stay whole), as in the sentence splitter.
_CLAUSE_END = re.compile(r"[，、：；]|[,;:](?=\s)")
_HAN = re.compile(r"[\u4e00-\u9fff]")
FIRST_CLAUSE_MIN_WORDS = 3  # a shorter opening ("Well,") is not worth a segment of its own


def first_clause(text: str, min_words: int = FIRST_CLAUSE_MIN_WORDS) -> tuple[str, str]:
    """(head, rest): ``text`` cut after its first clause of at least ``min_words`` words
    (a Han character counts as one), or (text, "") where there is none."""
    for m in _CLAUSE_END.finditer(text):
        head = text[: m.end()]
        if count_words(head) >= min_words and text[m.end() :].strip():
            return head, text[m.end() :]
    return text, ""


def count_words(text: str) -> int:
    """Words, counting each Han character as one."""
    return len(_HAN.findall(text)) + len(re.findall(r"\w+", _HAN.sub(" ", text)))


def _first_clause_apart(head: list[Planned]) -> list[Planned]:
    """A first segment as two: its first clause, and the rest of its sentence."""
    if not head or head[0].silence_s:
        return head
    first = head[0]
    clause, rest = first_clause(first.segment.text)
    if not rest:
        return head
    return [
        dataclasses.replace(first, segment=dataclasses.replace(first.segment, text=part.strip()))
        for part in (clause, rest)
    ]


def _as_document(ssml: str) -> str:
    """SSML sent with input_format "ssml" may leave out the <speak> wrapper."""
    return ssml if looks_like_ssml(ssml) else f"<speak>{ssml}</speak>"


def _end_of_pieces(parts: asyncio.Queue[Audio | None], _: asyncio.Future[Audio]) -> None:
    parts.put_nowait(None)


def _streams_pieces(item: Planned, rate: int) -> bool:
    """Pieces go out as the engine makes them only when nothing must be applied to the
    whole segment afterwards (time-stretching, resampling a routed segment)."""
    return (
        item.stretch == 1.0 and item.runtime.engine.sample_rate == rate and streams_parts(item.runtime.engine)
    )


async def _fit(audio: Audio, item: Planned, rate: int) -> Audio:
    """Apply the speed the engine could not, and bring a routed segment to the request's rate."""
    if item.stretch == 1.0 and item.runtime.engine.sample_rate == rate:
        return audio
    from clarion.audio.resample import resample
    from clarion.audio.speed import time_stretch

    def work() -> Audio:
        out = audio
        if item.stretch != 1.0:
            out = time_stretch(out, item.runtime.engine.sample_rate, item.stretch)
        return resample(out, item.runtime.engine.sample_rate, rate)

    return await asyncio.to_thread(work)


def _fitted_words(
    words: list[tuple[WordTiming, ...]], audio: Audio, item: Planned, fitted: Audio, rate: int
) -> tuple[WordTiming, ...]:
    """A segment's word timings on its fitted audio: time-stretching scales them by the
    length it changed the audio by (resampling keeps them)."""
    if not words or not len(audio):
        return ()
    scale = (len(fitted) / rate) / (len(audio) / item.runtime.engine.sample_rate)
    end = len(fitted) / rate
    return tuple(WordTiming(w.word, min(w.start * scale, end), min(w.end * scale, end)) for w in words[0])


def _shifted(words: tuple[WordTiming, ...] | None, seconds: float) -> tuple[WordTiming, ...]:
    return tuple(WordTiming(w.word, w.start + seconds, w.end + seconds) for w in words or ())


def _stretch_factor(speed: float, native: tuple[float, float]) -> float:
    """What is left for time-stretching after the engine applied what it can natively."""
    lo, hi = native
    return speed / min(max(speed, lo), hi)

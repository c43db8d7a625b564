"""The service with real engines: voice resolution, segmentation and ordered streaming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest

from clarion.config import Settings
from clarion.engines.hibari import HibariEngine
from clarion.engines.null import NullEngine
from clarion.errors import InvalidRequest, ModelNotFound, QueueFull, VoiceNotFound
from clarion.service import Service
from clarion.synthesis import SpeechJob
from tests.faulty_engine import FaultyEngine
from tests.polling import settled


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    settings = Settings(engines=["hibari", "null"], warmup=False)
    svc = Service(settings, {"hibari": HibariEngine(settings), "null": NullEngine(settings)})
    await svc.start()
    yield svc
    await svc.stop()


async def test_resolves_engine_names_aliases_and_openai_voices(service: Service) -> None:
    rt, voice = service.resolve("hibari", "heart")
    assert (rt.name, voice.id) == ("hibari", "heart")
    rt, voice = service.resolve("tts-1", "null")  # 'auto': the engine that has the voice
    assert rt.name == "null"
    rt, voice = service.resolve("tts-1", "alloy")  # no Kokoro loaded: the default voice answers
    assert (rt.name, voice.id) == ("hibari", "heart")
    with pytest.raises(ModelNotFound, match="valid models: hibari, null"):
        service.resolve("kokoro-v9", "heart")
    with pytest.raises(VoiceNotFound, match="valid voices: heart"):
        service.resolve("hibari", "nobody")


async def test_stream_yields_one_chunk_per_sentence_in_order(service: Service) -> None:
    rt, voice = service.resolve("null", "null")
    text = "One. " + "This sentence is much longer than the first one. " + "Three three three."
    chunks = [c async for c in service.stream(SpeechJob(rt, voice, text))]
    assert [c.index for c in chunks] == [0, 1, 2]
    assert [c.text for c in chunks] == [
        "One.",
        "This sentence is much longer than the first one.",
        "Three three three.",
    ]
    # the null engine's audio length is proportional to the text, so order is visible in lengths
    assert len(chunks[1].samples) > len(chunks[2].samples) > len(chunks[0].samples)


async def test_real_voice_renders_every_sentence(service: Service) -> None:
    rt, voice = service.resolve("hibari", "heart")
    one = [c async for c in service.stream(SpeechJob(rt, voice, "Good morning."))]
    ten = [c async for c in service.stream(SpeechJob(rt, voice, "Good morning. " * 10))]
    assert len(ten) == 10
    total = sum(len(c.samples) for c in ten)
    assert total == pytest.approx(10 * len(one[0].samples), rel=0.02)
    assert all(np.abs(c.samples).max() > 0.05 for c in ten)


async def test_a_stream_read_at_playback_pace_outlasts_its_deadline(service: Service) -> None:
    """The deadline is on the server's work: time the listener holds each chunk (a player that
    reads as it plays, a slow link) does not count, or every stream whose audio lasts longer
    than its timeout would break midway."""
    rt, voice = service.resolve("hibari", "heart")
    job = SpeechJob(rt, voice, "Good morning. " * 8, timeout_s=2.0, partial=True)
    chunks = []
    async for chunk in service.stream(job):
        chunks.append(chunk)
        await asyncio.sleep(0.5)  # 4 s in all, twice the deadline
    assert [c.index for c in chunks] == list(range(8))
    assert all(np.abs(c.samples).max() > 0.05 for c in chunks)


async def test_chinese_on_english_voice_is_refused(service: Service) -> None:
    rt, voice = service.resolve("hibari", "heart")
    with pytest.raises(InvalidRequest, match="Mandarin") as refused:
        service.segments(SpeechJob(rt, voice, "Hello. 你好。"))
    assert refused.value.code == "unsupported_language"


async def test_whitespace_only_input_is_refused(service: Service) -> None:
    rt, voice = service.resolve("hibari", "heart")
    with pytest.raises(InvalidRequest, match="nothing to say"):
        service.segments(SpeechJob(rt, voice, " \n\t "))


async def test_a_request_is_queued_whole_or_refused_whole() -> None:
    """Its first window of sentences (up to CLARION_LOOKAHEAD) goes in together or not at
    all: a request half queued would wait for room on a stale admission estimate."""
    settings = Settings(engines=["null"], default_engine="null", warmup=False, queue_size=3)
    svc = Service(settings, {"null": NullEngine(settings)})
    await svc.start()
    try:
        rt, voice = svc.resolve("null", "null")
        # Two held in the queue (filled without yielding to the collector): room for one more.
        held = [rt.batcher.submit(svc.segments(SpeechJob(rt, voice, "x."))[0].segment, 10) for _ in range(2)]
        gen = svc.stream(SpeechJob(rt, voice, "One. Two."))
        with pytest.raises(QueueFull):
            await anext(gen)
        assert rt.batcher.queue_depth == 2  # nothing of the refused request was queued
        one = [c async for c in svc.stream(SpeechJob(rt, voice, "Alone."))]
        assert len(one) == 1
        await asyncio.gather(*held)
    finally:
        await svc.stop()


async def test_a_long_request_is_admitted_when_its_first_window_fits() -> None:
    settings = Settings(engines=["null"], default_engine="null", warmup=False, queue_size=2)
    svc = Service(settings, {"null": NullEngine(settings)})
    await svc.start()
    try:
        rt, voice = svc.resolve("null", "null")
        # A long admitted request keeps going even though it has more sentences than the queue holds.
        chunks = [c async for c in svc.stream(SpeechJob(rt, voice, "Go. " * 20))]
        assert len(chunks) == 20
        # With the queue full (filled without yielding to the collector), a new request is
        # refused before any audio.
        held = [rt.batcher.submit(svc.segments(SpeechJob(rt, voice, "x."))[0].segment, 10) for _ in range(2)]
        gen = svc.stream(SpeechJob(rt, voice, "Refused."))
        with pytest.raises(QueueFull):
            await anext(gen)
        for f in held:
            f.cancel()
    finally:
        await svc.stop()


@pytest.mark.timing  # judged in fractions of a second: run alone
@pytest.mark.parametrize("busy_s", [0.0, 1.0])
async def test_a_load_with_no_quiet_spell_is_trimmed_every_so_often(busy_s: float) -> None:
    """CLARION_MALLOC_TRIM_BUSY_S: without it, a server that never goes idle never trims."""
    settings = Settings(
        engines=["faulty"],
        default_engine="faulty",
        warmup=False,
        malloc_trim_idle_s=2.0,
        malloc_trim_busy_s=busy_s,
        engine_options={"faulty": {"workers": 1, "max_batch_size": 1, "text_frontend": False}},
    )
    svc = Service(settings, {"faulty": FaultyEngine(settings)})
    await svc.start()
    try:
        rt, voice = svc.resolve("faulty", "null")
        # Three sentences of 1 s each, back to back: never idle for 2 s.
        chunks = [c async for c in svc.stream(SpeechJob(rt, voice, "SLOW one. SLOW two. SLOW three."))]
        assert len(chunks) == 3
        assert (svc.trims >= 1) if busy_s else (svc.trims == 0)
    finally:
        await svc.stop()


@pytest.mark.timing  # judged in fractions of a second: run alone
async def test_freed_memory_is_handed_back_once_per_quiet_spell() -> None:
    """CLARION_MALLOC_TRIM_IDLE_S: a trim (clarion.allocator) once synthesis has been idle
    that long; not between the sentences of a running request, not again while still idle."""
    settings = Settings(
        engines=["faulty"],
        default_engine="faulty",
        warmup=False,
        malloc_trim_idle_s=0.3,
        # One sentence at a time, its words as written (the front end spells out "SLOW").
        engine_options={"faulty": {"workers": 1, "max_batch_size": 1, "text_frontend": False}},
    )
    svc = Service(settings, {"faulty": FaultyEngine(settings)})
    await svc.start()
    try:
        rt, voice = svc.resolve("faulty", "null")
        await asyncio.sleep(0.7)
        assert svc.trims == 0  # nothing has run: nothing to hand back
        # Each sentence takes 1 s: the first ends 1 s before the second, while work is in hand.
        chunks = [c async for c in svc.stream(SpeechJob(rt, voice, "SLOW one. SLOW two."))]
        assert len(chunks) == 2 and svc.trims == 0
        await settled(lambda: svc.trims == 1)
        await asyncio.sleep(1.0)
        assert svc.trims == 1
        [_ async for _ in svc.stream(SpeechJob(rt, voice, "Again."))]
        await settled(lambda: svc.trims == 2)
    finally:
        await svc.stop()
    off = Settings(engines=["null"], default_engine="null", warmup=False, malloc_trim_idle_s=0)
    svc = Service(off, {"null": NullEngine(off)})
    await svc.start()
    try:
        assert svc._trimmer is None
    finally:
        await svc.stop()

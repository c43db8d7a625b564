"""Playback deadlines: a new stream's first segment is not queued behind other streams'
later sentences, and nothing is overtaken by work that arrived after it was due."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from clarion.config import Settings
from clarion.engines.base import Audio, Segment
from clarion.engines.null import NullEngine
from clarion.scheduler.playback import DEFAULT_SECONDS_PER_CHAR, MARGIN, Pace, PlaybackClock
from clarion.service import Service
from clarion.synthesis import SpeechJob
from tests.polling import settled


def test_pace_learns_from_output_and_guesses_short() -> None:
    pace = Pace()
    assert pace.estimate_s(100) == pytest.approx(MARGIN * DEFAULT_SECONDS_PER_CHAR * 100)
    pace.observe(chars=50, audio_s=4.0)  # slow speech: 0.08 s per character
    assert pace.estimate_s(100) == pytest.approx(MARGIN * 8.0)
    assert pace.estimate_s(100, speed=2.0) == pytest.approx(MARGIN * 4.0)
    pace.observe(chars=50, audio_s=2.0, speed=2.0)  # the same pace, heard at double speed
    assert pace.estimate_s(100) == pytest.approx(MARGIN * 8.0)
    pace.observe(chars=0, audio_s=1.0)  # nothing to learn from
    assert pace.estimate_s(100) == pytest.approx(MARGIN * 8.0)


def test_clock_dues_follow_the_audio_before_each_segment() -> None:
    clock = PlaybackClock(begun=100.0)
    assert clock.due(0) == 100.0
    clock.expect(0, 1.5)
    clock.expect(1, 2.0)
    assert clock.due(1) == 101.5
    assert clock.due(2) == 103.5
    clock.produced(0, 1.0)  # shorter than guessed: what follows is due sooner
    assert clock.due(2) == 103.0


class GatedNull(NullEngine):
    """The null engine, holding its second call until released, and logging what it renders
    in the order it renders it (one worker, batches of one)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.log: list[str] = []
        self.entered = threading.Event()
        self.gate = threading.Event()

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        self.log.extend(seg.text for seg in batch)
        if len(self.log) == 2:
            self.entered.set()
            self.gate.wait(30)
        return super().synthesize(batch)


async def _order_seen(queue_order: str) -> list[str]:
    """Stream A (five sentences) is rendering its second when stream B (two) arrives: the
    order in which the engine then renders the rest. (A stream's first segment runs alone, so
    A's later sentences queue once its first is made.)"""
    settings = Settings(
        engines=["null"], default_engine="null", warmup=False, queue_order=queue_order, cache_memory_mb=0
    )
    engine = GatedNull(settings)
    svc = Service(settings, {"null": engine})
    await svc.start()
    try:
        rt, voice = svc.resolve("null", "null")

        async def listen(text: str) -> list[str]:
            return [c.text async for c in svc.stream(SpeechJob(rt, voice, text, partial=True))]

        first = "A one is here now and it goes on for quite a while longer."
        a = asyncio.create_task(listen(f"{first} A two is here now. A three. A four. A five."))
        await asyncio.to_thread(engine.entered.wait, 10)
        b = asyncio.create_task(listen("B one is here. B two is here."))
        # A's last three and B's first are queued (B's second follows its first).
        await settled(lambda: rt.batcher.queue_depth == 4)
        engine.gate.set()
        heard_a, heard_b = await asyncio.wait_for(asyncio.gather(a, b), 30)
        assert [t[:6] for t in heard_a] == ["A one ", "A two ", "A thre", "A four", "A five"]
        assert [t[:6] for t in heard_b] == ["B one ", "B two "]
        return [text.split(" ")[0] + text.split(" ")[1] for text in engine.log]
    finally:
        engine.gate.set()
        await svc.stop()


async def test_a_new_streams_first_segment_goes_ahead_of_queued_later_sentences() -> None:
    order = await _order_seen("playback")
    # B's first sentence is needed now; A's third only once A's first two have played. B's
    # second, queued once its first is made (the worker may have taken one of A's by then), is
    # due after B's first plays: still before A's last.
    assert order[:3] == ["Aone", "Atwo", "Bone"], order
    assert order.index("Btwo") < order.index("Afive."), order
    assert sorted(order) == sorted(["Aone", "Atwo", "Athree.", "Afour.", "Afive.", "Bone", "Btwo"])


async def test_arrival_order_keeps_each_requests_place_in_line() -> None:
    order = await _order_seen("arrival")
    # A's fifth sentence, queued once its first finished, still goes ahead of B.
    assert order == ["Aone", "Atwo", "Athree.", "Afour.", "Afive.", "Bone", "Btwo"], order


async def test_first_order_puts_a_new_streams_first_segment_ahead_and_then_keeps_arrival() -> None:
    order = await _order_seen("first")
    # B's first sentence jumps the queue; its second keeps B's place in line, after all of A's.
    assert order == ["Aone", "Atwo", "Bone", "Athree.", "Afour.", "Afive.", "Btwo"], order

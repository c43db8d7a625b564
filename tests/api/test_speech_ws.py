"""WS /v1/audio/speech/stream against a real server on loopback, with a real WebSocket
client (the ``websockets`` package)."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from clarion import allocator
from clarion.api.ws_buffer import TextBuffer
from clarion.config import Settings
from clarion.text.frontend import FrontEndOptions, TextFrontEnd
from clarion.text.split import split_sentences
from tests.server import RunningServer, serve
from tests.signals import rms

SIX = (
    "Clarion serves open models to many users at once. It batches their sentences together. "
    "Audio starts as soon as the first clause is ready, long before the text is complete. "
    "A voice agent can interrupt it at any moment. Nothing that was cancelled is ever sent. "
    "Every sentence goes through the same front end as the HTTP route."
)


def ws_url(server: RunningServer) -> str:
    return server.url.replace("http://", "ws://") + "/v1/audio/speech/stream"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    # One segment at a time: the lookahead's next segments wait in the queue, where a cancel must find them.
    settings = Settings(
        engines=["hibari"],
        engine_options={"hibari": {"workers": 1, "max_batch_size": 1}},
        request_timeout_s=600,
        ws_idle_flush_ms=300,
        header_timeout_s=2,
    )
    with serve(settings) as running:
        yield running


@asynccontextmanager
async def session(server: RunningServer, **settings: Any) -> AsyncIterator[ClientConnection]:
    headers = settings.pop("headers", None)
    async with connect(ws_url(server), additional_headers=headers, max_size=None) as ws:
        await ws.send(json.dumps({"voice": "heart", "model": "hibari", **settings}))
        yield ws


async def event(ws: ClientConnection, wait: float = 60) -> dict[str, Any]:
    """The next JSON event (audio frames in between are skipped)."""
    while True:
        message = await asyncio.wait_for(ws.recv(), wait)
        if isinstance(message, str):
            value: dict[str, Any] = json.loads(message)
            return value


async def until_done(ws: ClientConnection, wait: float = 120) -> tuple[list[dict[str, Any]], bytes]:
    """Every event and all audio until the server closes the connection."""
    events: list[dict[str, Any]] = []
    audio = bytearray()
    deadline = time.monotonic() + wait
    try:
        while True:
            message = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
            if isinstance(message, str):
                events.append(json.loads(message))
            else:
                audio += message
    except ConnectionClosed:
        pass
    return events, bytes(audio)


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# -- the text buffer -------------------------------------------------------------------


def _fed(tokens: list[str]) -> tuple[list[str], str]:
    """What a buffer past its turn's first piece emits for these tokens, and what a flush gives."""
    buf = TextBuffer()
    buf.first = False
    out: list[str] = []
    for token in tokens:
        out += buf.feed(token)
    return out, buf.flush()


def _chunks(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_buffer_cuts_at_sentence_ends_as_tokens_arrive() -> None:
    tokens = ["Hello", " there", ".", " It", " costs", " 3", ".", "14", " dollars", ".", " Bye"]
    assert _fed(tokens) == (["Hello there.", "It costs 3.14 dollars."], "Bye")


def test_buffer_keeps_a_list_number_with_its_item() -> None:
    tokens = ["Tips", ":", " 1", ".", " Sleep", " well", ".", " 2", ".", " Drink", " water", ".", " 3"]
    assert _fed(tokens) == (["Tips: 1. Sleep well.", "2. Drink water."], "3")


def test_buffer_waits_for_the_word_after_a_dotted_abbreviation() -> None:
    out, rest = _fed(_chunks("The U.S. Army is big. I live in the U.S. The weather is nice. Bye"))
    assert out == ["The U.S. Army is big.", "I live in the U.S.", "The weather is nice."]
    assert rest == "Bye"


def test_buffer_keeps_an_abbreviation_with_the_words_after_it() -> None:
    out, rest = _fed(_chunks("It was Jan. 5. Dr. Smith left at 5 p.m. and ate, e.g. pie. Bye"))
    assert out == ["It was Jan. 5.", "Dr. Smith left at 5 p.m. and ate, e.g. pie."]
    assert rest == "Bye"


def test_buffer_keeps_a_short_unit_and_an_alias_with_the_words_after_them() -> None:
    # Cut at "ft.", the piece read "five feet." and paused there as at a sentence's end.
    out, rest = _fed(
        _chunks("He is 5 ft. tall, 3 mi. away. Bob a.k.a. Rob works for the govt. now. We drove 5 mi. Then")
    )
    assert out == [
        "He is 5 ft. tall, 3 mi. away.",
        "Bob a.k.a. Rob works for the govt. now.",
        "We drove 5 mi.",
    ]
    assert rest == "Then"


def test_buffer_reads_a_streamed_text_in_the_pieces_the_whole_text_is_read_in() -> None:
    # Whether these full stops end a sentence turns on the next word, which arrives in pieces.
    text = "George W. Bush met Acme Inc. staff at 5 p.m. ET. See vol. II now. Bye"
    out, rest = _fed(_chunks(text, 2))
    assert out == ["George W. Bush met Acme Inc. staff at 5 p.m. ET.", "See vol. II now."]
    assert rest == "Bye"
    assert [p.strip() for p in split_sentences(text)] == [*out, rest]


def test_buffer_keeps_a_mandarin_sentence_end_whole_when_it_arrives_a_character_at_a_time() -> None:
    # "？" then "！" in two tokens made "！" a piece of its own, with nothing to say.
    out, rest = _fed(list("真的吗？！他说：“你好。”等等。。。好吧"))
    assert out == ["真的吗？！", "他说：“你好。”", "等等。。。"]
    assert rest == "好吧"


def test_a_bilingual_reply_streamed_to_a_mandarin_voice_reads_as_the_whole_reply() -> None:
    # Each piece is read on its own; a piece with no Chinese in it ("iPhone 15 Pro…") read its
    # numbers in English, where the whole reply read them in Mandarin, and the other way round.
    reply = "好的！iPhone 15 Pro…新款RTX 4090在24年发布。I ran 5 km today.建议如下。1. 多喝水，2. 早睡。"
    out, rest = _fed(_chunks(reply, 2))
    frontend, zh = TextFrontEnd(), FrontEndOptions(language="zh")
    streamed = [s.text for piece in [*out, rest] for s in frontend.process(piece, zh).segments]
    assert streamed == [s.text for s in frontend.process(reply, zh).segments]
    assert "I ran five kilometers today." in streamed and "一、多喝水，二、早睡。" in streamed


def test_buffer_cuts_a_turns_first_piece_at_a_clause() -> None:
    buf = TextBuffer()
    assert buf.feed("Well, I think that we should, in fact, go") == ["Well, I think that we should,"]
    assert buf.feed(" home now, today. Then") == ["in fact, go home now, today."]  # later: sentences
    buf.clear()
    assert buf.feed("one two three four five six seven eight nine") == [
        "one two three four five six seven eight"
    ]


# -- the route --------------------------------------------------------------------------


def test_tokens_in_audio_out_in_order(server: RunningServer) -> None:
    async def go() -> tuple[list[dict[str, Any]], bytes]:
        async with session(server) as ws:
            ready = await event(ws)
            assert ready["type"] == "ready" and ready["sample_rate"] == 24000 and ready["format"] == "pcm"
            for word in SIX.split(" "):
                await ws.send(json.dumps({"type": "text", "text": word + " "}))
            await ws.send(json.dumps({"type": "close"}))
            return await until_done(ws)

    events, audio = run(go())
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "done", events
    starts = [e for e in events if e["type"] == "segment.start"]
    ends = [e for e in events if e["type"] == "segment.end"]
    assert [e["segment"] for e in starts] == list(range(len(starts))) == [e["segment"] for e in ends]
    assert len(starts) >= 6
    assert " ".join(e["text"] for e in starts) == " ".join(SIX.split())
    samples = pcm(audio)
    seconds = len(samples) / 24000
    assert abs(seconds - sum(e["audio_seconds"] for e in ends)) < 0.05
    assert 12 < seconds < 40, seconds
    assert rms(samples) > 0.01


def test_flush_speaks_a_fragment_and_a_long_session_outlives_the_header_deadline(
    server: RunningServer,
) -> None:
    """A flush speaks text with no boundary at once; the connection stays open past
    CLARION_HEADER_TIMEOUT_S (2 s here), which applies to an HTTP request's headers only."""

    async def go() -> None:
        async with session(server, idle_flush_ms=0) as ws:
            assert (await event(ws))["type"] == "ready"
            await ws.send(json.dumps({"type": "text", "text": "Just a"}))
            await ws.send(json.dumps({"type": "text", "text": " fragment"}))
            await ws.send(json.dumps({"type": "flush"}))
            start = await event(ws)
            assert start == {"type": "segment.start", "segment": 0, "text": "Just a fragment"}
            assert (await event(ws))["type"] == "segment.end"
            await asyncio.sleep(2.5)
            await ws.send(json.dumps({"type": "text", "text": "Still here"}))
            await ws.send(json.dumps({"type": "close"}))
            events, audio = await until_done(ws)
            assert [e["type"] for e in events] == ["segment.start", "segment.end", "done"]
            assert events[0]["text"] == "Still here" and len(audio) > 0
            assert ws.close_code == 1000

    run(go())


def test_a_piece_in_a_script_the_voice_cannot_read_fails_alone(server: RunningServer) -> None:
    async def go() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        async with session(server) as ws:
            assert (await event(ws))["type"] == "ready"
            await ws.send(json.dumps({"type": "text", "text": "They said مرحبا بالعالم to us."}))
            await ws.send(json.dumps({"type": "flush"}))
            refused = await event(ws)
            await ws.send(json.dumps({"type": "text", "text": "Then we went home."}))
            await ws.send(json.dumps({"type": "close"}))
            events, _ = await until_done(ws)
            return refused, events

    refused, events = run(go())
    assert refused["type"] == "error" and not refused["fatal"], refused
    assert refused["error"]["code"] == "unsupported_language" and "Arabic" in refused["error"]["message"]
    assert [e["type"] for e in events] == ["segment.start", "segment.end", "done"], events
    assert events[0]["text"] == "Then we went home."


def test_an_idle_gap_speaks_what_is_held(server: RunningServer) -> None:
    async def go() -> float:
        async with session(server, idle_flush_ms=200) as ws:
            await event(ws)
            sent = time.monotonic()
            await ws.send(json.dumps({"type": "text", "text": "No full stop yet"}))
            start = await event(ws)
            assert start["type"] == "segment.start" and start["text"] == "No full stop yet"
            return time.monotonic() - sent

    waited = run(go())
    assert 0.2 <= waited < 5, waited


def test_a_markdown_reply_streamed_token_by_token_is_read_without_its_marks(server: RunningServer) -> None:
    """An LLM's reply arrives in pieces that cut its marks apart ("**Set" "tings**", a table a
    row at a time); the marks are not read, so it lasts as long as its words alone."""
    reply = (
        "## Next steps\n1. Open the **Settings** page.\n2. Choose *Privacy* 🎉\n> Then tap `Save`.\n"
        "| Plan | Price |\n|---|---|\n| Basic | free |\n"
    )
    words = "Next steps.\n1. Open the Settings page.\n2. Choose Privacy.\nThen tap Save.\n"
    words += "Plan, Price\nBasic, free"  # the delimiter row, a piece of its own, says nothing

    async def seconds(text: str) -> float:
        async with session(server) as ws:
            await event(ws)
            for i in range(0, len(text), 4):  # four characters a token
                await ws.send(json.dumps({"type": "text", "text": text[i : i + 4]}))
            await ws.send(json.dumps({"type": "close"}))
            events, audio = await until_done(ws)
        assert events[-1]["type"] == "done", events
        return len(pcm(audio)) / 24000

    marked, plain = run(seconds(reply)), run(seconds(words))
    assert abs(marked - plain) / plain < 0.1, (marked, plain)


async def streamed_segments(server: RunningServer, reply: str) -> list[str]:
    """The segments a reply is spoken in when it arrives 4 characters at a time, as an LLM's
    tokens do."""
    async with session(server) as ws:
        await event(ws)
        for i in range(0, len(reply), 4):
            await ws.send(json.dumps({"type": "text", "text": reply[i : i + 4]}))
        await ws.send(json.dumps({"type": "close"}))
        events, _ = await until_done(ws)
    assert events[-1]["type"] == "done", events
    return [e["text"] for e in events if e["type"] == "segment.start"]


def test_a_list_streamed_token_by_token_keeps_each_number_with_its_item(server: RunningServer) -> None:
    """The reply "Tips: 1. Sleep well. 2. Drink water." arrives in pieces; "2." was cut off as a
    sentence of its own and read "two." with a sentence's fall and pause."""
    reply = "Here are two tips: 1. Sleep well every night. 2. Drink water often.\n1. Walk.\n2. Rest."

    texts = run(streamed_segments(server, reply))
    assert not any(t.strip(" .\n").isdigit() for t in texts), texts
    assert any(t.strip().startswith("2. Drink") for t in texts), texts


def test_abbreviations_streamed_token_by_token_stay_in_their_sentences(server: RunningServer) -> None:
    """An LLM's "Dr. Smith" and "on Jan. 5" arrive in pieces; the raw text was cut after each
    abbreviation's full stop, so "Dr." and "Smith left ..." were read as two sentences."""
    reply = "It was Jan. 5. Dr. Smith left at 5 p.m. and ate, e.g. pie. Then he slept."

    texts = [t.strip() for t in run(streamed_segments(server, reply))]
    assert texts == ["It was Jan. 5.", "Dr. Smith left at 5 p.m. and ate, e.g. pie.", "Then he slept."]


def queue_depth(server: RunningServer) -> int:
    return server.service.runtimes["hibari"].batcher.queue_depth


def test_cancel_empties_the_queue_at_once_and_sends_nothing_more(server: RunningServer) -> None:
    """Barge-in: the connection's queued segments leave the batcher within 50 ms; nothing of
    the cancelled speech arrives after the 'cancelled' event; the next turn speaks."""

    async def go() -> None:
        async with session(server, cache=False) as ws:
            await event(ws)
            await ws.send(json.dumps({"type": "text", "text": SIX + " " + SIX}))
            await ws.send(json.dumps({"type": "flush"}))
            while not isinstance(await ws.recv(), bytes):  # speech has started
                pass
            # The turn's first piece ran alone; once it is made, the lookahead's next pieces
            # queue behind the one worker.
            async with asyncio.timeout(10):
                while queue_depth(server) == 0:  # noqa: ASYNC110 (another thread's loop: polled)
                    await asyncio.sleep(0.001)
            await ws.send(json.dumps({"type": "cancel"}))
            sent = time.monotonic()
            while queue_depth(server) > 0:  # noqa: ASYNC110 (another thread's loop: polled)
                await asyncio.sleep(0.001)
            emptied = time.monotonic() - sent
            assert emptied < 0.05, emptied
            while True:  # audio sent before the cancel may still be on its way
                message = await asyncio.wait_for(ws.recv(), 10)
                if isinstance(message, str) and json.loads(message)["type"] == "cancelled":
                    assert json.loads(message)["segments"] >= 1
                    break
            await ws.send(json.dumps({"type": "text", "text": "A new turn."}))
            await ws.send(json.dumps({"type": "close"}))
            events, audio = await until_done(ws)
            # Only the new turn: its own start and end, no frame of the old one before it.
            assert [e["type"] for e in events] == ["segment.start", "segment.end", "done"], events
            assert events[0]["text"] == "A new turn."
            assert abs(len(audio) / 2 / 24000 - events[1]["audio_seconds"]) < 0.01

    run(go())
    assert queue_depth(server) == 0


def resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_200_cancelled_streams_leave_nothing_behind(server: RunningServer) -> None:
    """Streams cancelled or dropped at every stage: afterwards no segment is queued, no task
    of the route is alive, no stream is counted, and descriptors and memory are as before."""

    async def one(i: int) -> None:
        async with session(server, cache=False) as ws:
            await event(ws)
            await ws.send(json.dumps({"type": "text", "text": f"Stream {i} says this. " + SIX}))
            await ws.send(json.dumps({"type": "flush"}))
            if i % 4 in (1, 2):  # audio has started
                while not isinstance(await asyncio.wait_for(ws.recv(), 60), bytes):
                    pass
            if i % 4 in (0, 1):
                await ws.send(json.dumps({"type": "cancel"}))
                while (await event(ws))["type"] != "cancelled":
                    pass
            # 2 and 3: the socket closes with speech queued

    async def wave(start: int, count: int) -> None:
        await asyncio.gather(*(one(i) for i in range(start, start + count)))

    def settle() -> None:
        deadline = time.monotonic() + 30
        while (queue_depth(server) or server.service.runtimes["hibari"].batcher.in_flight) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)

    run(wave(0, 20))  # warm-up: first-use allocations are not a leak
    settle()
    gc.collect()

    def cached_mb() -> float:
        # Finished pieces are stored in the audio cache ('cache': false skips reading it, not
        # storing), which keeps them up to its own budget: that is not a leak.
        cache = server.service.cache
        return cache.memory.bytes / 2**20 if cache is not None else 0.0

    def in_use_mb() -> float:
        # Handed out by malloc and not freed: what a leak raises. RSS also counts the heaps'
        # free pages, which move with how other tests in this process fragmented them.
        stats = allocator.heap_stats()
        assert stats is not None, "needs glibc 2.33+ (mallinfo2)"
        return stats.in_use / 2**20

    allocator.trim()
    tasks, fds, rss, cached, used = server.tasks(), open_fds(), resident_mb(), cached_mb(), in_use_mb()
    for start in range(20, 220, 20):
        run(wave(start, 20))
    settle()
    time.sleep(0.2)  # the server's side of the last closes
    gc.collect()
    allocator.trim()
    assert queue_depth(server) == 0
    assert server.app.state.speech.open_streams == 0
    assert server.tasks() <= tasks, (server.tasks(), tasks)
    assert open_fds() <= fds + 2, (open_fds(), fds)
    grown = cached_mb() - cached
    figures = {"in use": in_use_mb() - used, "resident": resident_mb() - rss, "cache": grown}
    assert figures["in use"] - grown < 8, figures  # 40 kB a stream would be 8 MB
    assert figures["resident"] - grown < 64, figures


async def refused(ws: ClientConnection) -> tuple[dict[str, Any], int | None]:
    """The fatal error event, and the close code after it."""
    events, _ = await until_done(ws, 30)
    assert len(events) == 1 and events[0]["type"] == "error" and events[0]["fatal"], events
    return events[0]["error"], ws.close_code


@pytest.mark.parametrize(
    ("first", "code", "param"),
    [
        ({"voice": "no-such-voice"}, "voice_not_found", None),
        ({"voice": "heart", "speed": 9}, "invalid_request", "speed"),
        ({"voice": "heart", "response_format": "flac"}, "invalid_request", "response_format"),
        ({"voice": "heart", "colour": "blue"}, "invalid_request", "colour"),
    ],
)
def test_bad_settings_are_refused_with_1008(
    server: RunningServer, first: dict[str, Any], code: str, param: str | None
) -> None:
    async def go() -> None:
        async with connect(ws_url(server)) as ws:
            await ws.send(json.dumps({"model": "hibari", **first}))
            error, close = await refused(ws)
            assert error["code"] == code and close == 1008, error
            if param:
                assert error["param"] == param, error

    run(go())


@pytest.mark.parametrize("message", ["not json", json.dumps({"type": "shout"}), json.dumps([1]), b"\x00\x01"])
def test_a_bad_message_ends_the_connection_with_1008(server: RunningServer, message: str | bytes) -> None:
    async def go() -> None:
        async with session(server) as ws:
            assert (await event(ws))["type"] == "ready"
            await ws.send(message)
            error, close = await refused(ws)
            assert error["type"] == "invalid_request_error" and close == 1008

    run(go())


@pytest.fixture(scope="module")
def keyed() -> Iterator[RunningServer]:
    settings = Settings(engines=["hibari"], api_keys=["k-one"], rate_limit_per_minute=1, rate_limit_burst=3)
    with serve(settings) as running:
        yield running


def test_keys_come_in_a_header_or_the_settings_and_are_rate_limited(keyed: RunningServer) -> None:
    async def ready(**extra: Any) -> dict[str, Any]:
        async with session(keyed, **extra) as ws:
            return await event(ws)

    async def go() -> None:
        for extra in ({}, {"api_key": "wrong"}, {"headers": {"Authorization": "Bearer wrong"}}):
            async with session(keyed, **extra) as ws:
                error, close = await refused(ws)
                assert error["code"] == "invalid_api_key" and close == 1008
        assert (await ready(headers={"Authorization": "Bearer k-one"}))["type"] == "ready"
        assert (await ready(api_key="k-one"))["type"] == "ready"
        assert (await ready(api_key="k-one"))["type"] == "ready"  # the burst of 3 is spent
        async with session(keyed, api_key="k-one") as ws:
            error, close = await refused(ws)
            assert error["code"] == "rate_limited" and close == 1008

    run(go())


def test_a_full_queue_is_an_event_and_the_connection_stays_open() -> None:
    settings = Settings(
        engines=["hibari"],
        engine_options={"hibari": {"workers": 1, "max_batch_size": 1}},
        queue_size=1,
        admission_control=False,
        request_timeout_s=600,
    )

    async def go(server: RunningServer) -> None:
        async with session(server, cache=False) as busy, session(server, cache=False) as ws:
            await event(busy)
            await event(ws)
            await busy.send(json.dumps({"type": "text", "text": SIX}))  # fills the queue
            await busy.send(json.dumps({"type": "flush"}))
            while not isinstance(await busy.recv(), bytes):
                pass
            async with asyncio.timeout(10):  # its next pieces queue once its first is made
                while queue_depth(server) < 1:  # noqa: ASYNC110 (another thread's loop: polled)
                    await asyncio.sleep(0.001)
            # The busy stream's pieces refill the one place in the queue as the worker frees
            # it; a piece may slip into the moment between: then it is spoken, and the next is
            # tried (each a segment of its own).
            spoken = 0
            while True:
                await ws.send(json.dumps({"type": "text", "text": "Is there room for me?"}))
                await ws.send(json.dumps({"type": "flush"}))
                got = await event(ws)
                if got["type"] == "error":
                    break
                assert got["type"] == "segment.start" and spoken < 10, got
                while (await event(ws))["type"] != "segment.end":
                    pass
                spoken += 1
            assert not got["fatal"] and got["segment"] == spoken, got
            assert got["error"]["code"] == "queue_full"
            await busy.send(json.dumps({"type": "cancel"}))
            while (await event(busy))["type"] != "cancelled":
                pass
            await ws.send(json.dumps({"type": "text", "text": "Now there is."}))
            await ws.send(json.dumps({"type": "close"}))
            events, audio = await until_done(ws)
            assert [e["type"] for e in events] == ["segment.start", "segment.end", "done"], events
            assert len(audio) > 0
        # The busy stream's own later sentences waited for room instead of failing.

    with serve(settings) as server:
        run(go(server))


def test_a_streamed_http_request_speaks_its_first_clause_on_its_own(server: RunningServer) -> None:
    """POST /v1/audio/speech with streaming: the first segment is the first clause (its own
    audio event), later segments whole sentences; a whole-file request is read as before."""
    text = "When the first sentence runs long, the listener should not wait for all of it. Then more."
    body = {"model": "hibari", "voice": "heart", "input": text, "response_format": "pcm", "cache": False}
    with httpx.Client(base_url=server.url, timeout=120) as client:
        sse = client.post("/v1/audio/speech", json={**body, "stream_format": "sse"})
        whole = client.post("/v1/audio/speech", json=body)
    deltas = [
        base64.b64decode(json.loads(line[6:])["audio"])
        for line in sse.text.splitlines()
        if line.startswith("data: ") and '"speech.audio.delta"' in line
    ]
    assert len(deltas) == 3  # "When the first sentence runs long," | the rest of it | "Then more."
    streamed = sum(len(d) for d in deltas)
    assert abs(streamed - len(whole.content)) / len(whole.content) < 0.15


def test_the_openapi_description_names_the_route(server: RunningServer) -> None:
    schema = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    assert "/v1/audio/speech/stream" in schema["info"]["description"]


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac"])
def test_compressed_audio_is_one_whole_stream_per_turn(server: RunningServer, fmt: str) -> None:
    """Each turn's bytes decode on their own, to the audio its segments announced: the codec's
    held-back tail is sent before the turn's last segment.end, not with the next turn."""
    from clarion.audio.decode import decode

    async def go() -> tuple[dict[str, Any], list[tuple[bytes, float]]]:
        turns: list[tuple[bytes, float]] = []
        async with session(server, response_format=fmt) as ws:
            ready = await event(ws)
            for text in ("The first turn is short.", "Then a second turn follows it."):
                await ws.send(json.dumps({"type": "text", "text": text}))
                await ws.send(json.dumps({"type": "flush"}))
                audio, seconds = bytearray(), 0.0
                while True:
                    message = await asyncio.wait_for(ws.recv(), 60)
                    if isinstance(message, bytes):
                        audio += message
                        continue
                    got = json.loads(message)
                    assert got["type"] in ("segment.start", "segment.end"), got
                    if got["type"] == "segment.end":
                        seconds += got["audio_seconds"]
                        break  # one segment a turn: each text is one short sentence
                turns.append((bytes(audio), seconds))
            await ws.send(json.dumps({"type": "close"}))
            events, rest = await until_done(ws)
            assert events[-1]["type"] == "done" and rest == b""
        return ready, turns

    ready, turns = run(go())
    assert ready["format"] == fmt
    for data, seconds in turns:
        audio, rate = decode(data)
        assert rate == (48000 if fmt == "opus" else ready["sample_rate"])  # Opus always decodes at 48 kHz
        assert abs(len(audio) / rate - seconds) < 0.15, (len(audio) / rate, seconds)
        assert rms(audio) > 0.01

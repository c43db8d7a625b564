"""``clarion bench --ws``: drive ``WS /v1/audio/speech/stream`` the way an LLM does.

Each text is cut into word tokens sent at ``--token-rate`` tokens per second; then a
``close``. Per stream: time to first audio from the first token, and from the token that
ends the first sentence (negative when the server spoke the first clause before the
sentence was complete), the total, and gaps: audio arriving after what came before it has
finished playing (the same playback model as the HTTP underruns)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from clarion.bench.client import OpenAITarget, Reply
from clarion.bench.stats import playback

# A token: optional spaces, then one CJK character or punctuation mark, or a run of
# anything else that is not a space ("Hello," or " world.").
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_TOKEN = re.compile(rf"\s*(?:[{_CJK}]|[^\s{_CJK}]+)")
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’)\]」』]*$")


def tokens(text: str) -> list[str]:
    """``text`` as an LLM would stream it: a word (or a CJK character) a token, the space
    before a word kept with it, so the tokens join back into the text."""
    found = _TOKEN.findall(text)
    if found:
        found[-1] += text[len("".join(found)) :]  # trailing spaces
    return found


def first_sentence_end(parts: list[str]) -> int:
    """The index of the token that ends the first sentence (the last token if none does)."""
    for i, part in enumerate(parts):
        if _SENTENCE_END.search(part.rstrip()):
            return i
    return len(parts) - 1


class WsTarget(OpenAITarget):
    """The socket of a Clarion server; the voice (when not given) is found over HTTP."""

    kind = "ws"

    def __init__(self, url: str, *, token_rate: float = 30.0, timeout_s: float = 120.0, **kw: Any) -> None:
        super().__init__(url, fmt="pcm", stream=True, **kw)
        self.pcm_rate = self.pcm_rate or 24_000  # prepare() need not ask; "ready" tells the rate
        self.token_rate = token_rate
        self.timeout_s = timeout_s

    @property
    def ws_url(self) -> str:
        return re.sub(r"^http", "ws", self.url) + "/v1/audio/speech/stream"

    def settings(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "voice": self.voice or "alloy", "cache": self.cache}
        if self.api_key:
            out["api_key"] = self.api_key
        return out

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "kind": self.kind, "token_rate": self.token_rate}


@dataclass
class _Stream:
    rate: int = 24_000
    first_audio: float | None = None
    arrivals: list[tuple[float, float]] = field(default_factory=list)
    error: str | None = None


async def send_ws(
    client: httpx.AsyncClient, target: WsTarget, text: str, scheduled: float, origin: float
) -> Reply:
    """One stream: ``text`` as tokens, then ``close``; all times from the first token.
    ``client`` is unused (the signature is ``client.send``'s)."""
    parts = tokens(text)
    sentence_end = first_sentence_end(parts)
    got = _Stream()
    start = time.perf_counter()
    sentence_sent = start
    due = scheduled - origin

    async def read(ws: Any) -> None:
        while True:
            message = await asyncio.wait_for(ws.recv(), target.timeout_s)
            now = time.perf_counter()
            if isinstance(message, bytes):
                got.first_audio = got.first_audio or now
                got.arrivals.append((now, len(message) / 2 / got.rate))
                continue
            event = json.loads(message)
            if event["type"] == "error":
                got.error = got.error or str(event["error"].get("code") or event["error"].get("type"))
            if event["type"] == "done" or event.get("fatal"):
                return

    try:
        async with connect(target.ws_url, max_size=None, open_timeout=target.timeout_s) as ws:
            await ws.send(json.dumps(target.settings()))
            ready = json.loads(await asyncio.wait_for(ws.recv(), target.timeout_s))
            if ready["type"] != "ready":
                error = ready.get("error", {})
                return Reply(due, str(error.get("code") or "refused"), None, 0.0, 0.0, len(text))
            got.rate = int(ready["sample_rate"])
            reader = asyncio.create_task(read(ws))
            start = time.perf_counter()
            for i, part in enumerate(parts):
                await asyncio.sleep(max(0.0, start + i / target.token_rate - time.perf_counter()))
                if reader.done():
                    break  # a fatal error: the server has closed
                await ws.send(json.dumps({"type": "text", "text": part}))
                if i == sentence_end:
                    sentence_sent = time.perf_counter()
            if not reader.done():
                await ws.send(json.dumps({"type": "close"}))
            await reader
    except (OSError, TimeoutError, WebSocketException) as e:
        return Reply(due, type(e).__name__, None, time.perf_counter() - start, 0.0, len(text))
    end = time.perf_counter()
    audio = sum(seconds for _, seconds in got.arrivals)
    if got.error is None and audio <= 0:
        got.error = "no audio"
    first = got.first_audio
    heard = playback(got.arrivals)
    return Reply(
        due,
        got.error,
        None if first is None else first - start,
        end - start,
        audio,
        len(text),
        heard.underruns,
        heard.stall_s,
        heard.max_stall_s,
        ttfa_sentence_s=None if first is None else first - sentence_sent,
    )

"""POST /v1/audio/speech and GET /v1/tts against a real server on loopback, through the
official OpenAI SDK where it covers the call."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from clarion.audio.decode import decode
from clarion.config import Settings
from tests.asr import transcribe, wer
from tests.server import RunningServer, serve
from tests.signals import rms

SENTENCE = "The quick brown fox jumps over the lazy dog."
PARAGRAPH = (
    "Clarion serves open models. It batches requests from many users. "
    "It streams audio as soon as the first sentence is ready. "
    "Long texts are split into sentences, never truncated. Every format decodes."
)
FORMATS = ["mp3", "opus", "aac", "flac", "wav", "pcm"]


@pytest.fixture(scope="module")
def server(kokoro_models_dir: Path) -> Iterator[RunningServer]:
    # A long deadline: admission control learns its costs from the first syntheses, which on a
    # loaded CI machine can be slow enough to refuse a Mandarin sentence; not what is tested here.
    settings = Settings(
        engines=["hibari", "kokoro"],
        models_dir=kokoro_models_dir,
        max_input_chars=5000,
        request_timeout_s=600,
    )
    with serve(settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="not-needed", max_retries=0)


def audio_of(data: bytes, fmt: str, rate: int = 24000) -> tuple[np.ndarray, int]:
    if fmt == "pcm":
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0, rate
    return decode(data, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_decodes_to_plausible_speech(client: openai.OpenAI, fmt: str) -> None:
    resp = client.audio.speech.create(model="hibari", voice="heart", input=SENTENCE, response_format=fmt)  # type: ignore[arg-type]
    samples, rate = audio_of(resp.content, fmt)
    seconds = len(samples) / rate
    assert 1.5 < seconds < 6.0, seconds  # ~44 characters of English
    assert rms(samples) > 0.01


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_bytes_decode_to_the_same_length_as_whole(client: openai.OpenAI, fmt: str) -> None:
    whole = client.audio.speech.create(model="hibari", voice="heart", input=PARAGRAPH, response_format=fmt)  # type: ignore[arg-type]
    with client.audio.speech.with_streaming_response.create(
        model="hibari",
        voice="heart",
        input=PARAGRAPH,
        response_format=fmt,
        extra_body={"stream": True},  # type: ignore[arg-type]
    ) as streamed:
        parts = list(streamed.iter_bytes())
        assert streamed.headers.get("content-length") is None  # chunked, not buffered
    a, ra = audio_of(whole.content, fmt)
    b, rb = audio_of(b"".join(parts), fmt)
    assert ra == rb
    assert abs(len(a) - len(b)) / ra < 0.08, (len(a), len(b))
    assert rms(b) > 0.01


def test_mandarin_through_the_api(client: openai.OpenAI) -> None:
    text = "今天天气很好，我们一起去公园散步吧。"
    resp = client.audio.speech.create(model="kokoro", voice="zf_xiaoxiao", input=text, response_format="wav")
    samples, rate = decode(resp.content, "wav")
    assert 0.12 * len(text) < len(samples) / rate < 0.6 * len(text)
    assert rms(samples) > 0.01


def test_a_markdown_reply_is_heard_as_its_words(client: openai.OpenAI) -> None:
    """What a language model writes, sent as it comes: the listener hears the words, not
    "hash", "asterisk" or "party popper"."""
    reply = "## Next steps\n\n1. Open the **Settings** page.\n2. Choose *Privacy* 🎉\n\n> Then tap `Save`."
    resp = client.audio.speech.create(model="kokoro", voice="af_heart", input=reply, response_format="wav")
    samples, rate = decode(resp.content, "wav")
    heard = transcribe(samples, rate).lower()
    assert not any(mark in heard for mark in ("hash", "asterisk", "party", "popper", "backtick")), heard
    said = "Next steps. One, open the Settings page. Two, choose Privacy. Then tap Save."
    assert wer(said, heard) <= 0.25, heard


def test_auto_model_picks_the_engine_by_voice(client: openai.OpenAI, server: RunningServer) -> None:
    resp = client.audio.speech.with_raw_response.create(
        model="tts-1", voice="zf_xiaoxiao", input="你好，世界。", response_format="wav"
    )
    assert resp.headers["x-clarion-engine"] == "kokoro"
    resp = client.audio.speech.with_raw_response.create(
        model="tts-1", voice="heart", input="Hi.", response_format="wav"
    )
    assert resp.headers["x-clarion-engine"] == "hibari"


def test_output_sample_rate_is_resampled(server: RunningServer) -> None:
    r = httpx.post(
        f"{server.url}/v1/audio/speech",
        json={
            "model": "hibari",
            "voice": "heart",
            "input": SENTENCE,
            "response_format": "wav",
            "sample_rate": 16000,
        },
        timeout=60,
    )
    assert r.status_code == 200
    samples, rate = decode(r.content, "wav")
    assert rate == 16000
    assert 1.5 < len(samples) / rate < 6.0


def test_speed_changes_duration(server: RunningServer) -> None:
    def seconds(speed: float) -> float:
        body = {
            "model": "hibari",
            "voice": "heart",
            "input": SENTENCE,
            "response_format": "wav",
            "speed": speed,
        }
        r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)
        assert r.status_code == 200, r.text
        samples, rate = decode(r.content, "wav")
        return len(samples) / rate

    normal, fast, very_fast = seconds(1.0), seconds(1.5), seconds(4.0)
    assert fast < normal * 0.85
    # 4x is past hibari's native range: the rest is time-stretched.
    assert very_fast < normal * 0.4


def test_sse_stream_carries_base64_audio_and_usage(server: RunningServer) -> None:
    body = {
        "model": "hibari",
        "voice": "heart",
        "input": PARAGRAPH,
        "response_format": "pcm",
        "stream_format": "sse",
    }
    events = []
    with httpx.stream("POST", f"{server.url}/v1/audio/speech", json=body, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    deltas = [e for e in events if e["type"] == "speech.audio.delta"]
    assert len(deltas) >= 4  # one per sentence at least
    assert events[-1]["type"] == "speech.audio.done"
    pcm = b"".join(base64.b64decode(e["audio"]) for e in deltas)
    seconds = len(pcm) / 2 / 24000
    usage = events[-1]["usage"]
    assert usage["characters"] == len(PARAGRAPH)
    assert usage["audio_seconds"] == pytest.approx(seconds, abs=0.01)


def test_quick_get_route(server: RunningServer) -> None:
    r = httpx.get(
        f"{server.url}/v1/tts", params={"text": "Hello from a plain GET.", "format": "wav"}, timeout=60
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "audio/wav"
    samples, rate = decode(r.content, "wav")
    assert len(samples) / rate > 0.8


def test_quick_get_caps_input(server: RunningServer) -> None:
    r = httpx.get(f"{server.url}/v1/tts", params={"text": "word " * 1000}, timeout=60)
    assert r.status_code == 413
    assert "limit" in r.json()["error"]["message"]


def test_long_text_is_never_truncated(client: openai.OpenAI) -> None:
    one = client.audio.speech.create(
        model="hibari", voice="heart", input="Count with me.", response_format="wav"
    )
    many = client.audio.speech.create(
        model="hibari", voice="heart", input=" ".join(["Count with me."] * 40), response_format="wav"
    )
    a, _ = decode(one.content, "wav")
    b, _ = decode(many.content, "wav")
    assert len(b) / len(a) > 30  # every one of the 40 sentences is spoken


def test_chinese_sentences_in_an_english_request_are_routed_to_a_mandarin_voice(
    server: RunningServer,
) -> None:
    # CLARION_LANGUAGE_VOICES defaults zh to zf_xiaoxiao: the English voice keeps the English
    # sentence and Kokoro reads the Chinese one, at the request's sample rate.
    body = {"model": "hibari", "voice": "heart", "input": "Hello there.", "response_format": "wav"}
    alone = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)
    body["input"] = "Hello there. 今天天气很好，我们去公园散步。"
    mixed = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)
    assert mixed.status_code == 200, mixed.text
    a, rate = decode(alone.content, "wav")
    b, rate_b = decode(mixed.content, "wav")
    assert rate == rate_b == 24000
    assert len(b) - len(a) > 1.5 * rate  # ~12 Chinese characters spoken, not dropped
    tail = b[len(a) :]
    assert rms(tail) > 0.01


def test_letters_the_voice_would_spell_out_are_refused_with_what_to_do(client: openai.OpenAI) -> None:
    # An English voice would read these as "Arabic letter meem, Arabic letter ra..." for 9 s.
    with pytest.raises(openai.BadRequestError) as refused:
        client.audio.speech.create(model="kokoro", voice="af_heart", input="Say مرحبا بالعالم to them.")
    error = refused.value.body
    assert isinstance(error, dict)
    assert (error["code"], error["param"]) == ("unsupported_language", "input")
    assert "Arabic letters ('مرحبا بالعالم')" in error["message"] and "transliterate" in error["message"]
    # Devanagari: Kokoro's Hindi voices read it, and the refusal names them.
    with pytest.raises(openai.BadRequestError, match="hf_alpha"):
        client.audio.speech.create(model="kokoro", voice="af_heart", input="नमस्ते दुनिया")
    hindi = client.audio.speech.create(
        model="kokoro", voice="hf_alpha", input="नमस्ते दुनिया", response_format="wav"
    )
    audio, rate = decode(hindi.content, "wav")
    assert len(audio) / rate > 0.5 and rms(audio) > 0.01
    # Greek letters in English are read by name, as meant.
    greek = client.audio.speech.create(
        model="hibari", voice="heart", input="Set α to two.", response_format="wav"
    )
    assert len(decode(greek.content, "wav")[0]) > 0


def test_voice_mixes_resolve_to_a_canonical_blend(server: RunningServer) -> None:
    def speak(model: str, voice: str) -> httpx.Response:
        body = {"model": model, "voice": voice, "input": "Blend.", "response_format": "wav"}
        return httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=60)

    r = speak("kokoro", "af_heart(7)+af_bella(3)")
    assert r.status_code == 200 and r.headers["x-clarion-voice"] == "af_heart(0.7)+af_bella(0.3)"
    auto = speak("tts-1", "af_heart+zf_xiaoxiao")  # any engine that has both and can mix
    assert auto.headers["x-clarion-engine"] == "kokoro"
    assert auto.headers["x-clarion-voice"] == "af_heart(0.5)+zf_xiaoxiao(0.5)"
    for model, voice, needle in [
        ("kokoro", "af_heart+nobody", "'nobody'"),
        ("kokoro", "af_heart(0)+af_bella", "above 0"),
        ("kokoro", "af_heart(x)+af_bella", "cannot read"),
        ("kokoro", "a+b+c+d+e", "1 to 4 voices"),
        ("hibari", "heart+heart", "cannot mix voices"),
    ]:
        bad = speak(model, voice)
        assert bad.status_code == 400, (voice, bad.text)
        assert needle in bad.json()["error"]["message"]


def test_every_current_openai_voice_name_maps_to_a_kokoro_voice(client: openai.OpenAI) -> None:
    names = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")
    names += ("verse", "marin", "cedar")
    served = {}
    for name in names:
        r = client.audio.speech.with_raw_response.create(
            model="tts-1",
            voice=name,
            input="Hi.",
            response_format="wav",  # type: ignore[arg-type]
        )
        assert r.headers["x-clarion-engine"] == "kokoro", name
        served[name] = r.headers["x-clarion-voice"]
    assert served["marin"] == "af_bella" and served["cedar"] == "am_fenrir"
    assert served["nova"] == "af_nova"  # the pack of the same name where there is one


def test_stream_default_streams_what_an_openai_client_sends(kokoro_models_dir: Path) -> None:
    """With CLARION_STREAM_DEFAULT a request without 'stream' comes chunked, as from OpenAI's
    endpoint; one that says 'stream': false still gets a whole file with its length."""
    settings = Settings(engines=["hibari"], models_dir=kokoro_models_dir, stream_default=True)
    with serve(settings) as running:
        client = openai.OpenAI(base_url=f"{running.url}/v1", api_key="not-needed", max_retries=0)
        with client.audio.speech.with_streaming_response.create(
            model="hibari", voice="heart", input=PARAGRAPH, response_format="wav"
        ) as streamed:
            assert streamed.headers.get("content-length") is None
            parts = list(streamed.iter_bytes())
        samples, rate = decode(b"".join(parts), "wav")
        assert len(samples) / rate > 5.0  # the whole paragraph, not its first sentence
        whole = httpx.post(
            f"{running.url}/v1/audio/speech",
            json={"model": "hibari", "voice": "heart", "input": SENTENCE, "response_format": "wav"}
            | {"stream": False},
        )
        assert whole.status_code == 200
        assert whole.headers["content-length"] == str(len(whole.content))
        assert len(decode(whole.content, "wav")[0]) > 0

"""The web page in a real headless chromium against a real Clarion (hibari) on loopback:
speak with streamed playback in every format, the normaliser preview, errors in words,
voice upload, a batch zip, the live panel, and screenshots at desktop and phone widths."""

from __future__ import annotations

import base64
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from clarion.audio.decode import decode
from clarion.config import Settings
from clarion.engines.base import Audio, Capabilities, EngineExtras, Segment
from clarion.engines.chatterbox import ChatterboxExtras
from clarion.engines.hibari import HibariEngine
from clarion.engines.indextts import IndexTTSExtras
from clarion.engines.null import NullEngine
from tests.server import RunningServer, serve
from tests.web.conftest import PHONE, Tab, events, record_sockets

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
expect = sync_api.expect
expect.set_options(timeout=30_000)  # synthesis on a busy 2-core machine, not a UI delay

LONG_TEXT = " ".join(
    f"This is sentence number {n} of a longer passage, read aloud while the rest is still being made."
    for n in range(1, 6)
)

# Figures in the live panel once requests have been served.
_MS = re.compile(r"^\d+(\.\d)? (ms|s)$")
_RATIO = re.compile(r"^\d+\.\d{3}$")

# Decodes bytes with the browser's own decoder: the audio is playable, not merely present.
DECODE_IN_PAGE = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const audio = await new OfflineAudioContext(1, 1, 24000).decodeAudioData(bytes.buffer);
  const x = audio.getChannelData(0);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return { duration: audio.duration, rms: Math.sqrt(sum / Math.max(1, x.length)) };
}"""

PLAYER_STATE = """() => {
  const a = document.querySelector('#player');
  return {
    duration: a.duration, error: a.error ? a.error.code : null, readyState: a.readyState,
    src: a.currentSrc, ...a.dataset,
  };
}"""


class ClonerEngine(NullEngine):
    """Stands in for a cloning engine (none runs on this machine): its model card says
    cloning, so the page offers uploaded clips as its voices; the sound is the null tone."""

    name = "cloner"
    capabilities = Capabilities(languages=("en",), max_batch_size=8, batch_axis=True, cloning=True)


class ExpressiveEngine(NullEngine):
    """The null tone under IndexTTS-2's own extras schema (emotion vector, text and reference,
    sampling), recording the extras and seed each segment reaches it with."""

    name = "expressive"
    request_extras: ClassVar[type[EngineExtras]] = IndexTTSExtras
    seen: ClassVar[list[tuple[dict[str, Any], int | None]]] = []

    def synthesize(self, batch: Sequence[Segment]) -> list[Audio]:
        type(self).seen.extend((dict(s.extras), s.seed) for s in batch)
        return super().synthesize(batch)


class ExaggeratingEngine(ExpressiveEngine):
    """The same under Chatterbox's schema (exaggeration, CFG weight, sampling)."""

    name = "exaggerating"
    request_extras: ClassVar[type[EngineExtras]] = ChatterboxExtras
    seen: ClassVar[list[tuple[dict[str, Any], int | None]]] = []


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    settings = Settings(
        engines=["hibari"],
        data_dir=tmp_path_factory.mktemp("clarion-data"),
        batch_inline_max_items=2,  # so that three lines make a job on disk, polled by the page
    )
    engines = {
        "hibari": HibariEngine(settings),
        "cloner": ClonerEngine(settings),
        "expressive": ExpressiveEngine(settings),
        "exaggerating": ExaggeratingEngine(settings),
    }
    with serve(settings, engines) as running:
        yield running


@pytest.fixture(scope="module")
def reference_wav(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few seconds of real speech to upload as a reference clip."""
    clip = httpx.post(
        f"{server.url}/v1/audio/speech",
        json={
            "model": "hibari",
            "voice": "heart",
            "response_format": "wav",
            "input": "This is my reference voice, read clearly for a few seconds.",
        },
    )
    clip.raise_for_status()
    path = tmp_path_factory.mktemp("clips") / "reference.wav"
    path.write_bytes(clip.content)
    return path


def loaded(tab: Tab) -> Any:
    """The page once its pickers are filled from the API."""
    page = tab.page
    expect(page.locator("#voice option[value='heart']")).to_have_count(1)
    return page


def speak(
    tab: Tab, text: str, fmt: str = "mp3", engine: str = "hibari", voice: str = "heart"
) -> dict[str, Any]:
    page = tab.page
    expect(page.locator(f"#engine option[value='{engine}']")).to_have_count(1)
    page.get_by_label("Engine", exact=True).select_option(engine)
    expect(page.locator(f"#voice option[value='{voice}']")).to_have_count(1)
    page.get_by_label("Voice", exact=True).select_option(voice)
    page.get_by_label("Format", exact=True).select_option(fmt)
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(page.locator("#player")).to_have_attribute("data-ready", "true")
    expect(page.locator("#speak-error")).to_be_hidden()
    state: dict[str, Any] = page.evaluate(PLAYER_STATE)
    return state


def download(page: Any, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name, exact=True).click()
    dl = info.value
    return dl.suggested_filename, Path(dl.path()).read_bytes()


def decoded_in_page(page: Any, data: bytes) -> dict[str, float]:
    result: dict[str, float] = page.evaluate(DECODE_IN_PAGE, base64.b64encode(data).decode("ascii"))
    return result


def test_page_and_assets_are_served_with_a_strict_policy(server: RunningServer) -> None:
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert 'src="web/app.js"' in page.text and "<script>" not in page.text  # no inline script
    assert '<meta name="clarion-api-keys" content="optional">' in page.text  # no key needed here
    js = httpx.get(f"{server.url}/web/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    css = httpx.get(f"{server.url}/web/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    missing = httpx.get(f"{server.url}/web/secrets.txt")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no such page asset: 'secrets.txt'"
    assert httpx.head(f"{server.url}/").status_code == 200
    assert httpx.get(f"{server.url}/docs").status_code == 200  # the API docs stay where they were
    # Nothing from another origin: the machine may be offline, and the policy forbids it.
    for body in (page.text, js.text, css.text):
        assert "http://" not in body and "https://" not in body


@pytest.mark.parametrize(
    ("fmt", "sink"),
    [("mp3", "mediasource"), ("aac", "mediasource"), ("wav", "webaudio"), ("opus", "file")],
)
def test_speak_plays_decodable_audio(open_page: Any, server: RunningServer, fmt: str, sink: str) -> None:
    tab = open_page(f"{server.url}/")
    state = speak(tab, "Hello from the web page. It costs $5 today.", fmt)
    assert state["sink"] == sink
    assert state["error"] is None
    assert math.isfinite(state["duration"]) and 1.0 < state["duration"] < 15.0, state
    assert state["src"].startswith("blob:")
    ttfa = int(state["ttfaMs"])
    assert 0 < ttfa < 10_000
    status = tab.page.locator("#speak-status").inner_text()
    assert f"{ttfa} ms" in status
    name, data = download(tab.page, "Download")
    assert name == f"clarion-heart.{fmt}"
    heard = decoded_in_page(tab.page, data)
    assert abs(heard["duration"] - state["duration"]) < 0.25, (heard, state)
    assert heard["rms"] > 0.01  # speech, not silence


def test_pcm_streams_through_web_audio_and_leaves_a_playable_wav(
    open_page: Any, server: RunningServer
) -> None:
    tab = open_page(f"{server.url}/")
    state = speak(tab, "Raw samples, played as they arrive.", "pcm")
    assert state["sink"] == "webaudio"
    assert math.isfinite(state["duration"]) and state["duration"] > 1.0
    name, data = download(tab.page, "Download")
    assert name == "clarion-heart.pcm"
    # The download is what was asked for, headerless 16-bit PCM, and matches what the player holds.
    assert len(data) % 2 == 0
    assert abs(len(data) / 2 / 24000 - state["duration"]) < 0.05


def test_playback_starts_before_the_whole_text_is_synthesised(open_page: Any, server: RunningServer) -> None:
    tab = open_page(f"{server.url}/")
    state = speak(tab, LONG_TEXT, "mp3")
    assert state["sink"] == "mediasource"
    playing, complete = int(state["playingMs"]), int(state["completeMs"])
    assert int(state["ttfaMs"]) <= playing < complete, state
    assert state["duration"] > 12.0  # five long sentences, all of them in the player


@pytest.mark.parametrize("fmt", ["wav", "pcm"])
def test_the_idle_player_is_hidden_while_web_audio_plays(
    open_page: Any, server: RunningServer, fmt: str
) -> None:
    # Web Audio plays these as they arrive; the <audio> element, which gets the whole file at the
    # end, would sit at 0:00, paused, all along. Stop stands in for it until the sound ends.
    tab = open_page(f"{server.url}/")
    page = loaded(tab)
    player = page.locator("#player")
    stop = page.get_by_role("button", name="Stop", exact=True)
    page.get_by_label("Format", exact=True).select_option(fmt)
    page.get_by_label("Text", exact=True).fill(
        "These words play through Web Audio as they arrive. A second sentence follows the first."
    )
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(player).to_have_attribute("data-playing-ms", re.compile(r"^\d+$"))
    expect(player).to_be_hidden()
    expect(player).to_have_attribute("data-ready", "true")
    expect(player).to_be_hidden()  # the whole file is in, the sound is still playing
    expect(stop).to_be_visible()
    expect(player).to_be_visible()  # the sound has played: the file is there to replay
    expect(stop).to_be_hidden()
    state = page.evaluate(PLAYER_STATE)
    assert math.isfinite(state["duration"]) and state["duration"] > 3.0, state

    # Stop ends Web Audio at once and brings the player back.
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(player).to_have_attribute("data-playing-ms", re.compile(r"^\d+$"))
    expect(player).to_be_hidden()
    stop.click()
    expect(player).to_be_visible()
    expect(stop).to_be_hidden()
    expect(page.locator("#speak-status")).to_have_text("Stopped.")


def test_speak_as_i_type_streams_over_the_socket_and_stop_cancels(
    open_page: Any, server: RunningServer
) -> None:
    page = loaded(open_page(f"{server.url}/"))
    frames = record_sockets(page)
    status = page.locator("#speak-status")
    box = page.get_by_label("Text", exact=True)
    box.fill("Not spoken: typed before. ")
    page.get_by_label("Speak as I type").check()
    expect(status).to_have_text("Speaking as you type: go ahead.")
    box.press_sequentially("Hello there, these words are typed one by one. ", delay=20)
    expect(status).to_have_attribute("data-chunks", re.compile(r"^[1-9]\d*$"))
    expect(status).to_have_text(re.compile(r"^Speaking as you type: \d+ audio chunks? received\.$"))
    settings, *texts = events(frames, "sent")
    assert settings == {"model": "hibari", "voice": "heart", "speed": 1}  # no key on this server
    typed = "".join(t["text"] for t in texts)
    assert typed == "Hello there, these words are typed one by one. "
    assert len(texts) > 3  # word by word, not the whole box at once
    assert any(isinstance(p, bytes) for w, p in frames if w == "got")
    assert {"type": "ready"}.items() <= events(frames, "got")[0].items()

    # A long sentence, then Stop at once: the server is told to cancel, says so, and no
    # audio follows its answer.
    box.press_sequentially(" ".join(["Then a long sentence that goes on and on"] * 4) + ". More. ")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(status).to_have_text(re.compile(r"^Stopped \(\d+ unspoken pieces? dropped\)\.$"))
    assert events(frames, "sent")[-1] == {"type": "cancel"}
    cancelled = next(i for i, (w, p) in enumerate(frames) if w == "got" and '"cancelled"' in str(p))
    page.wait_for_timeout(500)
    assert not [p for w, p in frames[cancelled:] if w == "got" and isinstance(p, bytes)]

    # Off: the socket closes and the Speak button is back.
    page.get_by_label("Speak as I type").uncheck()
    expect(page.get_by_role("button", name="Speak", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_hidden()


def test_normaliser_preview_shows_what_the_engine_reads(open_page: Any, server: RunningServer) -> None:
    page = loaded(open_page(f"{server.url}/"))
    page.get_by_label("Text", exact=True).fill("It costs $5. Call me at 10:30.")
    page.get_by_role("button", name="Preview normalised text").click()
    preview = page.get_by_role("region", name="What the engine will read")
    expect(preview).to_be_visible()
    expect(page.locator("#normalized")).to_contain_text("five dollars")
    expect(page.locator("#normalized")).not_to_contain_text("$")
    expect(page.get_by_role("list", name="Sentences").get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#rules")).to_contain_text("en.currency")


def test_errors_are_shown_in_words(open_page: Any, server: RunningServer) -> None:
    page = loaded(open_page(f"{server.url}/"))
    error = page.locator("#speak-error")
    page.get_by_label("Text", exact=True).fill("   ")
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(error).to_have_text("Type some text to speak first.")

    # A voice the server does not have: the page shows the server's own message, verbatim.
    body = {"model": "hibari", "voice": "no_such_voice", "input": "Hello.", "response_format": "mp3"}
    expected = httpx.post(f"{server.url}/v1/audio/speech", json=body).json()["error"]["message"]
    page.get_by_label("Voice", exact=True).select_option(label="Custom…")
    page.get_by_label("Custom voice", exact=True).fill("no_such_voice")
    page.get_by_label("Text", exact=True).fill("Hello.")
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(error).to_have_text(expected)
    assert "no_such_voice" in expected
    assert "Traceback" not in page.content()
    expect(page.get_by_role("button", name="Speak", exact=True)).to_be_enabled()  # ready for another try


def test_a_validation_error_replaces_the_status_line(open_page: Any, server: RunningServer) -> None:
    tab = open_page(f"{server.url}/")
    page = loaded(tab)
    error, status = page.locator("#speak-error"), page.locator("#speak-status")
    speak(tab, "A first clip.", "mp3")
    expect(status).to_contain_text("complete after")
    page.get_by_label("Text", exact=True).fill(" ")
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(error).to_have_text("Type some text to speak first.")
    expect(status).to_have_text("")  # not "Time to first audio: …" under the error

    page.get_by_role("tab", name="Batch").click()
    page.get_by_label("Lines to speak (one file per line)").fill("One line.")
    page.get_by_role("button", name="Run batch").click()
    expect(page.locator("#batch-status")).to_contain_text("Ready: 1 item")
    page.get_by_label("Lines to speak (one file per line)").fill("")
    page.get_by_role("button", name="Run batch").click()
    expect(page.locator("#batch-error")).to_contain_text("Type at least one line")
    expect(page.locator("#batch-status")).to_have_text("")


@pytest.mark.parametrize("text", ["?!...", "😀🎉👍"])
def test_text_with_nothing_to_say_is_refused_in_words_in_every_format(
    open_page: Any, server: RunningServer, text: str
) -> None:
    body = {"model": "hibari", "voice": "heart", "input": text, "response_format": "mp3", "stream": True}
    refused = httpx.post(f"{server.url}/v1/audio/speech", json=body)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "no_speakable_text"
    expected = refused.json()["error"]["message"]
    assert expected.startswith("input has nothing to say")

    tab = open_page(f"{server.url}/")
    page = loaded(tab)
    player, error, status = (page.locator(f"#{id_}") for id_ in ("player", "speak-error", "speak-status"))
    speak_button = page.get_by_role("button", name="Speak", exact=True)
    download_link = page.get_by_role("link", name="Download", exact=True)
    page.get_by_label("Text", exact=True).fill(text)
    for fmt in ("mp3", "opus", "aac", "flac", "wav", "pcm"):
        page.get_by_label("Format", exact=True).select_option(fmt)
        speak_button.click()
        # At once, in the server's words; nothing "playing", no player stuck waiting for audio.
        expect(error).to_have_text(expected, timeout=5_000)
        expect(status).to_have_text("")
        expect(speak_button).to_be_enabled()
        expect(player).to_be_visible()
        assert page.eval_on_selector("#player", "a => a.paused && !a.hasAttribute('src')"), fmt
        expect(player).not_to_have_attribute("data-ready", "true")
        expect(download_link).to_have_attribute("aria-disabled", "true")


def test_upload_a_reference_clip(
    open_page: Any, server: RunningServer, reference_wav: Path, tmp_path: Path
) -> None:
    page = loaded(open_page(f"{server.url}/"))
    page.get_by_role("tab", name="Voices").click()
    page.get_by_label("Voice name", exact=True).fill("web_narrator")
    page.get_by_label("Reference clip", exact=True).set_input_files(str(reference_wav))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-status")).to_contain_text("Uploaded “web_narrator”")
    uploaded = page.get_by_role("list", name="Uploaded voices")
    expect(uploaded).to_contain_text("web_narrator")
    names = [v["name"] for v in httpx.get(f"{server.url}/v1/audio/voices/uploaded").json()["voices"]]
    assert "web_narrator" in names

    # Not audio at all, whatever its name says: refused, and the reason is shown in words.
    fake = tmp_path / "notes.wav"
    fake.write_text("<html><body>not a clip</body></html>", encoding="utf-8")
    refused = httpx.post(
        f"{server.url}/v1/audio/voices",
        data={"name": "web_fake"},
        files={"file": ("notes.wav", fake.read_bytes(), "audio/wav")},
    )
    assert 400 <= refused.status_code < 500
    page.get_by_label("Voice name", exact=True).fill("web_fake")
    page.get_by_label("Reference clip", exact=True).set_input_files(str(fake))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-error")).to_have_text(refused.json()["error"]["message"])

    page.get_by_role("button", name="Delete voice web_narrator").click()
    expect(page.locator("#upload-status")).to_contain_text("Deleted “web_narrator”")
    expect(uploaded).not_to_contain_text("web_narrator")
    names = [v["name"] for v in httpx.get(f"{server.url}/v1/audio/voices/uploaded").json()["voices"]]
    assert "web_narrator" not in names


def test_a_cloning_engine_offers_uploaded_clips_as_voices(
    open_page: Any, server: RunningServer, reference_wav: Path
) -> None:
    r = httpx.post(
        f"{server.url}/v1/audio/voices",
        data={"name": "web_clone", "overwrite": "true"},
        files={"file": ("reference.wav", reference_wav.read_bytes(), "audio/wav")},
    )
    assert r.status_code == 201, r.text
    tab = open_page(f"{server.url}/")
    page = loaded(tab)
    hint = page.get_by_text("This engine can clone a voice")
    expect(hint).to_be_hidden()  # hibari does not clone
    expect(page.locator("#voice option[value='web_clone']")).to_have_count(0)

    page.get_by_label("Engine", exact=True).select_option("cloner")
    expect(hint).to_be_visible()
    expect(page.locator("#voice optgroup[label='Uploaded'] option[value='web_clone']")).to_have_count(1)
    state = speak(tab, "Spoken in the uploaded voice.", "wav", engine="cloner", voice="web_clone")
    assert 0.2 < state["duration"] < 1.0  # the null tone: 10 ms a character

    page.get_by_role("button", name="upload a clip").click()
    expect(page.get_by_role("tabpanel", name="Voices")).to_be_visible()
    expect(page.get_by_label("Voice name", exact=True)).to_be_focused()


EMOTIONS = ("happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm")


def test_engine_controls_follow_the_extras_schema_and_reach_the_engine(
    open_page: Any, server: RunningServer, reference_wav: Path, artifacts: Path
) -> None:
    r = httpx.post(
        f"{server.url}/v1/audio/voices",
        data={"name": "web_emotion", "overwrite": "true"},
        files={"file": ("reference.wav", reference_wav.read_bytes(), "audio/wav")},
    )
    assert r.status_code == 201, r.text
    tab = open_page(f"{server.url}/")
    page = loaded(tab)
    sent: list[dict[str, Any]] = []
    page.on(
        "request", lambda q: sent.append(q.post_data_json) if q.url.endswith("/v1/audio/speech") else None
    )
    controls = page.locator("#extras-box")
    expect(controls).to_be_hidden()  # hibari publishes no extras schema
    expect(page.get_by_label("Seed", exact=True)).to_be_visible()  # every engine takes a seed

    # Chatterbox's schema: a slider, with its number shown, per bounded number.
    page.get_by_label("Engine", exact=True).select_option("exaggerating")
    expect(controls).to_be_visible()
    for label, low, high, default in (("Exaggeration", "0", "2", "0.50"), ("Cfg Weight", "0", "1", "0.50")):
        control = page.get_by_label(label, exact=True)
        expect(control).to_have_attribute("type", "range")
        expect(control).to_have_attribute("min", low)
        expect(control).to_have_attribute("max", high)
        expect(page.locator(f"output[for='{control.get_attribute('id')}']")).to_have_text(default)
    page.get_by_label("Exaggeration", exact=True).fill("1.5")
    speak(tab, "More expressive than usual.", "wav", engine="exaggerating", voice="null")
    assert sent[-1]["extras"] == {"exaggeration": 1.5}  # only what was changed
    assert "seed" not in sent[-1]
    assert ExaggeratingEngine.seen[-1] == ({"exaggeration": 1.5}, None)

    # IndexTTS-2's schema: eight emotion sliders named from its description, a picker of voices
    # for the emotion reference, a text box for the emotion text.
    page.get_by_label("Engine", exact=True).select_option("expressive")
    vector = page.get_by_role("group", name="Emo Vector")
    expect(vector.get_by_role("slider")).to_have_count(8)
    for emotion in EMOTIONS:
        expect(vector.get_by_label(emotion, exact=True)).to_have_attribute("max", "1")
    expect(page.get_by_label("Exaggeration", exact=True)).to_have_count(0)
    expect(page.get_by_label("Emo Voice", exact=True).locator("option[value='web_emotion']")).to_have_count(1)
    expect(page.get_by_label("Emo Text", exact=True)).to_have_attribute("type", "text")
    expect(page.get_by_label("Top K", exact=True)).to_have_attribute("step", "1")
    page.screenshot(path=str(artifacts / "engine-controls.png"), full_page=True)

    page.get_by_label("Temperature", exact=True).fill("1.25")
    vector.get_by_label("angry", exact=True).fill("0.7")
    page.get_by_label("Seed", exact=True).fill("1234")
    speak(tab, "Said with some anger in it.", "wav", engine="expressive", voice="null")
    want = {"temperature": 1.25, "emo_vector": [0, 0.7, 0, 0, 0, 0, 0, 0]}
    assert sent[-1]["extras"] == want and sent[-1]["seed"] == 1234
    assert ExpressiveEngine.seen[-1] == (want, 1234)

    # Two emotion controls at once: the engine's schema refuses it, in its own words.
    page.get_by_label("Emo Voice", exact=True).select_option("web_emotion")
    page.get_by_label("Text", exact=True).fill("Not said.")
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(page.locator("#speak-error")).to_contain_text("use one emotion control at a time")

    # Reset: nothing changed is sent again.
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_label("Seed", exact=True).fill("")
    speak(tab, "Back to the defaults.", "wav", engine="expressive", voice="null")
    assert "extras" not in sent[-1] and "seed" not in sent[-1]
    assert ExpressiveEngine.seen[-1] == ({}, None)

    # Eleven controls still fit a phone's width.
    page.set_viewport_size(PHONE)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways ({width})"
    page.screenshot(path=str(artifacts / "engine-controls-phone.png"), full_page=True)


@pytest.mark.parametrize(
    ("lines", "summary"),
    [
        (["The first line.", "And the second."], "Ready: 2 items"),  # answered with a zip at once
        (
            ["The first line.", "The second, a little longer.", "And the third."],
            "Ready: 3 of 3 items",
        ),  # a job
    ],
    ids=["inline", "job"],
)
def test_batch_downloads_a_zip_with_one_file_per_line(
    open_page: Any, server: RunningServer, lines: list[str], summary: str
) -> None:
    page = loaded(open_page(f"{server.url}/"))
    page.get_by_label("Format", exact=True).select_option("wav")
    page.get_by_role("tab", name="Batch").click()
    page.get_by_label("Lines to speak (one file per line)").fill("\n".join([lines[0], "  ", *lines[1:]]))
    page.get_by_role("button", name="Run batch").click()
    expect(page.locator("#batch-status")).to_contain_text(summary)
    expect(page.locator("#batch-error")).to_be_hidden()
    name, data = download(page, "Download zip")
    assert name == "clarion-batch.zip"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        audio = sorted(n for n in zf.namelist() if n.endswith(".wav"))
        assert len(audio) == len(lines), zf.namelist()  # the blank line is not an item
        for member in audio:
            samples, rate = decode(zf.read(member))
            assert len(samples) / rate > 0.5, member


def test_screenshots_and_live_panel_at_desktop_and_phone_width(
    open_page: Any, server: RunningServer, artifacts: Path
) -> None:
    for label, viewport in (("desktop", None), ("phone", PHONE)):
        tab = open_page(f"{server.url}/", viewport)
        page = tab.page
        speak(tab, "A short sample for the screenshot. It costs $5.", "mp3")
        page.get_by_role("button", name="Preview normalised text").click()
        expect(page.locator("#normalized")).to_contain_text("five dollars")
        # The live panel polls /v1/stats: the requests just made show up in it.
        expect(page.locator("#stat-ttfa-p50")).to_have_text(_MS)
        expect(page.locator("#stat-rtf")).to_have_text(_RATIO)
        expect(page.locator("#server-state")).to_have_text("ready")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{label}: the page scrolls sideways ({width})"
        for control in ("Engine", "Voice", "Format", "Speed", "Text"):
            expect(page.get_by_label(control, exact=True)).to_be_visible()
        page.screenshot(path=str(artifacts / f"{label}.png"), full_page=True)
        assert (artifacts / f"{label}.png").stat().st_size > 10_000
        for name in ("Batch", "Voices"):
            page.get_by_role("tab", name=name).click()
            expect(page.get_by_role("tabpanel", name=name)).to_be_visible()
            page.screenshot(path=str(artifacts / f"{label}-{name.lower()}.png"), full_page=True)

"""The web page on a server with API keys: the page loads without one, asks for a key,
refuses a wrong one in words, works with the right one, and forgets it on sign-out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from clarion.config import Settings
from tests.server import RunningServer, serve
from tests.web.conftest import PHONE, events, record_sockets

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
expect = sync_api.expect
expect.set_options(timeout=30_000)

KEY = "sk-web-0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # The null engine starts at once; what is tested here is the key handling, not speech.
    settings = Settings(
        engines=["null"],
        default_engine="null",
        api_keys=[SecretStr(KEY)],
        data_dir=tmp_path_factory.mktemp("clarion-data"),
    )
    with serve(settings) as running:
        yield running


def test_the_page_needs_no_key_but_the_api_does(server: RunningServer) -> None:
    for path in ("/", "/web/app.js", "/web/style.css"):
        assert httpx.get(f"{server.url}{path}").status_code == 200, path
    page = httpx.get(f"{server.url}/").text
    assert KEY not in page
    assert '<meta name="clarion-api-keys" content="required">' in page  # the page asks for a key first
    assert httpx.get(f"{server.url}/v1/models").status_code == 401
    assert httpx.post(f"{server.url}/", json={}).status_code == 401  # only GET and HEAD are open
    # The API docs open too and take the key through Swagger's Authorize button.
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_key_login(open_page: Any, server: RunningServer, artifacts: Path) -> None:
    tab = open_page(f"{server.url}/", PHONE)
    page = tab.page
    dialog = page.get_by_role("dialog", name="Sign in with an API key")
    expect(dialog).to_be_visible()
    expect(page.locator("#server-state")).to_have_text("ready")  # readiness needs no key
    expect(page.locator("#stats-note")).to_have_text("Sign in to see live statistics.")
    page.screenshot(path=str(artifacts / "phone-login.png"))
    # The page knows a key is needed before it asks the API anything: no request is refused.
    assert not [r for r in tab.requests if " /v1/" in r], tab.requests
    assert not tab.console_errors, tab.console_errors

    page.get_by_label("API key", exact=True).fill("sk-wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#login-error")).to_have_text("That key was refused: invalid API key")
    expect(dialog).to_be_visible()

    page.get_by_label("API key", exact=True).fill(KEY)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#voice option[value='null']")).to_have_count(1)
    # Kept for this tab only unless "remember" was ticked.
    assert page.evaluate("() => sessionStorage.getItem('clarion.apiKey')") == KEY
    assert page.evaluate("() => localStorage.getItem('clarion.apiKey')") is None

    page.get_by_label("Format", exact=True).select_option("wav")
    page.get_by_label("Text", exact=True).fill("Signed in.")
    page.get_by_role("button", name="Speak", exact=True).click()
    expect(page.locator("#player")).to_have_attribute("data-ready", "true")
    expect(page.locator("#stat-requests")).to_have_text("1")  # the live panel is fed with the key too

    page.get_by_role("button", name="Sign out").click()
    expect(dialog).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('clarion.apiKey')") is None

    # A reload after "remember" keeps the key; the API is asked with it at once.
    page.get_by_label("API key", exact=True).fill(KEY)
    page.get_by_label("Remember on this device").check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(dialog).to_be_hidden()
    page.reload()
    expect(page.locator("#voice option[value='null']")).to_have_count(1)
    expect(dialog).to_be_hidden()


def test_speak_as_i_type_sends_the_key_in_the_settings(open_page: Any, server: RunningServer) -> None:
    tab = open_page(f"{server.url}/")
    page = tab.page
    frames = record_sockets(page)
    page.get_by_label("API key", exact=True).fill(KEY)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#voice option[value='null']")).to_have_count(1)
    page.get_by_label("Speak as I type").check()
    page.get_by_label("Text", exact=True).press_sequentially("Keys travel in the settings. ")
    expect(page.locator("#speak-status")).to_have_attribute("data-chunks", re.compile(r"^[1-9]\d*$"))
    settings = events(frames, "sent")[0]
    assert settings["api_key"] == KEY and settings["model"] == "null"

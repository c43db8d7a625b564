"""A real headless browser for the web page tests: Debian's chromium driven by Playwright.

Playwright's own browser downloads are never used (the machine is offline); the tests skip,
saying why, when /usr/bin/chromium or the playwright package is missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots and other things a person may want to look at after a run (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / ".cache" / "artifacts" / "web"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# Per module, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is started, which would break the async tests of other modules.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: Debian's chromium, installed by scripts/system-deps.sh")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Tab:
    """A page in a fresh browser context, with what went wrong inside it recorded."""

    page: Any
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)  # e.g. "Failed to load resource: ... 401"
    requests: list[str] = field(default_factory=list)  # "METHOD path", in the order sent


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """open_page(url, viewport=DESKTOP) -> Tab. Fails the test on an uncaught script error
    or a Content-Security-Policy violation (inline code, a foreign origin)."""
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def opener(url: str, viewport: dict[str, int] | None = None) -> Tab:
        context = browser.new_context(viewport=viewport or DESKTOP, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        tab = Tab(page)
        page.on("pageerror", lambda e: tab.page_errors.append(str(e)))
        page.on(
            "console",
            lambda m: tab.csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: tab.requests.append(f"{r.method} {urlsplit(r.url).path}"))
        page.goto(url)
        tabs.append(tab)
        return tab

    yield opener
    for context in contexts:
        context.close()
    for tab in tabs:
        assert not tab.page_errors, f"uncaught errors in the page: {tab.page_errors}"
        assert not tab.csp_violations, f"CSP violations: {tab.csp_violations}"


def record_sockets(page: Any) -> list[tuple[str, Any]]:
    """Every WebSocket frame the page sends ("sent") and gets ("got"), in order."""
    frames: list[tuple[str, Any]] = []

    def on_socket(ws: Any) -> None:
        ws.on("framesent", lambda payload: frames.append(("sent", payload)))
        ws.on("framereceived", lambda payload: frames.append(("got", payload)))

    page.on("websocket", on_socket)
    return frames


def events(frames: list[tuple[str, Any]], way: str) -> list[dict[str, Any]]:
    return [json.loads(p) for w, p in frames if w == way and isinstance(p, str)]

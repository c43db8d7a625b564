"""Addresses on the web and in code: e-mail, URLs, bare domains and file names (spelt with
symbol names, digits one by one), IP addresses, hexadecimal literals, keyboard shortcuts,
snake_case identifiers, @handles, #hashtags, "#" before a code, and $cashtags.
"""

from __future__ import annotations

import re

from clarion.text.en.words import _ONES, _cardinal, _digits, _pad
from clarion.text.types import Rule

# --------------------------------------------------------------------------- URLs / e-mail

_URL_SYMBOLS = {
    ".": "dot", "/": "slash", "-": "dash", "_": "underscore", ":": "colon", "?": "question mark",
    "=": "equals", "&": "and", "#": "hash", "@": "at", "%": "percent", "~": "tilde", "+": "plus",
}  # fmt: skip
_URL_TOKEN = re.compile(r"[A-Za-z]++|[0-9]++|.", re.S)


def _spell_address(addr: str) -> str:
    words: list[str] = []
    for tok in _URL_TOKEN.findall(addr):
        if tok[0].isascii() and tok[0].isalpha():
            words.append(" ".join(tok) if tok.lower() == "www" else tok)
        elif tok[0].isascii() and tok[0].isdigit():
            words.append(_digits(tok))
        elif tok in _URL_SYMBOLS:
            words.append(_URL_SYMBOLS[tok])
        elif not tok.isspace():
            words.append(tok)
    return " ".join(words)


_URL = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"]++", re.I)
_TLD = r"(?:com|org|net|edu|gov|io|co|uk|us|de|fr|ai|dev|app|info|biz|me|ca|au|jp|cn|tv|ly)"
# "example.com/help", "example.com:8080/x", "localhost:3000": a host, its port and path.
_DOMAIN = re.compile(
    r"(?<![\w.@/-])(?:(?:[a-z0-9_-]++\.(?=[a-z0-9]))++" + _TLD + r"(?![\w-])|localhost(?=:[0-9]))"
    r"(?::[0-9]{2,5}(?![0-9]))?(?:/[^\s<>\"]*+)?",
    re.I,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++", re.A)
_TRAIL = ".,;:!?)]}'\""


def _url(m: re.Match[str]) -> str:
    raw = m.group(0)
    stripped = raw.rstrip(_TRAIL)
    tail = raw[len(stripped) :]
    body = re.sub(r"^https?://", "", stripped, flags=re.I).rstrip("/")
    if not body:
        return raw
    return _pad(m, _spell_address(body), end=m.start() + len(stripped)) + tail


def _email(m: re.Match[str]) -> str:
    return _pad(m, _spell_address(m.group(0)))


# --------------------------------------------------------------------------- chat and signs

_HANDLE = re.compile(r"(?<![\w@.])@(?=[A-Za-z_][\w]*+)")
_HASHTAG = re.compile(r"(?<![\w&#])#(?=[A-Za-z][\w]*+)")
# "#A12345", "#B-12", "#A1B2C3": "#" before a code (capitals and digits) is "number", not a hashtag.
_HASH_CODE = re.compile(
    r"(?<![\w&#])#\s?(?=[A-Z]{1,3}-?[0-9]{2,}+(?![A-Za-z])|[A-Z]{1,3}[0-9]++[A-Z][A-Z0-9]*+(?![A-Za-z0-9]))"
)
# "192.168.1.1": an IP address is read digit by digit with "dot".
_IP = re.compile(r"(?<![\w.])(?:[0-9]{1,3}+\.){3}[0-9]{1,3}+(?![\w]|\.[0-9])")
# "Ctrl+C", "Cmd+Shift+P", "Alt+F4": keys pressed together.
_KEYS = re.compile(
    r"(?<![\w+⌘⌥⇧⌃])(?:(?:Ctrl|CTRL|Cmd|CMD|Alt|ALT|Shift|SHIFT|Option|Opt|Win|Fn)\+|[⌘⌥⇧⌃]\+?)++"
    r"(?:F[0-9]{1,2}|[A-Za-z0-9]|Tab|Enter|Return|Esc|Delete|Del|Space|Backspace|Home|End|Insert)(?![\w+])"
)
_KEY_NAMES = {
    "ctrl": "control", "cmd": "command", "alt": "alt", "shift": "shift", "option": "option",
    "opt": "option", "win": "windows", "fn": "function", "esc": "escape", "del": "delete",
    "⌘": "command", "⌥": "option", "⇧": "shift", "⌃": "control",
}  # fmt: skip


def _keys(m: re.Match[str]) -> str:
    words = []
    for key in re.split(r"\+|(?<=[⌘⌥⇧⌃])", m.group(0)):
        name = _KEY_NAMES.get(key.lower())
        if name:
            words.append(name)
        elif key[0] == "F" and key[1:].isdigit():
            words.append(f"F {_cardinal(key[1:])}")
        else:
            words.append(key.upper() if len(key) == 1 else key)
    return _pad(m, " plus ".join(words))


# "0x80070005", "0xFF": a hexadecimal literal, spelled after the word "hex".
_HEX = re.compile(r"(?<![\w.])0[xX](?P<h>[0-9A-Fa-f]{1,16})(?![\w])")


def _hex(m: re.Match[str]) -> str:
    return _pad(m, "hex " + " ".join(_ONES[int(c)] if c.isdigit() else c.upper() for c in m.group("h")))


# "report.pdf": a file name with a common extension.
_FILE = re.compile(
    r"(?<![\w.@/-])[A-Za-z0-9_-]{1,64}+\.(?:pdf|docx?|xlsx?|pptx?|txt|csv|jpe?g|png|gif|svg|mp3|mp4|mov|wav"
    r"|zip|exe|json|xml|html?|md|py)(?![\w]|\.[A-Za-z0-9])"
)
# Identifiers: "MAX_BATCH_SIZE" -> max batch size, "get_user_id" -> get user id, "x86_64" -> x86 64.
_SNAKE_CONSTANT = re.compile(r"(?<![\w])[A-Z][A-Z0-9]*+(?:_[A-Z0-9]++)++(?![\w])")
_SNAKE = re.compile(r"(?<=[A-Za-z0-9])_++(?=[A-Za-z0-9])")


def _snake_constant(m: re.Match[str]) -> str:
    """The parts that look like words are read as words (MAX, BATCH, SIZE); the others stay
    capitals and are spelt later (API, ID, HTTP)."""

    def wordlike(p: str) -> bool:
        vowel = [c in "AEIOU" for c in p]
        if not p.isalpha():
            return False
        return (len(p) >= 4 and any(vowel)) or (len(p) == 3 and vowel == [False, True, False])

    return " ".join(p.lower() if wordlike(p) else p for p in m.group(0).split("_"))


_VERSION_WORD_BEFORE = re.compile(r"(?i:version|ver\.|release|build|firmware|update|patch|kernel)\s++$")


def _ip(m: re.Match[str]) -> str:
    parts = m.group(0).split(".")
    if any(int(p) > 255 for p in parts) or _VERSION_WORD_BEFORE.search(
        m.string, max(0, m.start() - 12), m.start()
    ):
        return m.group(0)
    return _pad(m, " dot ".join(_digits(p) for p in parts))


# Cashtags: "$AAPL" is the ticker, not dollars.
_CASHTAG = re.compile(r"(?<![\w$])\$(?=[A-Z]{1,5}(?![\w]))")


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
EMAIL = Rule("en.email", _EMAIL, _email)
URL = Rule("en.url", _URL, _url)
DOMAIN = Rule("en.url", _DOMAIN, _url)
FILE = Rule("en.url", _FILE, _url)
IP = Rule("en.url", _IP, _ip)
HEX = Rule("en.code", _HEX, _hex)
KEYS = Rule("en.symbol", _KEYS, _keys)
HANDLE = Rule("en.symbol", _HANDLE, lambda m: _pad(m, "at"))
CASHTAG = Rule("en.symbol", _CASHTAG, lambda m: "")
HASH_CODE = Rule("en.symbol", _HASH_CODE, lambda m: _pad(m, "number"))
HASHTAG = Rule("en.symbol", _HASHTAG, lambda m: _pad(m, "hashtag"))
SNAKE_CONSTANT = Rule("en.symbol", _SNAKE_CONSTANT, _snake_constant)
SNAKE = Rule("en.symbol", _SNAKE, lambda m: " ")

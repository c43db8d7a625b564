"""What a listener should hear of marked-up text: Markdown's and HTML's words without their marks,
and no emoji.

Replies written by language models come as Markdown. Read as written, "**Settings**" was heard
as "asterisk asterisk settings asterisk asterisk", "# Title" as "hash title", "<b>world</b>" as
"B world slash B", and "🎉" as "party popper". The text is parsed as CommonMark (with tables and
strikethrough) by markdown-it-py and only its words are kept: headings, paragraphs and list
items each on a line of their own (the splitter ends a sentence there), an ordered item keeps its
number ("1. Open the app"), a link or image its text, code its content; HTML tags that format
(in pairs, or void such as <br>) and emoji are dropped. A text streamed in pieces (a WebSocket
fed token by token) may cut a pair of marks in two: marks left without their partner are dropped
too.

Plain prose comes out as it went in, apart from backslash escapes and character references,
which are what they stand for. Digits keep their asterisks ("2*3*4" is no emphasis)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

# Emoji and the pictographs read by name: the symbol and pictograph planes, dingbats and misc
# symbols, regional indicators (flags), and the joiners and selectors that compose them.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\u2b1b\u2b1c\u2934\u2935\u3030\u303d"
    "\U000e0020-\U000e007f\ufe0e\ufe0f\u200d\u20e3]+"
)
# Marks that lost their partner: "**", "__" at a word's edge, "~~", and backticks.
_STRAY = re.compile(r"\*{2,}|(?<!\w)_{2,}|_{2,}(?!\w)|~~|`+")
# An asterisk between digits is arithmetic, not emphasis.
_TIMES = re.compile(r"(?<=[0-9])\*(?=[0-9])")
# A masked number ("****5678", "****-5678") is no emphasis: its asterisks become the bullets
# such masks are also written with, which the normaliser reads ("ending in five six seven eight").
_MASK = re.compile(r"(?<![*\w])\*{3,}(?=-?[0-9]++(?![0-9*]))")
# Only texts with some mark are parsed.
_MARKS = re.compile(r"[*_`#<>\[\]|~&\\]|^\s*(?:[-+]|[0-9]{1,9}[.)])\s|^\s*[=-]{3,}\s*$", re.MULTILINE)


@functools.cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    # No linkify (it needs another package): a bare URL is text, read by the normaliser.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def plain_text(text: str) -> str:
    """``text`` with its Markdown and HTML marks and its emoji removed."""
    text = _EMOJI.sub("", text)
    if "***" in text:
        text = _MASK.sub(lambda m: "•" * len(m.group(0)), text)
    if not _MARKS.search(text):
        return text
    tokens = _parser().parse(_TIMES.sub(r"\\*", text))
    lines: list[str] = []
    prefix = ""  # an ordered list item's number, put before its first line
    row: list[str] | None = None  # the cells of the table row being read
    for tok in tokens:
        kind = tok.type
        if kind == "list_item_open" and tok.info:
            prefix = f"{tok.info}{tok.markup} "
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            lines.append(", ".join(cell for cell in row if cell))
            row = None
        elif kind == "inline":
            words = _inline(tok.children or [])
            if row is not None:
                row.append(words)
            elif words:
                lines.append(prefix + words)
                prefix = ""
        elif kind in ("fence", "code_block"):
            lines.extend(tok.content.splitlines())
        elif kind == "html_block":
            lines.append(_html_words(tok.content))
    out = "\n".join(said for line in lines if (said := _lone_row(line.strip())))
    while (bare := _STRAY.sub("", out)) != out:  # "*`*": without the backtick, "**" is left
        out = bare
    return out


# A table's row or delimiter row on its own: a streamed table arrives a line at a time, and a
# row without the delimiter row under the header is no table to the parser.
_ROW = re.compile(r"\|(.*)\|")
_DELIMITER_ROW = re.compile(r"\|?(?:\s*:?-+:?\s*\|)+\s*:?-+:?\s*\|?")


def _lone_row(line: str) -> str:
    if _DELIMITER_ROW.fullmatch(line):
        return ""
    if (m := _ROW.fullmatch(line)) is not None:
        return ", ".join(cell.strip() for cell in m.group(1).split("|") if cell.strip())
    return line


def _inline(children: Sequence[Any]) -> str:
    tags = [_tag(c.content) for c in children if c.type == "html_inline"]
    opened = {name for closing, name in tags if not closing}
    closed = {name for closing, name in tags if closing}
    out: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")  # a line break as written: the splitter may end a sentence there
        elif kind == "image":
            out.append(_inline(child.children or []))
        elif kind == "html_inline":
            # A tag that formats goes ("<b>world</b>", a line break for "<br>"); one without its
            # partner stays as written: prose about a tag ("use the <speak> tag"), or no tag at
            # all ("x<y and y>z").
            closing, name = _tag(child.content)
            if name in _VOID_TAGS:
                out.append("\n" if name == "br" else " ")
            elif not name or name not in (opened if closing else closed):
                out.append(child.content if name else " ")
    return "".join(out)


_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w-]*)")
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr"})


def _tag(html: str) -> tuple[bool, str]:
    """(closing, name) of an inline tag; no name for a comment or a declaration."""
    m = _TAG.match(html)
    return (bool(m.group(1)), m.group(2).lower()) if m else (False, "")


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []

    def handle_data(self, data: str) -> None:
        self.words.append(data)


def _html_words(html: str) -> str:
    parser = _Words()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.words).split())

"""Text arriving in pieces (an LLM's tokens) cut into what can be spoken now.

The cuts are the ones /v1/audio/speech makes (``split_sentences``: sentence ends, line
breaks, over-long sentences at a clause), so a streamed text is read in the same pieces
as the whole text would be. The one difference is the first piece of a turn (nothing
queued or playing): it is cut at its first clause boundary, or after a few words, so
that the first sound does not wait for a whole sentence."""

from __future__ import annotations

import re

from clarion.synthesis import FIRST_CLAUSE_MIN_WORDS, first_clause
from clarion.text.split import split_sentences, turns_on_next_word

_WORD = re.compile(r"\S+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NEXT = "x"
_WORD_DONE = re.compile(r"\s*\S+\s")
_CJK_END = frozenset("。！？；…”’」』）")


class TextBuffer:
    """Holds text until a boundary. ``feed`` returns the pieces complete now; ``flush``
    the rest. ``first`` says the next piece opens a turn (set by the owner: nothing is
    queued or playing), and is cut early."""

    def __init__(
        self, max_chars: int = 300, *, first_min_words: int = FIRST_CLAUSE_MIN_WORDS, first_max_words: int = 8
    ) -> None:
        self.max_chars = max_chars
        self.first_min_words = first_min_words
        self.first_max_words = first_max_words
        self.first = True
        self._text = ""

    @property
    def pending(self) -> bool:
        """Something is held that would be spoken on a flush."""
        return bool(self._text.strip())

    def __len__(self) -> int:
        return len(self._text)

    def feed(self, text: str) -> list[str]:
        self._text += text
        # A letter after the text stands for whatever comes next: a boundary that needs
        # a following space ("Hello. ") is complete once the space is here, while "3."
        # waits to see whether "14" follows.
        pieces = split_sentences(self._text + _NEXT, self.max_chars)
        # Whether a full stop ends the sentence may turn on the whole next word ("5 p.m. CT",
        # "Vol. IV"), and a Mandarin sentence's end may go on ("。。。", "？！", "。”"): until the
        # next word, or the next character, has arrived, the piece before it is held.
        while len(pieces) > 1 and (
            (turns_on_next_word(pieces[-2]) and not _WORD_DONE.match(pieces[-1]))
            or (pieces[-1] == _NEXT and pieces[-2][-1:] in _CJK_END)
        ):
            pieces[-2:] = [pieces[-2] + pieces[-1]]
        done, self._text = pieces[:-1], pieces[-1][: -len(_NEXT)]
        out = [p for p in done if p.strip()]
        if self.first:
            if out:
                head, tail = self._early_cut(out[0], whole=True)
                out[0:1] = [head] + ([tail] if tail.strip() else [])
            else:
                head, self._text = self._early_cut(self._text, whole=False)
                if head.strip():
                    out = [head]
        if out:
            self.first = False
        return [p.strip() for p in out]

    def flush(self) -> str:
        """Everything held, to be spoken now (a flush, a close, an idle gap)."""
        text, self._text = self._text.strip(), ""
        if text:
            self.first = False
        return text

    def clear(self) -> None:
        """Drop what is held (a cancel): the next piece opens a new turn."""
        self._text = ""
        self.first = True

    def _early_cut(self, text: str, *, whole: bool) -> tuple[str, str]:
        """(head, rest): the head ends at the first clause boundary after enough words, or
        after ``first_max_words`` complete words. ``whole``: ``text`` is a complete sentence
        (its last word is complete too)."""
        head, rest = first_clause(text, self.first_min_words)
        if rest:
            return head, rest
        if whole:
            return text, ""
        # No clause yet: after enough words that are certainly complete (another follows).
        words = list(_WORD.finditer(text))
        if _HAN.search(text) is None and len(words) > self.first_max_words:
            cut = words[self.first_max_words - 1].end()
            return text[:cut], text[cut:]
        return "", text

"""Sentence splitting that knows CJK and Western punctuation.

The segments always concatenate back to the input exactly (no character lost), so
long text is split, never truncated. Callers strip each segment before synthesis."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence

# A sentence ends at CJK terminators (no space needed), at Western terminators followed
# by whitespace or a Han character (so "3.14" and "e.g.x" stay whole, while "today.我们"
# ends), or at a line break.
_SENTENCE_END = re.compile(r"[。！？；…]+[”’」』）)\]]*|[.!?;]+[\"'”’)\]]*(?=\s|[\u4e00-\u9fff])|\n+")
# Where an over-long sentence may be cut: CJK clause marks, Western ones only when a space
# follows (so "1,000" and "14:30" stay whole), then any whitespace (URLs have none).
# A list item's number ("1. Sleep well.", "Tips: 1. Sleep well. 2. Drink water."): its full
# stop ends no sentence, or the number would be read alone, as a sentence of its own.
# After a label that takes a value ("Score: 5. Great job.") the number is the value; on the next
# line it is a list's first item ("3 key points:" then "1. ...").
# After a colon a list starts at 1.
_ITEM_NUMBER = re.compile(r"(?:^|[;；。！？，…])\s*[0-9]{1,2}$|[:：]\s*1$")
VALUE_LABEL = re.compile(
    r"\b(?i:score|total|rating|result|answer|count|age|level|grade|price|cost|sum|average|rank|points"
    r"|size|quantity|qty|number|version|round|year|day|week|month|step)[ \t]*[:：][ \t]*[0-9]{1,2}$"
)
_CLAUSE = re.compile(r"[，、：；]\s*|[,:](?=\s)\s*|\s+")
# "The U.S. Army", "the U.N. in Geneva": a dotted abbreviation's full stop ends a sentence only
# when the next word is one that opens sentences ("in the U.S. The weather ..."). A capital alone
# says little after it: a name or title follows such abbreviations more often than not.
_DOTTED_END = re.compile(r"(?<![\w.])(?:(?:[A-Z]\.){2,}|Ph\.\s?D\.)$")
_NEXT_WORD = re.compile(r"\s+(?P<w>[A-Za-z][\w'’]*)")
_SENTENCE_OPENERS = frozenset({
    "A", "An", "The", "This", "That", "These", "Those", "It", "Its", "He", "She", "They", "We", "I",
    "You", "His", "Her", "Their", "Our", "My", "Your", "There", "Here", "But", "And", "Or", "So", "Yet",
    "However", "Meanwhile", "In", "On", "At", "For", "From", "With", "By", "After", "Before", "When",
    "While", "If", "As", "Since", "Although", "Though", "Because", "Now", "Then", "Today", "Yesterday",
    "Tomorrow", "Many", "Most", "Some", "All", "Every", "Each", "No", "Not", "One", "What", "Why",
    "How", "Who", "Where", "Which", "Also", "Still", "Thus", "Instead", "Such", "Both", "Under", "Over",
    "During", "Last", "Next", "Despite", "Unlike", "According", "Other", "Others", "Please", "Let",
    "Do", "Does", "Did", "Is", "Are", "Was", "Were", "Can", "Could", "Will", "Would", "Should"
})  # fmt: skip


# Abbreviations whose full stop ends no sentence: titles before a name ("Dr. Smith"), and words
# that go on before a number ("Fig. 3", "Jan. 5", "approx. 10") or a lower-case word.
_TITLES = frozenset({
    "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Gen", "Col", "Lt", "Sgt", "Capt", "Cpt", "Maj", "Adm",
    "Rev", "Hon", "Mt", "Ft", "Gov", "Sen", "Rep", "Pres", "Supt", "Insp"
})  # fmt: skip
_BEFORE_NUMBER = frozenset({
    "Fig", "fig", "No", "no", "Nos", "nos", "p", "pp", "Vol", "vol", "Ch", "ch", "Chap", "Sec", "sec",
    "Art", "art", "Eq", "eq", "Ref", "ref", "Ex", "ex", "Para", "para", "Tel", "tel", "Ext", "ext",
    "approx", "Approx", "ca", "c", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept",
    "Oct", "Nov", "Dec", "Rm", "Ste", "Apt", "Bldg", "Pg", "pg", "Op", "op", "Ed", "ed", "Pt", "pt",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "Exp", "exp",
    "N", "S", "E", "W", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun", "ft",
})  # fmt: skip
# Name suffixes and street and company words, and initials ("George W. Bush"): like titles, they
# end a sentence only before a word that opens one ("Acme Inc. sells" / "at Acme Inc. It was").
_SUFFIXES = frozenset({
    "Jr", "Sr", "Inc", "Corp", "Co", "Ltd", "Bros", "Blvd", "Ave", "Rd", "Ln", "Ct", "Pkwy", "Hwy",
    "Univ", "Dept", "Assn", "Intl", "Ph",
})  # fmt: skip
_ROMAN_NEXT = re.compile(r"\s+[IVXLC]+\b")
# Time zones written after a time ("5 p.m. ET", "14:00 UTC"): a full stop before one ends no sentence.
TIME_ZONE = r"(?:[ECMPAHG][DS]?T|UTC|GMT|BST|CET|CEST|IST|JST|KST|AEST|AEDT|AKST)(?![\w])"
_ZONE_NEXT = re.compile(r"\s+" + TIME_ZONE)
_MERIDIEM = frozenset({"a.m", "p.m", "A.M", "P.M"})
_ALWAYS_ON = frozenset({"vs", "Vs", "v", "cf", "viz", "e.g", "i.e", "E.g", "I.e", "a.k.a", "A.K.A"})
# A unit written short after a number goes on before a lower-case word: "5 ft. tall", "3 mi. away".
_UNIT_AFTER_NUMBER = re.compile(
    r"[0-9]\s?(?:ft|in|mi|yd|lbs?|oz|gal|qt|pt|tsp|tbsp|sec|secs|mins?|hrs?|yrs?|mos?|wks?|km|kg|cm|mm|mg|ml)$"
)
_NEXT_CHAR = re.compile(r"\s*(\S)")
# The last word before a full stop: "Dr", "e.g", "p.m".
_LAST_WORD = re.compile(r"(?<![A-Za-z0-9_.])((?:[A-Za-z]\.)*[A-Za-z]+)\.[\"'”’)\]]*$")
_LOWER_ABBREVIATION = re.compile(
    r"^(?:[a-z]\.)+[a-z]$|^(?:etc|incl|excl|est|approx|misc|dept|govt|appt|Appt|[Mm]in|[Mm]ax|hrs?|yrs?)$"
)


def _title_like(word: str) -> bool:
    """A title, a name or company suffix, or an initial: the sentence goes on after its full stop
    unless a word that opens one follows."""
    return word in _TITLES or word in _SUFFIXES or (len(word) == 1 and word.isupper())


def abbreviation_goes_on(text: str, start: int, end: int) -> bool:
    """Whether the full stop ending at ``end`` belongs to an abbreviation that the text after it
    continues: "Dr. Smith", "Fig. 3", "e.g. apples", "5 p.m. and"."""
    m = _LAST_WORD.search(text, max(start, end - 24), end)
    nxt = _NEXT_CHAR.match(text, end)
    if m is None or nxt is None:
        return False
    word, first = m.group(1), nxt.group(1)
    if word in _ALWAYS_ON:
        return True
    if _title_like(word):  # "Dr. Smith", "George W. Bush", but "on Main St. The house ..." ends there
        return not opens_sentence(text, end)
    if first.isdigit() or _ROMAN_NEXT.match(text, end):  # "Fig. 3", "vol. II"
        return word in _BEFORE_NUMBER
    if word in _MERIDIEM and _ZONE_NEXT.match(text, end):  # "5 p.m. ET"
        return True
    return first.islower() and (
        word in _BEFORE_NUMBER
        or _LOWER_ABBREVIATION.match(word) is not None
        or _UNIT_AFTER_NUMBER.search(text, max(start, m.start(1) - 2), m.end(1)) is not None
    )


def opens_sentence(text: str, end: int) -> bool:
    """Whether the word after ``end`` is one that opens sentences ("The", "It", "In")."""
    after = _NEXT_WORD.match(text, end)
    return after is not None and after.group("w") in _SENTENCE_OPENERS


def turns_on_next_word(piece: str) -> bool:
    """Whether ``piece`` ends at a full stop that ends a sentence or not depending on the whole
    word after it ("5 p.m." before "CT", "Vol." before "IV", "Dr." before "Smith" or "The"). A
    streamed text holds such a piece until that word is complete."""
    piece = piece.rstrip()
    if _DOTTED_END.search(piece, max(0, len(piece) - 40)):
        return True
    m = _LAST_WORD.search(piece, max(0, len(piece) - 24))
    if m is None:
        return False
    word = m.group(1)
    return _title_like(word) or word in _BEFORE_NUMBER or word in _MERIDIEM


def abbreviation_ends_sentence(text: str, end: int) -> bool:
    """Whether the full stop of a dotted abbreviation ("U.S.") ending at ``end`` also ends
    the sentence: at the end of the text, or before a word that opens sentences."""
    nxt = _NEXT_CHAR.match(text, end)
    if nxt is None:
        return True
    if not text[end].isspace():  # "U.S.," or "U.S.)": other punctuation follows
        return False
    m = _NEXT_WORD.match(text, end)
    if m is None:  # a quote or a bracket opens the next sentence; a number goes on ("U.S. 50 states")
        return not nxt.group(1).isdigit()
    word = m.group("w")
    return word[0].isupper() and word in _SENTENCE_OPENERS


def split_sentences(text: str, max_chars: int = 300, protected: Sequence[tuple[int, int]] = ()) -> list[str]:
    """Sentences of ``text``, each at most ``max_chars`` long once stripped (unless a single
    protected range or unbreakable run is longer). No cut falls strictly inside a
    ``protected`` (start, end) range, e.g. a lexicon replacement."""
    if max_chars < 1:
        raise ValueError("max_chars must be >= 1")
    inside = _Guard(protected)
    pieces: list[tuple[int, str]] = []  # (offset in text, piece)
    start = 0
    for end in _sentence_ends(text, inside):
        pieces.append((start, text[start:end]))
        start = end
    if start < len(text):
        pieces.append((start, text[start:]))
    out: list[str] = []
    for offset, piece in pieces:
        out.extend(_cap(piece, offset, max_chars, inside))
    # Whitespace-only pieces join their predecessor so every segment has content.
    merged: list[str] = []
    for seg in out:
        if merged and not seg.strip():
            merged[-1] += seg
        else:
            merged.append(seg)
    return merged


def sentence_ends(text: str) -> list[int]:
    """Where the sentences of ``text`` end: the cuts ``split_sentences`` makes before it cuts
    over-long sentences."""
    return list(_sentence_ends(text, _Guard(())))


def _sentence_ends(text: str, inside: _Guard) -> Iterator[int]:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if inside(m.end()) or (m.group(0) == "." and _is_item_number(text, start, m.start())):
            continue
        if (
            m.group(0) == "."
            and _DOTTED_END.search(text, max(start, m.end() - 40), m.end())
            and not abbreviation_ends_sentence(text, m.end())
        ):
            continue
        if m.group(0) == "." and abbreviation_goes_on(text, start, m.end()):
            continue
        yield m.end()
        start = m.end()


def _is_item_number(text: str, start: int, end: int) -> bool:
    # Only the last few characters matter; a long sentence is not copied and scanned at each full
    # stop ("x" stands for the cut-off part, so that "^" means the sentence's start only).
    window = text[start:end] if end - start <= 40 else "x" + text[end - 40 : end]
    return _ITEM_NUMBER.search(window) is not None and VALUE_LABEL.search(window) is None


class _Guard:
    """Answers "is this cut position strictly inside a protected range?"."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        self.ranges = sorted((a, b) for a, b in ranges if b - a > 1)
        self.starts = [a for a, _ in self.ranges]

    def __call__(self, pos: int) -> bool:
        i = bisect.bisect_left(self.starts, pos) - 1
        return i >= 0 and self.ranges[i][0] < pos < self.ranges[i][1]

    def end_of(self, pos: int) -> int:
        i = bisect.bisect_left(self.starts, pos) - 1
        return self.ranges[i][1] if i >= 0 and self.ranges[i][0] < pos < self.ranges[i][1] else pos


def _cap(piece: str, offset: int, max_chars: int, inside: _Guard) -> list[str]:
    """Cut a sentence longer than max_chars at the last clause mark or space that fits."""
    out = []
    while len(piece.strip()) > max_chars:
        cut = 0
        for m in _CLAUSE.finditer(piece, 0, max_chars + 1):
            if m.end() <= max_chars and not inside(offset + m.end()):
                cut = m.end()
        if cut == 0 or not piece[:cut].strip():
            # No break point: a hard cut beats an endless segment, but not inside a protected term.
            cut = max(1, inside.end_of(offset + max_chars) - offset)
        out.append(piece[:cut])
        piece = piece[cut:]
        offset += cut
    out.append(piece)
    return out

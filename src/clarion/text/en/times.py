"""Clock times and what looks like them: h:mm(:ss) with or without a.m./p.m., hours with
a.m./p.m., military times, time ranges, durations (h:mm:ss after "finished in"...), offsets
from UTC/GMT, and the ratios and scores left over once times have been read ("2:1").
"""

from __future__ import annotations

import re

from clarion.text.en.words import _ZONE, _cardinal, _kept_stop, _oh_digits, _pad
from clarion.text.types import Rule

# "UTC+8", "GMT-5", "UTC+05:30": an offset from a time zone is plus/minus hours.
_TZ_OFFSET = re.compile(
    r"(?<![\w])(?P<z>UTC|GMT)(?P<s>[+−-])(?P<h>[0-9]{1,2}+)(?::?(?P<m>[0-5][0-9]))?(?![\w:])"
)


def _tz_offset(m: re.Match[str]) -> str:
    sign = "plus" if m.group("s") == "+" else "minus"
    out = f"{m.group('z')} {sign} {_cardinal(str(int(m.group('h'))))}"
    if m.group("m") and m.group("m") != "00":
        out += f" {_cardinal(m.group('m'))}"
    return out


_AMPM = (
    r"(?:\s?(?P<ap>[AaPp])\.?\s?[Mm]"
    r"(?:\.(?=\s*+(?:[a-z0-9,;)–—-]|" + _ZONE + r"))|(?![\w])))"
)
_TIME = re.compile(
    r"(?<![\w.:])(?P<h>[01]?[0-9]|2[0-3]):(?P<mm>[0-5][0-9])(?::(?P<ss>[0-5][0-9]))?(?:(?![\w:])|(?=[AaPp]\.?[Mm](?![\w])))"
    + _AMPM
    + "?"
    r"|(?<![\w.:])(?P<h2>1[0-2]|0?[1-9])\.(?P<mm2>[0-5][0-9])" + _AMPM.replace("<ap>", "<ap2>")
)
_TIME_H = re.compile(r"(?<![\w.:])(?P<h>1[0-2]|0?[1-9])" + _AMPM)
# Military times: "0730 hours", "at 0600", "from 0800 to 1700 hours" -> oh seven thirty, oh six
# hundred, eight hundred... A four-digit number before "hours" is a time after a time word or
# with its leading zero ("spent 1200 hours" stays a count).
_MILITARY_TIME = re.compile(
    r"(?<![\w.,:$#])(?P<h>[01][0-9]|2[0-3])(?P<mm>[0-5][0-9])(?P<suf>\s?(?:hours|hrs)\b)?(?![\w%]|[.,:][0-9]|\s%)"
)
_TIME_WORD_BEFORE = re.compile(r"(?:^|\W)(?P<w>(?i:at|by|from|till|until|after|before|between|to|and))\s$")


def _military_time(m: re.Match[str]) -> str:
    h, mm = m.group("h"), m.group("mm")
    cue = _TIME_WORD_BEFORE.search(m.string, max(0, m.start() - 9), m.start())
    if m.group("suf"):
        if cue is None and h[0] != "0":
            return m.group(0)
    elif h[0] != "0" or cue is None or cue.group("w").lower() in ("to", "and"):
        return m.group(0)
    hours = "zero" if h == "00" else _oh_digits(h)
    minutes = "hundred" if mm == "00" else _oh_digits(mm)
    return _pad(m, f"{hours} {minutes}" + (" hours" if m.group("suf") else ""))


# What is left of "a:b" once times have been read: a ratio or a score ("2:1", "16:9", "1:50000").
_RATIO = re.compile(
    r"(?<![\w.:])(?P<a>[0-9]++):(?P<b>[0-9]{1,3}(?:,[0-9]{3})++(?![0-9])|[0-9]++)(?![\w:]|[.,][0-9])"
)
# Past the hours of a clock, minutes and seconds: "ran a 5K in 25:13" (twenty-five thirteen);
# a score or a ratio says so before it ("won 27:24", "odds of 30:1").
_RATIO_CUE = re.compile(
    r"(?i:ratio|odds|score|scored|won|win|wins|lost|loss|beat|beats|defeated|victory|aspect|scale)\W{1,3}+(?:of\s)?$"
)


def _ratio(m: re.Match[str]) -> str:
    a, b = m.group("a"), m.group("b")
    if (
        "," not in b
        and 24 <= int(a) <= 59
        and len(b) == 2
        and b[0] in "012345"
        and not _RATIO_CUE.search(m.string, max(0, m.start() - 16), m.start())
    ):
        if b == "00":  # "the 45:00 mark"
            return _pad(m, f"{_cardinal(a)} minutes")
        return _pad(m, f"{_cardinal(a)} {_oh_digits(b)}")
    return f"{a} to {b}"


# "10am-5pm", "9:00-17:30", "10-11 a.m.", "8:30 to 10": both ends read as times.
_CLOCK = r"(?:1[0-9]|2[0-3]|0?[0-9])(?::[0-5][0-9])?+(?:\s?[AaPp]\.?\s?[Mm]\.?(?![\w]))?"
_TIME_RANGE = re.compile(
    r"(?<![\w.:$-])(?P<a>"
    + _CLOCK
    + r")(?P<sep>\s?[-–—]\s?|\s(?:to|until|till)\s)(?P<b>"
    + _CLOCK
    + r")(?![\w:]|[.,][0-9])"
)
_CLOCK_PARTS = re.compile(r"(?P<h>[0-9]++)(?::(?P<mm>[0-9]{2}))?(?:\s?(?P<ap>[AaPp])\.?\s?[Mm](?P<dot>\.)?)?")


def _time_words(h: str, mm: str | None, ss: str | None, ap: str | None) -> str:
    hour = _cardinal(str(int(h)))
    if mm is None:
        out = hour
    elif mm == "00":
        if ap and not (ss and int(ss)):
            out = hour
        elif int(h) >= 13:
            out = f"{hour} hundred"
        else:
            out = f"{hour} o'clock"
    else:
        out = f"{hour} {_oh_digits(mm)}"
    if ss and int(ss):  # "12:00:00" is twelve o'clock, not "and zero seconds"
        secs = int(ss)
        out += f" and {_cardinal(str(secs))} second{'s' if secs != 1 else ''}"
    if ap:
        out += f" {ap.lower()} m"
    return out


# h:mm:ss after a word for how long something took, or before "long", is a duration.
_DURATION_BEFORE = re.compile(
    r"(?:^|\W)(?i:in|took|takes|lasted|lasts|lasting|time\s+of|clocked|clocking|runtime|running\s+time|duration"
    r"|length|finished\s+in)\s$"
)
_DURATION_AFTER = re.compile(r"\s(?:long|runtime|duration|marathon|finish)\b")


def _duration_words(h: str, mm: str, ss: str) -> str:
    parts = [(int(h), "hour"), (int(mm), "minute"), (int(ss), "second")]
    said = [f"{_cardinal(str(n))} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " and ".join([", ".join(said[:-1]), said[-1]]) if len(said) > 1 else (said or ["zero seconds"])[0]


def _time(m: re.Match[str]) -> str:
    if m.group("h2"):
        return _pad(m, _time_words(m.group("h2"), m.group("mm2"), None, m.group("ap2")))
    if (
        m.group("ss")
        and not m.group("ap")
        and (
            _DURATION_BEFORE.search(m.string, max(0, m.start() - 16), m.start())
            or _DURATION_AFTER.match(m.string, m.end())
        )
    ):  # "finished in 2:05:30": two hours, five minutes and thirty seconds
        return _pad(m, _duration_words(m.group("h"), m.group("mm"), m.group("ss")))
    return _pad(m, _time_words(m.group("h"), m.group("mm"), m.group("ss"), m.group("ap")))


def _time_h(m: re.Match[str]) -> str:
    return _pad(m, f"{_cardinal(str(int(m.group('h'))))} {m.group('ap').lower()} m")


def _time_range(m: re.Match[str]) -> str:
    a = _CLOCK_PARTS.fullmatch(m.group("a"))
    b = _CLOCK_PARTS.fullmatch(m.group("b"))
    if a is None or b is None:
        return m.group(0)
    clock_a = a.group("mm") is not None or a.group("ap") is not None
    clock_b = b.group("mm") is not None or b.group("ap") is not None
    # A time at one end at least, and no 24-hour hour with a.m./p.m.
    if not (clock_a and clock_b) and not (b.group("ap") and not a.group("mm")):
        return m.group(0)
    for p in (a, b):
        if p.group("ap") and not 1 <= int(p.group("h")) <= 12:
            return m.group(0)
    sep = m.group("sep").strip()
    sep = sep if sep.isalpha() else "to"
    out = (
        f"{_time_words(a.group('h'), a.group('mm'), None, a.group('ap'))} {sep} "
        f"{_time_words(b.group('h'), b.group('mm'), None, b.group('ap'))}"
    )
    return _pad(m, out + _kept_stop(m, b.group("dot")))


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
TZ_OFFSET = Rule("en.time", _TZ_OFFSET, _tz_offset)
TIME_RANGE = Rule("en.time", _TIME_RANGE, _time_range)
TIME = Rule("en.time", _TIME, _time)
TIME_H = Rule("en.time", _TIME_H, _time_h)
MILITARY_TIME = Rule("en.time", _MILITARY_TIME, _military_time)
RATIO = Rule("en.ratio", _RATIO, _ratio)

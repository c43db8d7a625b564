"""Signs and mathematics: plus/minus, "+", approximately (~, ≈), comparisons (>, ≤...),
operators between numbers (=, ×, ÷, −, *), powers ("x^2", "x²"), scientific notation,
square roots, &, arrows, copyright and trademark signs, and a spaced slash between words.
"""

from __future__ import annotations

import re

from clarion.text.en.measures import _ANY_UNIT, _PER_ALT, _PER_UNITS, _unit_words
from clarion.text.en.words import _cardinal, _number, _pad, _year
from clarion.text.spans import ALGEBRA as _ALGEBRA_TEXT
from clarion.text.spans import algebra_parts, is_algebra
from clarion.text.types import Rule

_PLUS_MINUS = re.compile(r"\s?(?:±|\+/-|\+-)\s?")
# Signs before a number are read last, when the number is already words, so that a run of
# them cannot multiply the text every later pass scans.
_NUMBER_WORD = (
    r"(?:minus\s|plus\s)?(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|point)(?![a-z])"
)
# "~200 people", "≈ 3.14": an approximate number.
_APPROX = re.compile(r"(?<![\w~])(?P<s>~|≈)\s?(?=" + _NUMBER_WORD + ")")


# An equation or inequality in one-letter variables: "x²+y²=1" -> X squared plus Y squared equals
# one, "f(x)=2x+1" -> F of X equals two X plus one. Letters are capitals, so that "a" is no article.
_ALGEBRA = re.compile(_ALGEBRA_TEXT)
_ALGEBRA_WORDS = {
    "+": "plus", "-": "minus", "×": "times", "*": "times", "÷": "divided by", "/": "over", "=": "equals",
    "<": "less than", ">": "greater than", "<=": "less than or equal to", "≤": "less than or equal to",
    ">=": "greater than or equal to", "≥": "greater than or equal to", "≠": "does not equal",
}  # fmt: skip


def _algebra(m: re.Match[str]) -> str:
    if not is_algebra(m.group(0)):
        return m.group(0)  # numbers only, or words ("id=5"): the other rules read them
    out: list[str] = []
    for kind, value in algebra_parts(m.group(0)):
        if kind == "num":
            whole, _, fraction = value.partition(".")
            out.append(_number(whole, fraction or None))
        elif kind in ("var", "call"):
            out.append(value.upper() + (" of" if kind == "call" else ""))
        elif kind == "sup" or (kind == "pow" and value in ("2", "3")):
            out.append("squared" if value in ("²", "2") else "cubed")
        elif kind == "pow":
            minus = "minus " if value.startswith("-") else ""
            power = value.lstrip("-")
            out.append(
                f"to the {minus}{power.upper()}"
                if power.isalpha()
                else f"to the power of {minus}{_cardinal(power)}"
            )
        elif kind == "sign":
            out.append("minus")
        elif kind != "paren":
            out.append(_ALGEBRA_WORDS[value])
    return _pad(m, " ".join(out))


# "C#", "F# minor", "C++", ".NET": read as said (espeak says "C hash", "C plusplus", "dot-less net").
_SHARP_NAMES = re.compile(r"(?:(?<![\w#+])(?:(?P<n>[A-G])#|(?P<cpp>C\+\+))|(?<![.])(?P<net>\.NET))(?![\w#+])")


def _sharp_names(m: re.Match[str]) -> str:
    if m.group("n"):
        return f"{m.group('n')} sharp"
    return "C plus plus" if m.group("cpp") else _pad(m, "dot net")


# Phone keys: "*67", "*69" (star codes), "press *", "the * key".
_STAR_KEY = re.compile(r"(?<![\w*])\*(?=[0-9]{2,3}(?![\w.*]))|(?<=[Pp]ress )\*(?![\w*])|(?<![\w*])\*(?= key)")


# "+5", "50+ countries", and a sum whose second operand an earlier rule read ("2+3 m2").
_PLUS = re.compile(r"(?<![\w.,)+])\+(?=[0-9])|(?<=[0-9])\+(?=[\s,.;!?)]|$|[a-z]{3})")
# "High 72°F / Low 55°F", "Yes / No": a spaced slash between words is a pause.
_SPACED_SLASH = re.compile(r"(?<=[^\W\d])\s/\s(?=[^\W\d])")


def _plus_minus(m: re.Match[str]) -> str:
    s = m.string
    return ("" if m.start() == 0 else " ") + "plus or minus" + ("" if m.end() == len(s) else " ")


# Scientific notation: "3.00 × 10^8 m/s", "1.6×10⁻¹⁹ C", "6.02E23" -> "... times ten to the power
# of ...", with the unit after it read as a measure's.
_SCIENTIFIC = re.compile(
    r"(?<![\w.,^])(?P<neg>[-−])?(?P<i>[0-9]++)(?:\.(?P<f>[0-9]++))?"
    r"(?:\s?[×xX*·]\s?10(?:\^(?P<e>[-−+]?[0-9]{1,3})|(?P<sup>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}))"
    r"|[eE](?P<e2>[-+]?[0-9]{1,3})(?![\w.]|,[0-9]))"
    r"(?![\w^⁰¹²³⁴⁵⁶⁷⁸⁹]|[.,][0-9])"
    r"(?:(?P<us>\s?)(?P<u>" + _ANY_UNIT + r")(?![\w²³]|(?<=\.)[A-Za-z]))?"
    r"(?:/(?P<d>" + _PER_ALT + r")(?![\w/²³]))?"
)


def _scientific(m: re.Match[str]) -> str:
    e = (m.group("e") or m.group("e2") or (m.group("sup") or "").translate(_SUPERSCRIPTS)).replace("−", "-")
    sign = "minus " if e.startswith("-") else ""
    out = (
        ("minus " if m.group("neg") else "")
        + _number(m.group("i"), m.group("f"))
        + f" times ten to the power of {sign}{_cardinal(e.lstrip('+-'))}"
    )
    if m.group("u"):
        words = _unit_words(m.group("u"))
        if words is None:
            out += m.group("us") + m.group("u")
        else:
            out += " " + words[1]
    if m.group("d"):
        out += " per " + _PER_UNITS[m.group("d")]
    return _pad(m, out)


ALGEBRA = Rule("en.symbol", _ALGEBRA, _algebra)
# Between a number and a one-letter name, signs need spaces round them: "x = y + 2"; "2*3" multiplies.
_SYMBOL_MATH = re.compile(
    r"(?<=[0-9])\s?(?P<op>[+=×÷≠∕∙⋅∗])\s?(?=[0-9-])|(?<=[0-9])\s?(?P<op2>−)\s?(?=[0-9])"
    r"|(?:(?<=[0-9)⁰¹²³⁴⁵⁶⁷⁸⁹])|(?<![A-Za-z][A-Za-z])(?<=[A-Za-z]))\s(?P<op3>[+=≠])\s(?=[0-9A-Za-z(])"
    r"|(?<=[0-9])\s?(?P<op4>\*)\s?(?=[0-9]|" + _NUMBER_WORD + ")"
)
# Comparisons: "x > 5", "<10 ms", "≥ 18"; the signs that only compare before a letter too ("3 ≤ x"),
# where ">" may point a way ("Settings > Privacy").
_COMPARE = re.compile(
    r"(?<![<>=-])(?P<op>[<>]=?|[≤≥≦≧])(?![<>=])\s?"
    r"(?=" + _NUMBER_WORD + r"|(?<=[≤≥≦≧])[A-Za-z(]|(?<=[≤≥≦≧]\s)[A-Za-z(])"
)
_COMPARE_WORDS = {
    ">": ("greater than", "more than"), "<": ("less than", "less than"),
    ">=": ("greater than or equal to", "at least"), "≥": ("greater than or equal to", "at least"),
    "<=": ("less than or equal to", "at most"), "≤": ("less than or equal to", "at most"),
    "≦": ("less than or equal to", "at most"), "≧": ("greater than or equal to", "at least"),
}  # fmt: skip
# "© 2024 Acme": copyright, and the year after it; trademark signs are not read.
_COPYRIGHT_YEAR = re.compile(r"(?<=©)(?P<s>\s?)(?P<y>[12][0-9]{3})(?![\w]|[.,][0-9])")
_COPYRIGHT = re.compile(r"©")
_TRADEMARK = re.compile(r"(?<=\w)[™®]|\s?[™®](?![\w])")
_AMP = re.compile(r"&")
_ARROW = re.compile(r"\s?[→⟶]\s?")
_ROOT = re.compile(r"√\s?(?=[0-9(])")  # √16 -> the square root of sixteen
_THE_BEFORE = re.compile(r"(?:^|\W)[Tt]he\s$")


def _root(m: re.Match[str]) -> str:
    the = "" if _THE_BEFORE.search(m.string, max(0, m.start() - 5), m.start()) else "the "
    before = m.string[m.start() - 1] if m.start() > 0 else ""
    if before.isdigit():  # "3√2": three times the square root of two
        return f" times {the}square root of "
    return f"{' ' if before.isalnum() else ''}{the}square root of "


# Powers: "x^2", "2^10", "(a+b)^2", "10^-3", "x²", "e^x" (after the measures: "m²" is square meters).
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_POWER = re.compile(
    r"(?<=[\w)\]])(?:\^(?P<e>[-−]?[0-9]{1,3})|(?P<sup>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})|\^(?P<v>[-−]?[a-z]))"
    r"(?![\w^⁰¹²³⁴⁵⁶⁷⁸⁹])"
)


def _power(m: re.Match[str]) -> str:
    if v := m.group("v"):  # "e^x", "2^n", "e^-x"
        v = v.replace("−", "-")
        return " " + _pad(m, "to the " + ("minus " if v.startswith("-") else "") + v.lstrip("-")).lstrip()
    e = (m.group("e") or m.group("sup").translate(_SUPERSCRIPTS)).replace("−", "-")
    if e in ("2", "3"):
        out = "squared" if e == "2" else "cubed"
    else:
        out = "to the power of " + ("minus " if e.startswith("-") else "") + _cardinal(e.lstrip("-"))
    return " " + _pad(m, out).lstrip()  # after the base, which may be ")"


def _math(m: re.Match[str]) -> str:
    if m.group("op2"):
        return " minus "
    op = m.group("op") or m.group("op3") or m.group("op4")
    words = {
        "+": " plus ", "=": " equals ", "×": " times ", "*": " times ", "∗": " times ", "∙": " times ",
        "⋅": " times ", "÷": " divided by ", "∕": " divided by ",
    }  # fmt: skip
    return words.get(op, " does not equal ")  # ≠


_OPERAND_BEFORE = re.compile(
    r"(?:(?:^|[^\w])[A-Za-z]|(?:^|[\s-])(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|[a-z]++teen|[a-z]++ty|hundred|thousand|million|billion|trillion)|[)\]])\s?$"
)
_TAG_BEFORE = re.compile(r"<[/A-Za-z][^<>\s]*+$")


def _compare(m: re.Match[str]) -> str:
    """ "x > 5" compares (greater than); in prose a bound is "more than": "ages >18"."""
    s = m.string
    before = s[max(0, m.start() - 20) : m.start()]
    if m.group("op") == ">" and _TAG_BEFORE.search(before):
        return m.group(0)  # the end of an HTML tag: "<br>5"
    binary = _OPERAND_BEFORE.search(before) is not None
    out = _COMPARE_WORDS[m.group("op")][0 if binary else 1]
    if before and not before[-1].isspace():
        out = " " + out
    return out + " "


def _copyright_year(m: re.Match[str]) -> str:
    return m.group("s") + _year(int(m.group("y")))


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
COPYRIGHT_YEAR = Rule("en.year", _COPYRIGHT_YEAR, _copyright_year)
TRADEMARK = Rule("en.symbol", _TRADEMARK, lambda m: "")
PLUS_MINUS = Rule("en.symbol", _PLUS_MINUS, _plus_minus)
SCIENTIFIC = Rule("en.math", _SCIENTIFIC, _scientific)
ROOT = Rule("en.math", _ROOT, _root)
SYMBOL_MATH = Rule("en.symbol", _SYMBOL_MATH, _math)
PLUS = Rule("en.symbol", _PLUS, lambda m: _pad(m, "plus"))
POWER = Rule("en.math", _POWER, _power)
AMP = Rule("en.symbol", _AMP, lambda m: _pad(m, "and"))
ARROW = Rule("en.symbol", _ARROW, lambda m: " to ")
SPACED_SLASH = Rule("en.symbol", _SPACED_SLASH, lambda m: ", ")
APPROX = Rule("en.symbol", _APPROX, lambda m: _pad(m, "about" if m.group("s") == "~" else "approximately"))
COMPARE = Rule("en.symbol", _COMPARE, _compare)
COPYRIGHT = Rule("en.symbol", _COPYRIGHT, lambda m: _pad(m, "copyright"))
SHARP_NAMES = Rule("en.symbol", _SHARP_NAMES, _sharp_names)
STAR_KEY = Rule("en.symbol", _STAR_KEY, lambda m: _pad(m, "star"))

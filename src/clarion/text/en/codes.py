"""Codes and identifiers: letters and digits in one token ("A320", "SN-48213A", "PS5"), model,
route and flight numbers after a cue word (read in pairs), Boeing jetliner variants, version
numbers (after a product name, "v", or with three parts), HTTP status codes, tax plans
(401(k)), IDs after order/SKU/tracking words, card numbers, card security codes, ISBNs and the
last digits of a number.
"""

from __future__ import annotations

import re

from clarion.text.en.words import _cardinal, _digits, _pad, _pairs, _Repl
from clarion.text.spans import TO_PAIR as _TO_PAIR
from clarion.text.types import Rule

# Retirement plans named after their section of the tax code: 401(k) -> four oh one k.
_TAX_PLAN = re.compile(r"(?<![\w.])(?P<n>401|403|457)\s?\((?P<l>[a-z])\)")


_VERSION = re.compile(r"(?<![\w.])[0-9]++(?:\.[0-9]++){2,}+(?![\w.]|\.[0-9])")


def _version_words(version: str) -> str:
    # A build number's long parts are read digit by digit: 10.0.19045 -> ten point zero point one
    # nine zero four five.
    return " point ".join(_cardinal(p) if len(p) < 5 else _digits(p) for p in version.split("."))


def _version(m: re.Match[str]) -> str:
    return _pad(m, _version_words(m.group(0)))


# Digits read in pairs after words that name a model, a route or a flight: "Boeing 737",
# "RTX 4090", "flight 1549", "Highway 101", "Suite 1450".
# HTTP status codes are read like model numbers: "a 404 error", "error 503".
_STATUS_CODE = re.compile(
    r"(?<![\w.,])(?P<n>[1-5][0-9]{2})(?=\s(?:error|errors|page|status|response|code|Not\s+Found|Forbidden"
    r"|Unauthorized|Bad\s+Request|Bad\s+Gateway|Internal\s+Server\s+Error|Service\s+Unavailable"
    r"|Gateway\s+Timeout|Too\s+Many\s+Requests|Method\s+Not\s+Allowed|Moved\s+Permanently|No\s+Content"
    r"|Conflict|Payment\s+Required|Not\s+Modified)(?![\w]))"
    r"|(?:(?<=[Ee]rror\s)|(?<=HTTP\s))(?P<n2>[1-5][0-9]{2})(?![\w]|[.,][0-9])"
)


_MODEL_CUE = re.compile(
    r"(?<![\w.])(?P<cue>(?:Boeing|Airbus|Cessna|Porsche|Peugeot|RTX|GTX|GeForce|Radeon|RX|Xbox|Model|Series"
    r"|[Ff]light|Highway|Route|Interstate|Suite|Box|Unit|Gate|Platform|Terminal|Channel|Bus|bus|[Rr]oom"
    r"|Rm\.)\s++"
    r"(?:[A-Z][A-Z0-9]\s(?=[0-9]))?)"
    r"(?P<n>[1-9][0-9]{2,3}+)(?![\w]|[.,][0-9])"
)
# A model number before the suffix that marks a graphics card's variant: "3070 Ti", "7900 XTX".
_MODEL_SUFFIX = re.compile(r"(?<![\w.,])(?P<n>[1-9][0-9]{3})(?=\s(?:Ti|SUPER|Super|XTX|XT)(?![\w]))")
# Version numbers after a product name or "version"/"v": each part is a cardinal
# ("Python 3.12" -> three point twelve).
_VERSION_CUE = re.compile(
    r"(?<![\w.])(?P<cue>(?:[Vv]ersion|[Vv]er\.|Python|iOS|iPadOS|macOS|Android|Windows|Ubuntu|Debian|Node|Java"
    r"|Kotlin|Rust|Go|Linux|[Kk]ernel|[Rr]elease|[Ff]irmware|[Uu]pdate|[Pp]atch|HTTP|TLS|Bluetooth|USB|PHP|Perl"
    r"|Ruby|Rails|Django|React|Angular|Vue|Swift|GPT|Gemini|Claude|Llama|Wi-Fi)\s?-?|(?P<v>v))"
    r"(?P<n>[0-9]++(?:\.[0-9]++)++)"
    # The versions listed after it are versions too: "Python 3.11 and 3.12", "from 3.10 to 3.12",
    # and those it is compared with: "Python 3.12 is faster than 3.11".
    r"(?P<more>(?:(?:,\s|\s(?:and|or|to|vs\.?|versus|through|compared\s(?:to|with))\s"
    r"|(?:\s[a-z]++){1,4}?\s(?:than|over)\s)[0-9]++(?:\.[0-9]++)++)*+)(?![\w]|\.[0-9])"
)
_VERSION_NUMBER = re.compile(r"[0-9]++(?:\.[0-9]++)++")


# Boeing's jetliners and their variants: "747-400", "777-300ER", "737-8" name one aircraft, not a range.
_JETLINER = re.compile(
    r"(?<![\w.,/-])(?P<n>7[0-8]7)-(?P<v>[1-9]00|10|[1-9])(?P<s>ER|LR|F|SP|XLR)?(?![\w-]|[.,][0-9])"
)
_JETLINER_CUE = re.compile(r"\b(?:Boeing|[Aa]n?|[Tt]he|[Tt]his|[Tt]hat|[Ii]ts|[Oo]ur|[Tt]heir)\s++$")


def _jetliner(m: re.Match[str]) -> str:
    if not m.group("s") and not _JETLINER_CUE.search(m.string, max(0, m.start() - 8), m.start()):
        return m.group(0)  # "pages 737-800" is a range
    out = f"{_pairs(m.group('n'))} {_cardinal(m.group('v'))}"
    if m.group("s"):
        out += " " + " ".join(m.group("s"))
    return _pad(m, out)


def _model_cue(m: re.Match[str]) -> str:
    cue = m.group("cue")
    if cue.startswith("Rm."):
        cue = "Room" + cue[3:]
    return cue + _pairs(m.group("n"))


def _version_cue(m: re.Match[str]) -> str:
    cue = "version " if m.group("v") else m.group("cue")
    if cue.endswith("-"):
        cue = cue[:-1] + " "
    elif not cue.endswith(" "):
        cue += " "
    more = _VERSION_NUMBER.sub(lambda v: _version_words(v.group(0)), m.group("more"))
    return _pad(m, cue + _version_words(m.group("n")) + more)


# Identifiers read digit by digit: "order #12345", "tracking number 9400 1000", "SKU AB-1234-X".
_ID_CUE = (
    r"(?i:order|tracking|confirmation|invoice|account|acct|reference|ref|ticket|case|booking|reservation"
    r"|serial|SKU|item|PIN|ID|policy|member|customer|transaction|claim|passcode|OTP|code|model|part"
    r"|S/N|SN|tracking\s+no|flight\s+no|CVV|CVC|CVV2|security\s+code)"
)
_ID_NUMBER = re.compile(
    r"(?<![\w.])(?P<cue>"
    # "your order number is 1234", "the code is 4821": a verb between only after a strong cue
    r"(?:" + _ID_CUE + r"\s++(?i:number|no\.|num|ID|code)|(?i:PIN|OTP|passcode|code))\s*+:?\s*+"
    r"(?i:is|was|will\s++be)\s++"
    r"|" + _ID_CUE + r"(?:\s++(?i:number|no\.|num|ID|code))?\s*+(?:#\s*+:?|:)?\s*+)"
    r"(?P<n>[0-9]{4,}+)(?!\w|[.,][0-9A-Za-z])"
    r"|(?<![\w&#])#(?P<n2>[0-9]{4,}+)(?![\w]|[.,][0-9])"
)
# Card numbers (4 groups of 4 digits; Amex 4-6-5) and ISBNs, digit by digit in their groups.
_CARD_NUMBER = re.compile(
    r"(?<![\w.,-])(?:[2-6][0-9]{3}(?P<s>[ -])[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{4}"
    r"|3[47][0-9]{2}(?P<a>[ -])[0-9]{6}(?P=a)[0-9]{5})(?![\w-]|[.,][0-9])"
)
_ROUND_GROUPS = re.compile(r"(?:[0-9]{2}00[ -]?)+")  # "2000 3000 4000 5000" is a list of numbers
_ISBN = re.compile(r"(?<=ISBN)(?P<p>-1[03])?(?P<c>:?\s?)(?P<n>[0-9](?:[0-9 -]{8,15})[0-9Xx])(?![\w-])")
# "CVV 123", "security code: 4321": three or four digits after the cue.
_CARD_CODE = re.compile(
    r"(?<![\w])(?P<cue>(?:CVV2?|CVC|[Ss]ecurity\s+code)(?:\s+(?:is|was))?\s*:?\s*)(?P<n>[0-9]{3,4})(?![\w]|[.,][0-9])"
)


def _card_number(m: re.Match[str]) -> str:
    if _ROUND_GROUPS.fullmatch(m.group(0)):
        return m.group(0)
    return _pad(m, _digit_groups(m.group(0)))


def _isbn(m: re.Match[str]) -> str:
    kind = {"-10": " ten", "-13": " thirteen"}.get(m.group("p") or "", "")
    return f"{kind}{m.group('c').rstrip()} {_digit_groups(m.group('n'))}"


def _digit_groups(s: str) -> str:
    return ", ".join(_digits(g) if g.isdigit() else " ".join(g) for g in re.split(r"[ -]", s) if g)


# "your card ending in 4242", "the last four digits are 1234": the digits of a longer number.
_LAST_DIGITS = re.compile(
    r"(?<![\w])(?P<cue>(?i:ending|ends)\s++(?i:in|with)\s++"
    r"|(?i:last)\s++(?:four|4|two|2|three|3|five|5|six|6)\s++(?i:digits?|numbers?)"
    r"(?:\s++(?i:of|on|for)(?:\s++[\w'’]+){1,3}?)?\s*+(?::|(?i:are|is|were|was))?\s*+)"
    r"(?P<n>[0-9]{2,6}+)(?!\w|[.,][0-9A-Za-z])"
)
# A masked number shows its last digits: "(...1234)", "****5678", "•••• 9012", "xxxx3456".
_MASKED_DIGITS = re.compile(
    r"(?<![\w*•.…])(?:\.{3}|…|(?:[*•]{3,}|[xX]{3,})[\s-]?)(?P<n>[0-9]{2,6})(?![\w*]|[.,][0-9])"
)
_NUMBER_OWNER = re.compile(
    r"(?i:card|account|acct|number|phone|mobile|ssn|social|visa|mastercard|amex|discover|debit|credit|iban|id)\b"
)


def _last_digits(m: re.Match[str]) -> str:
    # "a season ending in 2024" is a year: the digits need a number they end.
    if m.group("cue")[:3].lower() == "end" and not _NUMBER_OWNER.search(
        m.string, max(0, m.start() - 40), m.start()
    ):
        return m.group(0)
    return m.group("cue") + _digits(m.group("n"))


_ID_CUE_BEFORE = re.compile(
    _ID_CUE + r"(?:\s++(?i:number|no\.|num|ID|code))?\s*+(?:#|:)?\s*+$"
    # "your confirmation number is ABC123XYZ": a verb between only after a strong cue
    r"|(?:"
    + _ID_CUE
    + r"\s++(?i:number|no\.|num|ID|code)|(?i:PIN|OTP|passcode|code))\s*+:?\s*+(?i:is|was)\s++$"
)


def _id_number(m: re.Match[str]) -> str:
    if m.group("n2"):
        return _pad(m, "number " + _digits(m.group("n2")))
    cue = re.sub(r"#\s*+:?", " number ", m.group("cue"))
    cue = re.sub(r"\s++", " ", cue)
    if not cue.endswith(" "):
        cue += " "
    return _pad(m, cue.lstrip() if m.start() == 0 else cue) + _digits(m.group("n"))


_CODE = re.compile(
    r"(?<![\w.'’/@#$&+-])(?=[A-Za-z0-9-]*?(?:[A-Za-z]-?[0-9]|[0-9]-?[A-Za-z]))"
    r"[A-Za-z0-9]++(?:-[A-Za-z0-9]++)*+(?![\w'’@]|[-.][A-Za-z0-9])"
)
_CODE_PART = re.compile(r"[A-Z]++(?=[a-z])[a-z]*+|[A-Z]++|[a-z]++|[0-9]++")
_CODE_WORDS = {
    "49ers": "Forty-Niners",
    "76ers": "Seventy-Sixers",
    "3M": "three M",
    "7-Eleven": "Seven-Eleven",
}
_VOWELS = frozenset("aeiouyAEIOUY")


def _code_factory(words: frozenset[str]) -> _Repl:
    def code(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok in _CODE_WORDS:
            return _pad(m, _CODE_WORDS[tok])
        pieces = tok.split("-")
        if any(len(p) >= 2 and p.isalpha() and p.islower() for p in pieces[1:]):
            return tok  # "34-year-old", "3-for-1": words joined by hyphens, not a code
        s = m.string
        by_digit = len(pieces) >= 3 or _ID_CUE_BEFORE.search(s, max(0, m.start() - 40), m.start()) is not None
        out: list[str] = []
        for piece in pieces:
            parts = _CODE_PART.findall(piece)
            for k, part in enumerate(parts):
                if part[0].isdigit():
                    digit_mode = (by_digit and len(part) >= 3) or len(part) >= 5
                    out.append(
                        _digits(part) if digit_mode else _pairs(part) if len(part) >= 3 else _cardinal(part)
                    )
                elif part.isupper():
                    # Capital runs are spelt ("SN", "RTX") unless they are read as words ("COVID");
                    # a long run with a vowel is a word in capitals ("WELCOME10", "SAVE20").
                    if part in words:
                        out.append(part)
                    elif len(part) >= 4 and _VOWELS & set(part) and not set(part) <= _VOWELS:
                        out.append(part.capitalize())
                    else:
                        out.append(" ".join(part))
                elif part == "ish" and out:
                    out[-1] += "ish"  # "6ish"
                elif part.islower() and len(part) <= 3 and not (_VOWELS & set(part)) and len(parts) > 1:
                    out.append(" ".join(part))  # "mp3" -> m p three
                elif part.islower() and k > 0 and parts[k - 1][0].isdigit() and len(part) <= 2:
                    out.append(" ".join(part))  # "1080p", "4g"
                else:
                    # Mixed case names keep their letters whole: "iPhone15" -> iPhone fifteen.
                    if out and k > 0 and parts[k - 1][0].isalpha():
                        out[-1] += part
                    else:
                        out.append(part)
        return _pad(m, " ".join(out))

    return code


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
TO_PAIR = Rule("en.code", re.compile(_TO_PAIR), lambda m: _pad(m, f"{m.group(0)[0]} to {m.group(0)[2]}"))
TAX_PLAN = Rule("en.code", _TAX_PLAN, lambda m: _pad(m, f"{_pairs(m.group('n'))} {m.group('l')}"))
JETLINER = Rule("en.code", _JETLINER, _jetliner)
VERSION_CUE = Rule("en.decimal", _VERSION_CUE, _version_cue)
VERSION = Rule("en.decimal", _VERSION, _version)
MODEL_CUE = Rule("en.code", _MODEL_CUE, _model_cue)
MODEL_SUFFIX = Rule("en.code", _MODEL_SUFFIX, lambda m: _pad(m, _pairs(m.group("n"))))
STATUS_CODE = Rule("en.code", _STATUS_CODE, lambda m: _pad(m, _pairs(m.group("n") or m.group("n2"))))
CARD_NUMBER = Rule("en.code", _CARD_NUMBER, _card_number)
ISBN = Rule("en.code", _ISBN, _isbn)
CARD_CODE = Rule("en.code", _CARD_CODE, lambda m: m.group("cue") + _digits(m.group("n")))
ID_NUMBER = Rule("en.code", _ID_NUMBER, _id_number)
LAST_DIGITS = Rule("en.code", _LAST_DIGITS, _last_digits)


def code_rule(words: frozenset[str]) -> Rule:
    """Codes and model numbers; capital runs in ``words`` are read as words, not spelt."""
    return Rule("en.code", _CODE, _code_factory(words))


MASKED_DIGITS = Rule("en.code", _MASKED_DIGITS, lambda m: _pad(m, "ending in " + _digits(m.group("n"))))

"""English text normalisation: numbers, symbols and abbreviations to words.

The output is what an English TTS engine should read aloud. Each pass is one rule; a pass
that changes the text records its name once (``Normalized.rules``), in pass order. The rules
live in modules by what they read (web, phone, address, dates, times, money, measures,
numerals, codes, symbols, abbreviations; number words in ``words``); this module runs them.

Conventions (documented choices, see also the golden file ``tests/data/text/en_golden.tsv``):

* Cardinals are American style without "and" (123 -> one hundred twenty-three).
  Digit strings with a leading zero or longer than 15 digits are read digit by digit.
* Years: a 4-digit number is read as a year ("nineteen ninety-nine") only in a year context:
  inside a date, after a year cue word (in, since, by, until, till, from, during, before, after,
  circa, year; 1000-2099, unless a count noun follows: "in 1500 meters"), before AD/BC/BCE/CE,
  as a decade (1990s), or as a range of two 1100-2099 numbers (1990-2000). A bare 1900-2039
  is a year too ("2012 was a good year"), unless a count noun or a plural follows or a
  numbering word precedes it ("1999 people" -> one thousand nine hundred ninety-nine, "page
  1984"); other bare 4-digit numbers are cardinals.
* Units agree with the number (1 km -> one kilometer); after "a"/"an" a measure is adjectival
  and stays singular ("a 5 km run").
* "St." / "Dr.": Saint/Doctor when the next word is capitalised (St. Louis, Dr. Smith),
  Street/Drive when the previous word is capitalised or a number (Main St.), else Saint/Doctor.
* URLs: the scheme (http://, https://) is dropped as noise for listeners; the rest is read
  with symbol names (example.com/a-b -> example dot com slash a dash b), digits one by one,
  "www" spelt ("w w w dot example dot com"). E-mail: "john dot doe at gmail dot com".
* Acronyms: all-caps tokens of 2-5 letters are spelled out (FBI -> F B I) unless they are in
  the built-in read-as-word set or in ``acronyms_as_words`` (union of the two). Text that is
  mostly upper case (shouting) is left alone, since spelling every word out would be wrong.
* Dates: "6/15/2024" and "06-15-2024" are US order (month/day); when the first field is over 12
  it is day/month. Dotted dates ("15.06.2024") are European, day first. "2024/06/15" is ISO.
  Month/day dates read "June fifteenth, twenty twenty-four"; day-month dates ("25 July 2012",
  "the 4th of July") read "the twenty-fifth of July, twenty twelve". Month names are matched in
  any case; a lower-case "may"/"march" or abbreviation is a month only in a full date.
* Years are also read after early/late/mid-, Q1-Q4, H1/H2, FY, "class of", "end of", and before
  nouns that date things ("the 2024 election", "the 2022 World Cup final").
* Money: a bare "$" is "dollars"; a currency named by country reads the country: US$ and USD
  -> "U S dollars", HK$ -> "Hong Kong dollars", C$/CAD, A$/AUD, CHF -> "Swiss francs";
  ¥ is yen. Ranges say the currency once ("$5-$10" -> five to ten dollars); before a noun it
  modifies a sum is singular ("a $120 million deal" -> one hundred twenty million dollar deal).
* Percent ranges say "percent" once: "2%-10%" and "2-10%" -> "two to ten percent".
* Phone numbers are read digit by digit in their groups, with commas between groups:
  "(555) 123-4567", "1-800-555-0199" (-> "one eight hundred, five five five, ..."), "+44 20 7946
  0958" (7-15 digits after a "+"); a bare "555-0199" after call/phone/tel/text/fax, or when its
  second group starts with 0 or its first is 555. Toll-free numbers in letters read their words:
  "1-800-FLOWERS" -> "one eight hundred flowers".
* Time ranges read "to" and both ends as times: "10am-5pm" -> "ten a m to five p m",
  "9:00-17:30" -> "nine o'clock to seventeen thirty"; "Mon-Fri" -> "Monday to Friday".
* Scores and other number ranges read "to" with plain cardinals ("won 2-0" -> two to zero).
* Addresses: a house number before a street name and suffix is read in pairs ("1600
  Pennsylvania Ave NW" -> sixteen hundred Pennsylvania Avenue Northwest, "742" -> seven
  forty-two); suffixes expand with or without the dot; a state code before a ZIP code is the
  state's name and the ZIP is read digit by digit; after a place name it is the state's name
  without a ZIP too ("Austin, TX"), unless it is a word (OK, IN) or a degree after a name.
* Codes and model numbers (letters and digits in one token, "A320", "SN-48213A", "PS5"): capital
  runs are spelt (unless read as words, e.g. COVID; long runs with a vowel such as "SAVE" are
  words), digit runs of 1-2 digits are cardinals, of 3-4 digits are read in pairs ("A three
  twenty", "forty ninety"), of 5+ digits one by one; hyphens are dropped. After a model word
  (Boeing, RTX, Xbox, flight, Highway, Suite, Box...) a 3-4 digit number is read in pairs.
  After an ID word (order, SKU, serial, tracking, code, PIN, "#"), 4+ digit numbers and the
  3+ digit runs of codes are read one by one. HTTP status codes are pairs ("four oh four").
* Roman numerals only after a cue: regnal names give ordinals ("Henry the Eighth"), other cues
  (Chapter, Part, World War, Super Bowl, Episode..., in lower case too) cardinals; numerals with
  D or M are left alone, and so are a bare "I" after a lower-case cue and a C or an L alone
  ("USB Type C", "Schedule C").
* Dimensions use "by" ("1920x1080" -> nineteen twenty by ten eighty); "10x" is "ten times".
  A lower-case "k" after a number is thousand ("100k"), except for races ("ran 5k" -> five K).
* Units are matched in any case where that is unambiguous (KG, Km, MPH, GHz, Mb -> megabytes);
  m/M, s and similar are exact. A measure before a noun it modifies is singular ("48MP camera").
* Versions after a product name or "v" read each part as a cardinal ("Python three point
  twelve", "version two point zero point one"); other decimals read digits after "point".
* Signs: "+3" -> plus three, "±" -> plus or minus; "@name" -> at name, "#tag" -> hashtag tag,
  but "#" before a number or a code ("#A12345") is "number"; "w/" and "w/o" -> with/without;
  compass points by a wind are words ("NW winds" -> Northwest). Before a number "~" is "about",
  "≈" "approximately"; powers: "x^2", "x²" -> x squared, "2^10" -> two to the power of ten;
  ">"/"<" are "greater/less than" after an operand (x > 5), else "more/less than" (">5,000
  people"); "÷" divided by, "−" minus, "©" copyright, ™/® are not read. An equation or
  inequality in one-letter names is read whole, letters as capitals (so "a" is no article):
  "f(x)=2x+1" -> F of X equals two X plus one ("2x" is not "two times" there).
* "/unit" after an amount is "per" ("£5.50/kg", "$15/hr", "200 mg/day"); q/q, y/y, YoY read
  "quarter on quarter", "year on year". After "a"/"an" a sum before a noun is singular ("a $20
  ticket"). A decimal before "s" is seconds ("10.49s"); 5'11" -> five feet eleven inches,
  "2h30min" -> two hours thirty minutes.
* Fractions are scores after a verb like won/scored/got or before games, questions, people...
  ("won 7/10 games" -> seven out of ten), parts otherwise ("3/4 cup"); two numbers that add up to
  100 are a split ("the 80/20 rule" -> eighty twenty). Unicode fractions (½, ¾) read as parts.
  A month/day after a word that introduces a date is a date ("on 6/15" -> on June fifteenth,
  "by 5/17" -> by May seventeenth, but "by 1/3" stays a part); "9/11" alone is "nine eleven".
* IP addresses are read digit by digit with "dot"; "UTC+8" -> U T C plus eight; "dial 911" ->
  nine one one; file names with a common extension are read like URLs ("report dot pdf").

Patterns avoid nested quantifiers and anchor number starts with look-behinds (and possessive
quantifiers) so that 100k-character adversarial inputs run in linear time.
"""

from __future__ import annotations

from clarion.text.en import (
    abbreviations,
    address,
    codes,
    dates,
    measures,
    money,
    numerals,
    phone,
    symbols,
    times,
    web,
)
from clarion.text.en.abbreviations import ROMAN_CHARS
from clarion.text.en.measures import ORDINAL_DEGREE
from clarion.text.en.words import _digits
from clarion.text.types import Normalized, Rule, RuleLog

__all__ = ["DEFAULT_ACRONYMS_AS_WORDS", "normalize_en", "spell_digits"]

DEFAULT_ACRONYMS_AS_WORDS: frozenset[str] = frozenset(
    {
        "NASA", "NATO", "UNESCO", "UNICEF", "NAFTA", "OPEC", "FIFA", "UEFA", "AIDS", "COVID",
        "SARS", "MERS", "LASER", "RADAR", "SONAR", "SCUBA", "GIF", "JPEG", "PIN", "RAM", "ROM",
        "SIM", "LAN", "WAN", "SWAT", "IKEA", "ASCII", "POTUS", "FEMA", "OSHA", "NASCAR", "ANSI",
        "DOS", "CAD", "GUI", "WIFI", "LOL", "YOLO", "FOMO", "ASAP", "NIMBY", "ZIP", "AWOL",
        "INTERPOL", "MASH", "OLED", "TOEFL", "GAAP", "DARPA", "CERN", "ISIS",
        "MAX", "PRO", "FIRE", "SALE", "FREE", "NEW", "NOW", "OFF", "STOP", "LIVE", "BREAKING",
    }
)  # fmt: skip


spell_digits = _digits  # public: SSML's say-as reads digits one by one the same way


# The passes in the order they run: the order is load-bearing (a date before its numbers, a
# code before its digits...). Codes and acronyms depend on the caller's words, so their rules
# are made per call, between these.
_BEFORE_CODES: tuple[Rule, ...] = (
    symbols.SHARP_NAMES,
    symbols.STAR_KEY,
    web.EMAIL,
    web.URL,
    web.DOMAIN,
    web.FILE,
    web.IP,
    symbols.ALGEBRA,
    codes.TO_PAIR,
    web.HEX,
    web.KEYS,
    web.HANDLE,
    web.CASHTAG,
    web.HASH_CODE,
    web.HASHTAG,
    symbols.COPYRIGHT_YEAR,
    symbols.TRADEMARK,
    abbreviations.PERIOD_ON_PERIOD,
    abbreviations.WITH,
    codes.TAX_PLAN,
    numerals.ENCLOSED,
    numerals.ITEM_NUMBER,
    web.SNAKE_CONSTANT,
    web.SNAKE,
    times.TZ_OFFSET,
    symbols.PLUS_MINUS,
    phone.VANITY,
    phone.PHONE,
    phone.PHONE_INTL,
    phone.PHONE_LOCAL,
    phone.PHONE_SEVEN,
    phone.EMERGENCY,
    phone.PHONE_EXT,
    abbreviations.ABBR_NO_DOT,
    address.PO_BOX,
    address.ADDRESS,
    address.STATE_ZIP,
    address.STATE_CITY,
    dates.WEEKDAY_RANGE,
    dates.WEEKDAY_DATE,
    dates.WEEKDAY_AFTER_HOURS,
    dates.DATE_ISO,
    dates.YEAR_MONTH,
    dates.CARD_EXPIRY,
    dates.DATE_SLASH,
    dates.MONTH_RANGE,
    dates.PERIOD_RANGE,
    dates.DATE_MDY,
    dates.DATE_HYPHENS,
    dates.DATE_DMY,
    dates.DATE_MY,
    abbreviations.ABBR,
    abbreviations.APT,
    numerals.BETWEEN,
    times.TIME_RANGE,
    times.TIME,
    times.TIME_H,
    times.MILITARY_TIME,
    times.RATIO,
    abbreviations.REF_ABBR,
    symbols.SCIENTIFIC,
    measures.PRESSURE,
    measures.PER,
    measures.PER_WORD,
    codes.JETLINER,
    money.PERCENT_RANGE,
    money.EURO_COMMA,
    money.MONEY_RANGE,
    measures.RANGE_UNIT,
    numerals.RANGE,
    money.MONEY,
    money.CENTS,
    money.PERCENT,
    measures.FEET_INCHES,
    measures.HOURS_MINUTES,
    measures.SECONDS,
    measures.WHOLE_SECONDS,
    measures.DIM_UNITS,
    measures.DIMENSION,
    measures.TIMES_RANGE,
    measures.TIMES,
    measures.PART_MEASURE,
    measures.HYPHEN_MEASURE,
    measures.MEASURE,
    measures.SCALE_UNIT,
    measures.INCHES,
    measures.INCHES_AFTER_FEET,
    measures.DEGREES,
    dates.DECADE_RANGE,
    dates.DECADE,
    dates.YEAR_ERA,
    dates.YEAR_SHORT,
    dates.YEAR_CUE,
    dates.YEAR_NOUN,
    dates.YEAR_PAREN,
    dates.YEAR_BARE,
    address.STREET_AFTER_ORDINAL,
    numerals.FRACTION_SUFFIX,
    numerals.ORDINAL,
    numerals.NUMBER_SIGN,
    numerals.VULGAR,
    numerals.FRACTION,
    symbols.ROOT,
    symbols.SYMBOL_MATH,
    symbols.PLUS,
    symbols.POWER,
    symbols.AMP,
    symbols.ARROW,
    numerals.PER_COUNT,
    numerals.KILO,
    numerals.MEGA,
    codes.VERSION_CUE,
    codes.VERSION,
    codes.MODEL_CUE,
    codes.MODEL_SUFFIX,
    codes.STATUS_CODE,
    codes.CARD_NUMBER,
    codes.ISBN,
    codes.CARD_CODE,
    codes.ID_NUMBER,
    codes.LAST_DIGITS,
    codes.MASKED_DIGITS,
)

# Numbers left over, numerals and letter runs.
_AFTER_CODES: tuple[Rule, ...] = (
    numerals.DECIMAL,
    numerals.CARDINAL,
    abbreviations.ROMAN,
    abbreviations.WIND,
    abbreviations.CAPS_SLASH,
    symbols.SPACED_SLASH,
    abbreviations.CAPS_HYPHEN,
)

# Signs read once their operands are words.
_LAST: tuple[Rule, ...] = (
    symbols.APPROX,
    symbols.COMPARE,
    symbols.COPYRIGHT,
)


# Signs some rule reads, even in a text with no digit or capital.
_TOUCHED = frozenset("$£€¥₹₩₽¢%&#@+=×°±/©™®½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞→⟶^_⌘⌥⇧⌃≠≤≥≦≧<>º√")


def normalize_en(text: str, *, acronyms_as_words: frozenset[str] | None = None) -> Normalized:
    """Rewrite numbers, symbols, abbreviations and acronyms in English ``text`` as words."""
    log = RuleLog()
    words = DEFAULT_ACRONYMS_AS_WORDS | (acronyms_as_words or frozenset())
    if not any(c.isdigit() or c in _TOUCHED or c.isupper() or c == "." for c in text) and " vs " not in text:
        return Normalized(text, ())  # nothing any rule could touch

    if any("\u2160" <= c <= "\u217b" for c in text):
        text = text.translate(ROMAN_CHARS)
    if "º" in text:  # the ordinal indicator typed for a degree sign: 45ºC
        text = ORDINAL_DEGREE.sub("°", text)

    for rule in _BEFORE_CODES:
        text = log.apply(rule, text)
    text = log.apply(codes.code_rule(words), text)
    for rule in _AFTER_CODES:
        text = log.apply(rule, text)
    if not abbreviations.shouting(text):
        text = log.apply(abbreviations.DOTTED, text)
        text = log.apply(abbreviations.acronym_rule(words), text)
    for rule in _LAST:
        text = log.apply(rule, text)
    return Normalized(text, tuple(log.rules))

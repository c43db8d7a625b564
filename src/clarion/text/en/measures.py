"""Measures: amounts with a unit (singular or plural, adjectival after "a"/"an" or before a noun
they modify), ranges with a unit after the second end, "/unit" as "per", feet and inches,
hours and minutes, seconds, fractions of a unit ("1/2 tsp"), dimensions ("1920x1080",
"12 ft x 14 ft"), multipliers ("10x"), inches, degrees and blood pressure.
"""

from __future__ import annotations

import re

from clarion.text.en.numerals import _fraction_words
from clarion.text.en.words import (
    _NUM_OR_POINT,
    _after_article,
    _cardinal,
    _decimal,
    _kept_stop,
    _number,
    _pad,
    _pairs,
)
from clarion.text.types import Rule

_UNITS: dict[str, tuple[str, str]] = {
    "mm": ("millimeter", "millimeters"), "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"), "km": ("kilometer", "kilometers"), "mi": ("mile", "miles"),
    "ft": ("foot", "feet"), "yd": ("yard", "yards"), "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"), "kg": ("kilogram", "kilograms"), "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"), "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"), "L": ("liter", "liters"), "l": ("liter", "liters"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "min": ("minute", "minutes"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "mph": ("mile per hour", "miles per hour"), "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"), "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "PB": ("petabyte", "petabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"), "mAh": ("milliamp hour", "milliamp hours"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"), "m²": ("square meter", "square meters"),
    "km²": ("square kilometer", "square kilometers"), "cm²": ("square centimeter", "square centimeters"),
    "m³": ("cubic meter", "cubic meters"), "cm³": ("cubic centimeter", "cubic centimeters"),
    "sq ft": ("square foot", "square feet"), "sq. ft.": ("square foot", "square feet"),
    "sqft": ("square foot", "square feet"), "sq m": ("square meter", "square meters"),
    "mins": ("minute", "minutes"), "secs": ("second", "seconds"), "yr": ("year", "years"),
    "yrs": ("year", "years"), "wk": ("week", "weeks"), "wks": ("week", "weeks"),
    "fps": ("frame per second", "frames per second"),
    "rpm": ("revolution per minute", "revolutions per minute"),
    "dpi": ("dot per inch", "dots per inch"), "MP": ("megapixel", "megapixels"),
    "hPa": ("hectopascal", "hectopascals"), "kPa": ("kilopascal", "kilopascals"),
    "mmHg": ("millimeter of mercury", "millimeters of mercury"), "kcal": ("kilocalorie", "kilocalories"),
    "nm": ("nanometer", "nanometers"), "µm": ("micrometer", "micrometers"),
    "μm": ("micrometer", "micrometers"),
    "MW": ("megawatt", "megawatts"), "GW": ("gigawatt", "gigawatts"),
    "GWh": ("gigawatt hour", "gigawatt hours"),
    "kV": ("kilovolt", "kilovolts"), "Wh": ("watt hour", "watt hours"), "gal": ("gallon", "gallons"),
    "tsp": ("teaspoon", "teaspoons"), "tbsp": ("tablespoon", "tablespoons"), "kt": ("knot", "knots"),
    "bps": ("basis point", "basis points"), "bp": ("basis point", "basis points"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Tbps": ("terabit per second", "terabits per second"),
    "m/s": ("meter per second", "meters per second"), "℃": ("degree Celsius", "degrees Celsius"),
    "℉": ("degree Fahrenheit", "degrees Fahrenheit"), "km2": ("square kilometer", "square kilometers"),
    "m2": ("square meter", "square meters"), "pts": ("point", "points"), "atm": ("atmosphere", "atmospheres"),
    "km³": ("cubic kilometer", "cubic kilometers"), "mm³": ("cubic millimeter", "cubic millimeters"),
    "m3": ("cubic meter", "cubic meters"), "kgs": ("kilogram", "kilograms"), "mos": ("month", "months"),
    "mo": ("month", "months"), "ppm": ("part per million", "parts per million"),
    "ppb": ("part per billion", "parts per billion"), "mol": ("mole", "moles"),
    "psi": ("pound per square inch", "pounds per square inch"), "qt": ("quart", "quarts"),
    "mbar": ("millibar", "millibars"), "bpm": ("beat per minute", "beats per minute"),
    "BPM": ("beat per minute", "beats per minute"),
}  # fmt: skip
# Units people write in any case ("12KG", "5 Km", "30 MPH", "3.2 ghz"); the others only as listed,
# since case changes their meaning (m/M, mW/MW, s/S, Mb/MB in the exact list).
_UNITS_ANY_CASE = {
    u.lower(): _UNITS[u]
    for u in ("kg", "km", "cm", "mm", "mg", "ml", "mph", "kph", "km/h", "kWh", "kW", "mAh", "Mbps", "Gbps",
              "kHz", "MHz", "GHz", "Hz", "KB", "MB", "GB", "TB", "lb", "lbs", "oz", "ft", "°C", "°F",
              "sq ft", "fps", "rpm", "kcal", "mins", "hrs")
}  # fmt: skip
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_ANY_ALT = "|".join(re.escape(u) for u in sorted(_UNITS_ANY_CASE, key=len, reverse=True))
_ANY_UNIT = _UNIT_ALT + r"|(?i:" + _UNIT_ANY_ALT + r")"  # exact case first, then any case
# "km" but not "kmh", "m." but not "m.sc"; "72°F/22°C" is two measures, "km/h" one.
_UNIT_END = r"(?![\w²³]|/(?![0-9])|(?<=\.)[A-Za-z])"
# An abbreviation's full stop inside a sentence ("5 ft. tall", "3 mi. from here") goes with it: read
# after the words, it would end the sentence there.
_MEASURE = re.compile(
    r"(?<![\w.,])(?P<neg>[-−+])?"
    + _NUM_OR_POINT
    + r"(?:\s?(?P<u>°\s?[CF]?|"
    + _ANY_UNIT
    + r"))"
    + _UNIT_END
    + r"(?:(?<=[a-z])\.(?=[,;:]|\s++[a-z]|(?<=ft\.)\s?[0-9]{1,2}\s?(?:in(?![\w])|[\"″])))?"  # "6 ft. 2 in."
)

# "3-5kg", "2.5-3.5 cm": a range whose unit follows its second end reads "to" as other ranges.
_RANGE_UNIT = re.compile(
    r"(?<![\w.,/:-])(?P<a>[0-9]++(?:\.[0-9]++)?)(?:-|\s?[–—]\s?)(?=[0-9]++(?:\.[0-9]++)?\s?(?:"
    + _ANY_UNIT
    + r")"
    + _UNIT_END
    + r"|[0-9]++(?:\.[0-9]++)?[KMB]\+?\s[a-z])"  # "3-5M users": a count, as _MEGA reads it
)

# "100 million kg": a unit after a scale word that a number read already.
_SCALE_UNIT = re.compile(
    r"(?:(?<=\bhundred\s)|(?<=\bthousand\s)|(?<=illion\s))(?P<u>" + _ANY_UNIT + r")" + _UNIT_END
)


def _unit_words(u: str) -> tuple[str, str] | None:
    """(singular, plural) of a unit as written, if it is one."""
    return _UNITS.get(u) or _UNITS_ANY_CASE.get(u.lower())


# "/unit" after an amount is "per": "£5.50/kg", "$15/hr", "200 mg/day", "9.8 m/s²".
_PER_UNITS = {
    "kg": "kilogram", "g": "gram", "lb": "pound", "oz": "ounce", "gal": "gallon", "L": "liter",
    "l": "liter", "ml": "milliliter", "mL": "milliliter", "dL": "deciliter", "h": "hour", "hr": "hour",
    "hour": "hour", "min": "minute", "minute": "minute", "s": "second", "sec": "second",
    "second": "second", "s²": "second squared", "s2": "second squared", "day": "day", "wk": "week",
    "week": "week", "mo": "month", "month": "month", "yr": "year", "year": "year", "night": "night",
    "person": "person", "head": "head", "unit": "unit", "share": "share", "item": "item",
    "piece": "piece", "km": "kilometer", "mi": "mile", "mile": "mile", "m": "meter", "ft": "foot",
    "sq ft": "square foot", "sqft": "square foot", "m²": "square meter", "m2": "square meter",
    "kWh": "kilowatt hour", "ton": "ton", "tonne": "tonne", "bbl": "barrel", "barrel": "barrel",
    "user": "user", "seat": "seat", "serving": "serving", "dose": "dose", "game": "game",
    "page": "page", "word": "word", "visit": "visit",
}  # fmt: skip
_PER_ALT = "|".join(re.escape(u) for u in sorted(_PER_UNITS, key=len, reverse=True))
_PER = re.compile(
    r"(?<![\w.,/])(?P<left>[0-9][0-9,]*+(?:\.[0-9]++)?(?:\s?(?:%|[KkMB]|bn|mn|"
    + _ANY_UNIT
    + r"))?)/(?P<d>"
    + _PER_ALT
    + r")(?:/(?P<d2>"  # "$15/user/mo": per user per month
    + _PER_ALT
    + r"))?(?![\w/²³])"
)
# "per" written out before a unit written short: "£2.50 per kg", "30 miles per hr".
_PER_WORD_UNITS = (
    "kg", "g", "lb", "lbs", "oz", "gal", "L", "ml", "mL", "hr", "hrs", "min", "sec", "km", "mi",
    "m", "ft", "sq ft", "sqft", "m²", "m2", "kWh", "yr", "yrs", "mo", "wk", "bbl",
)  # fmt: skip
_PER_WORD = re.compile(
    r"(?<![\w])(?P<per>[Pp]er)\s(?P<u>"
    + "|".join(re.escape(u) for u in sorted(_PER_WORD_UNITS, key=len, reverse=True))
    + r")(?![\w²³/])"
)
# Feet and inches: 5'11", 6' 2", 6'2; bare feet before a size word ("6' tall", "an 8' ceiling").
_FEET_INCHES = re.compile(
    r"(?<![\w.,'’′])(?P<f>[0-9]{1,2}+)\s?['’′]\s?(?P<i>[0-9]{1,2}+(?:\.[0-9])?)(?:\"|″|”|''|’’)?(?![\w'’]|\.[0-9])"
    r"|(?<![\w.,'’′])(?P<f2>[0-9]{1,3}+)(?:′|['’](?=\s(?:tall|high|long|wide|deep|away|below|above|under|over"
    r"|ceiling|ceilings|fence|fences|wall|walls|boat|boats|tree|trees|drop|of)(?![\w])))"
)
# "2h30min", "1h 30m", "2h30": hours and minutes.
_HOURS_MINUTES = re.compile(
    r"(?<![\w.,])(?P<h>[0-9]{1,3}+)\s?h(?:rs?)?(?:(?P<m>[0-5]?[0-9])(?:min|mins|m)?|\s(?P<m2>[0-5]?[0-9])\s?(?:min|mins|m))"
    r"(?![\w])"
)
# "10.49s", "9.58 s": a decimal before "s" is seconds (a whole "30s" is a decade).
_SECONDS = re.compile(r"(?<![\w.,])(?P<i>[0-9]++)\.(?P<f>[0-9]++)\s?s(?![\w'’])")
# "retry after 5s", "2-5s": whole seconds. A number ending in 0 is a decade ("the 30s") and
# "the 1s and 0s" are digits, so those keep the letter.
_WHOLE_SECONDS = re.compile(
    r"(?<![\w.,'’-])(?<!the\s)(?:(?P<a>[0-9]{1,3})\s?[-–]\s?)?(?P<b>[0-9]{0,2}[1-9])s(?![\w'’])"
    r"(?!\s(?:and|or)\s[0-9])"
)
# "12 ft x 14 ft": a measure on each side of "x" is a dimension.
_DIM_UNITS = re.compile(
    r"(?<![\w.,])(?P<a>[0-9]++(?:\.[0-9]++)?\s?(?:" + _UNIT_ALT + r"|in\.?))\s?[xX×]\s?(?=[0-9])"
)
# "75 degrees F", "20 deg C"
_DEGREES = re.compile(r"(?<=[a-z0-9] )(?:degrees?|deg\.?)\s(?P<s>[CF])(?![\w])")
# Nouns that a measure usually modifies: "48MP camera", "65W charger", "10 km run".
_MODIFIED_NOUN = re.compile(
    r"[\s-](?:camera|cameras|charger|chargers|jack|battery|batteries|sensor|lens|lenses|drive|drives|SSD|HDD"
    r"|display|screen|monitor|TV|run|race|walk|hike|ride|sprint|dash|relay|swim|bag|bags|bottle|bottles"
    r"|pack|box|can|jar|cable|bulb|bulbs|panel|panels|engine|motor|tank|chip|chips|plan|limit|zone"
    r"|radius|buffer|card|cards|stick|bar|loaf|steak|burger|pizza|diet|lead|margin|cut|hike|increase|process|node"
    r"|rise|drop|fall|gain|loss|hike|radius|fan|heater|microwave|speaker|laptop|tablet|phone|bike)(?![\w])"
)


def _per(m: re.Match[str]) -> str:
    out = f"{m.group('left')} per {_PER_UNITS[m.group('d')]}"
    return out + f" per {_PER_UNITS[m.group('d2')]}" if m.group("d2") else out


def _per_word(m: re.Match[str]) -> str:
    unit = m.group("u")
    return f"{m.group('per')} {_PER_UNITS[unit[:-1] if unit in ('lbs', 'hrs', 'yrs') else unit]}"


def _feet_inches(m: re.Match[str]) -> str:
    if m.group("f2"):
        feet = m.group("f2")
        adjectival = _after_article(m)
        return _pad(m, f"{_cardinal(feet)} {'foot' if feet == '1' or adjectival else 'feet'}")
    feet, inches = m.group("f"), m.group("i")
    i, _, f = inches.partition(".")
    if int(i) > 11 and not f:
        return m.group(0)
    inch = "inch" if inches == "1" else "inches"
    return _pad(m, f"{_cardinal(feet)} {'foot' if feet == '1' else 'feet'} {_number(i, f or None)} {inch}")


def _hours_minutes(m: re.Match[str]) -> str:
    h, mm = m.group("h"), str(int(m.group("m") or m.group("m2")))
    return _pad(
        m, f"{_cardinal(h)} hour{'' if h == '1' else 's'} {_cardinal(mm)} minute{'' if mm == '1' else 's'}"
    )


def _seconds(m: re.Match[str]) -> str:
    return _pad(m, f"{_decimal(m.group('i'), m.group('f'))} seconds")


def _whole_seconds(m: re.Match[str]) -> str:
    b = m.group("b")
    unit = "second" if b == "1" and not m.group("a") else "seconds"
    head = f"{_cardinal(m.group('a'))} to " if m.group("a") else ""
    return _pad(m, f"{head}{_cardinal(b)} {unit}")


# A fraction of a unit written short: "1/2 tsp", "1 1/2 lb", "a 1/4 in. gap", read as "3/4 cup" is
# (one half teaspoon). Before the measures, which took the denominator for the amount: "1/2 tsp"
# was read "one/two teaspoons".
_PART_MEASURE = re.compile(
    r"(?<![\w./])(?:(?P<w>[0-9]{1,3})\s)?(?P<n>[0-9]{1,2})/(?P<d>[0-9]{1,2})\s?"
    r"(?:(?P<inch>in\.(?=\s|$)|″|\")|(?P<u>" + _ANY_UNIT + r"))" + _UNIT_END
)


def _part_measure(m: re.Match[str]) -> str:
    n, d = int(m.group("n")), int(m.group("d"))
    if m.group("inch"):
        one, many = "inch", "inches"
    else:
        unit_words = _unit_words(m.group("u"))
        if unit_words is None:
            return m.group(0)
        one, many = unit_words
    if not 0 < n < d:  # "5/4 tsp"
        return _pad(m, f"{_cardinal(str(n))} over {_cardinal(str(d))} {many}")
    if m.group("w"):
        return _pad(m, f"{_cardinal(m.group('w'))} and {_fraction_words(n, d)} {many}")
    return _pad(m, f"{_fraction_words(n, d, after_article=_after_article(m))} {one}")


def _measure(m: re.Match[str]) -> str:
    unit_words = _unit_words(m.group("u").replace("° ", "°"))
    if unit_words is None:
        return m.group(0)
    i, f = m.group("i"), m.group("f")
    one, many = unit_words
    # "a 5 km run": after an article the measure is adjectival and stays singular.
    adjectival = _after_article(m) or _MODIFIED_NOUN.match(m.string, m.end()) is not None
    unit = one if (i == "1" and not f) or adjectival else many
    neg = {"-": "minus ", "−": "minus ", "+": "plus "}.get(m.group("neg") or "", "")
    return _pad(m, f"{neg}{_number(i, f)} {unit}")


# "a 5-min walk", "a 500-mg dose", "a 15-in. laptop": a hyphened measure names a noun's size, in
# the singular. One-letter units other than m, g and L stay as written ("a 3-D film", "the 80-s").
_HYPHEN_MEASURE = re.compile(
    r"(?<![\w.,-])" + _NUM_OR_POINT + r"-(?P<u>in\.|(?:" + _ANY_UNIT + r")(?<=[A-Za-z°µμ]{2}|-[mgL]))"
    r"(?![\w²³-]|/(?![0-9])|(?<=\.)[A-Za-z])"
)


def _hyphen_measure(m: re.Match[str]) -> str:
    unit = "inch" if m.group("u") == "in." else (_unit_words(m.group("u")) or ("",))[0]
    if not unit:
        return m.group(0)
    return _pad(m, f"{_number(m.group('i'), m.group('f'))}-{unit}")


# "120/80 mmHg": a blood pressure is one number over the other, before its unit.
_PRESSURE = re.compile(r"(?<![\w./])(?P<a>[0-9]{2,3})/(?P<b>[0-9]{2,3})\s?mmHg(?![\w])")


def _pressure(m: re.Match[str]) -> str:
    return _pad(m, f"{_cardinal(m.group('a'))} over {_cardinal(m.group('b'))} millimeters of mercury")


# "4x4", "1920x1080", "10 x 20 cm": dimensions are read with "by"; four-digit sides in pairs.
_DIMENSION = re.compile(
    r"(?<![\w.,])(?P<a>[0-9]++(?:\.[0-9]++)?)(?P<sp>\s?)[xX×](?P=sp)(?P<b>[0-9]++(?:\.[0-9]++)?)"
    r"(?:(?P=sp)[xX×](?P=sp)(?P<c>[0-9]++(?:\.[0-9]++)?))?(?P<u>\s?(?:"
    + _UNIT_ALT
    + r"|in\.(?=\s|$)|in(?=[,;)]|$))(?![\w]))?(?![\w])(?!\s?=)"
)
# "10x faster", "2X zoom", "1.5x": a multiplier; "2x + 1" is algebra.
# "3x-5x faster", "2-3x": a range of multipliers.
_TIMES_RANGE = re.compile(
    r"(?<![\w.,-])(?P<a>[0-9]++(?:\.[0-9]++)?)[xX×]?\s?[-–]\s?(?P<b>[0-9]++(?:\.[0-9]++)?)[xX×](?![\w])"
    r"(?!\s[+=−-]\s)"
)
# "2x", "1.5x", "10X": times. Four digits and a capital X are a model ("Ryzen 9 7950X"), read as one.
_TIMES = re.compile(
    r"(?<![\w.,-])(?P<n>[0-9]++(?:\.[0-9]++)?)(?:[x×]|(?<![0-9]{4})X|(?<=000)X)(?![\w])(?!\s[+=−-]\s)"
)


def _dim_side(s: str) -> str:
    i, _, f = s.partition(".")
    if f:
        return _decimal(i, f)
    return _pairs(i) if len(i) == 4 else _cardinal(i)


def _dimension(m: re.Match[str]) -> str:
    sides = [m.group("a"), m.group("b")] + ([m.group("c")] if m.group("c") else [])
    if m.group("u"):  # "10 x 20 cm": the last side and its unit are left to the measure rule
        words = [_dim_side(x) for x in sides[:-1]]
        return _pad(m, " by ".join(words) + " by " + sides[-1] + m.group("u"))
    return _pad(m, " by ".join(_dim_side(x) for x in sides))


def _times_range(m: re.Match[str]) -> str:
    a, b = (_number(i, f or None) for i, _, f in (m.group(x).partition(".") for x in "ab"))
    return _pad(m, f"{a} to {b} times")


def _times(m: re.Match[str]) -> str:
    i, _, f = m.group("n").partition(".")
    return _pad(m, f"{_number(i, f or None)} times")


# Inches: "2 in." always; "8 in" at the end of a phrase or in a dimension.
_INCHES = re.compile(
    r"(?<![\w.,\"“])(?P<i>[0-9]++(?:\.[0-9]++)?)(?:\s?(?:in\.(?=\s|$)|in(?=[,;)]|$|\s[xX×]\s))|\s?(?:\"|″)(?![\w]))"
)
# "6 ft 2 in": inches after feet.
_INCHES_AFTER_FEET = re.compile(r"(?<=(?:feet|foot)\s)(?P<i>[0-9]{1,2})\s?in\.?(?![\w])")


def _inches(m: re.Match[str]) -> str:
    if m.group(0).endswith('"'):
        # 'He said "it was 50" to me': the quote closes one opened before it on the line.
        start = max(m.string.rfind("\n", 0, m.start()), m.start() - 400, 0)
        if m.string.count('"', start, m.start()) % 2:
            return m.group(0)
    i, _, f = m.group("i").partition(".")
    adjectival = _after_article(m) or _MODIFIED_NOUN.match(m.string, m.end()) is not None
    unit = "inch" if (i == "1" and not f) or adjectival else "inches"
    return _pad(m, f"{_number(i, f or None)} {unit}{_kept_stop(m, m.group(0))}")


ORDINAL_DEGREE = re.compile(r"(?<=[0-9])º")


# The rules this module gives the pipeline (clarion.text.en runs them in its order).
PRESSURE = Rule("en.measure", _PRESSURE, _pressure)
PER = Rule("en.measure", _PER, _per)
PER_WORD = Rule("en.measure", _PER_WORD, _per_word)
RANGE_UNIT = Rule("en.range", _RANGE_UNIT, lambda m: _pad(m, m.group("a") + " to"))
FEET_INCHES = Rule("en.measure", _FEET_INCHES, _feet_inches)
HOURS_MINUTES = Rule("en.measure", _HOURS_MINUTES, _hours_minutes)
SECONDS = Rule("en.measure", _SECONDS, _seconds)
WHOLE_SECONDS = Rule("en.measure", _WHOLE_SECONDS, _whole_seconds)
DIM_UNITS = Rule("en.measure", _DIM_UNITS, lambda m: m.group("a") + " by ")
DIMENSION = Rule("en.measure", _DIMENSION, _dimension)
TIMES_RANGE = Rule("en.measure", _TIMES_RANGE, _times_range)
TIMES = Rule("en.measure", _TIMES, _times)
PART_MEASURE = Rule("en.measure", _PART_MEASURE, _part_measure)
HYPHEN_MEASURE = Rule("en.measure", _HYPHEN_MEASURE, _hyphen_measure)
MEASURE = Rule("en.measure", _MEASURE, _measure)
SCALE_UNIT = Rule("en.measure", _SCALE_UNIT, lambda m: (_unit_words(m.group("u")) or ("", m.group(0)))[1])
INCHES = Rule("en.measure", _INCHES, _inches)
INCHES_AFTER_FEET = Rule("en.measure", _INCHES_AFTER_FEET, _inches)
DEGREES = Rule(
    "en.measure", _DEGREES, lambda m: "degrees " + ("Celsius" if m.group("s") == "C" else "Fahrenheit")
)

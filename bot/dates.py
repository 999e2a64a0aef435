"""Dates and periods as contributors write them, in French or English.

A written date names a span of time: "2025" is a year, "03/2025" a month,
"T3 2025" a quarter, "14/03/2025" a day. `parse_period` returns that span, from
its first to its last day, so that a start column takes `start` and an end
column takes `end`.

Numeric dates are read day first, as in France: "03/04/2025" is 3 April.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

# Excel counts days from 1899-12-30 (its 1900 leap-year bug shifts the origin
# by one day; see ECMA-376 Part 1, 18.17.4.1).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EARLIEST_YEAR = 1950
# How far past `today` a project may still be planned.
_YEARS_AHEAD = 30

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "february": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "june": 6,
    "juillet": 7, "juil": 7, "jul": 7, "july": 7,
    "aout": 8, "aug": 8, "august": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>\d{4})"

_ORDINALS = {
    "1": 1, "1er": 1, "1ere": 1, "premier": 1, "premiere": 1, "first": 1, "1st": 1,
    "2": 2, "2e": 2, "2eme": 2, "2nd": 2, "second": 2, "deuxieme": 2, "seconde": 2,
    "3": 3, "3e": 3, "3eme": 3, "troisieme": 3, "third": 3, "3rd": 3,
    "4": 4, "4e": 4, "4eme": 4, "quatrieme": 4, "fourth": 4, "4th": 4,
}  # fmt: skip
_ORDINAL = "(?P<ordinal>" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + ")"

# Seasons by meteorological months; winter is left out because it spans two
# years and people mean either.
_SEASONS = {
    "printemps": (3, 5), "spring": (3, 5),
    "ete": (6, 8), "summer": (6, 8),
    "automne": (9, 11), "autumn": (9, 11), "fall": (9, 11),
}  # fmt: skip
# Parts of a year: "début 2026" is its first quarter, "fin 2025" its last.
_PART_OF_YEAR = {
    "debut": (1, 3), "early": (1, 3), "beginning of": (1, 3),
    "mi": (5, 8), "mid": (5, 8), "milieu": (5, 8),
    "fin": (10, 12), "end of": (10, 12), "late": (10, 12),
}  # fmt: skip
_PART = "(?P<part>" + "|".join(sorted(_PART_OF_YEAR, key=len, reverse=True)) + ")"

# What joins the two ends of a range: "2024 - 2026", "de 2024 à 2026".
_RANGE_WORDS = re.compile(
    r"^(?:de|du|depuis|from|entre|between)\s+(?P<left>.+?)\s+"
    r"(?:a|au|jusqu'a|jusqu'au|jusqu'en|to|until|till|et|and)\s+(?P<right>.+)$"
)
_RANGE_SEPARATOR = re.compile(r"\s*[-–—/>]\s*|\s+(?:a|au|to|until)\s+")


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included."""

    start: dt.date
    end: dt.date


def parse_period(value: object, today: dt.date | None = None) -> Period:
    """Return the span of days a cell names; raise ValueError if not understood.

    `today` bounds plausible years (1950 to 30 years after it) and so the range
    of Excel serial numbers accepted.
    """
    latest_year = (today or dt.date.today()).year + _YEARS_AHEAD
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, dt.datetime):
        return _day(value.date())
    if isinstance(value, dt.date):
        return _day(value)
    if isinstance(value, int | float):
        return _from_number(value, latest_year)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")

    text = _simplify(value)
    if not text:
        raise ValueError("an empty cell is not a date")
    period = _parse_point(text, latest_year) or _parse_range(text, latest_year)
    if period is None:
        raise ValueError(f"{value!r} is not a date or a period we understand")
    return period


def _simplify(text: str) -> str:
    """Lowercase, strip accents, unify apostrophes and spaces."""
    folded = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    bare = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(bare.split()).strip(" .,;")


def _day(day: dt.date) -> Period:
    return Period(day, day)


def _from_number(number: float, latest_year: int) -> Period:
    is_whole = isinstance(number, int) or number.is_integer()
    if is_whole and _EARLIEST_YEAR <= number <= latest_year:
        return _year(int(number), latest_year)
    first = (dt.date(_EARLIEST_YEAR, 1, 1) - _EXCEL_EPOCH).days
    last = (dt.date(latest_year, 12, 31) - _EXCEL_EPOCH).days
    if first <= number <= last:
        return _day(_EXCEL_EPOCH + dt.timedelta(days=int(number)))
    raise ValueError(f"{number!r} is neither a year nor a spreadsheet date")


def _checked_year(year: int, latest_year: int) -> int:
    if not _EARLIEST_YEAR <= year <= latest_year:
        raise ValueError(f"{year} is not a plausible year")
    return year


def _year(year: int, latest_year: int) -> Period:
    _checked_year(year, latest_year)
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


def _months(year: int, first: int, last: int, latest_year: int) -> Period:
    _checked_year(year, latest_year)
    if not 1 <= first <= last <= 12:
        raise ValueError(f"month {last} does not exist")
    end_day = calendar.monthrange(year, last)[1]
    return Period(dt.date(year, first, 1), dt.date(year, last, end_day))


def _date(year: int, month: int, day: int, latest_year: int) -> Period:
    _checked_year(year, latest_year)
    try:
        return _day(dt.date(year, month, day))
    except ValueError as err:
        raise ValueError(f"{day:02d}/{month:02d}/{year} does not exist") from err


def _two_digit_year(digits: str) -> int:
    # Limitation: "14/03/25" is read as 2025; no project here predates 2000.
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


# Each written form: a pattern over the simplified text, and how to read it.
_Reader = Callable[[re.Match[str], int], Period]
_POINT_FORMS: list[tuple[re.Pattern[str], _Reader]] = [
    (
        re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ t][\d:.]+)?"),
        lambda m, y: _date(int(m["y"]), int(m["m"]), int(m["d"]), y),
    ),
    (
        re.compile(r"(?P<y>\d{4})-(?P<m>0?[1-9]|1[0-2])"),
        lambda m, y: _months(int(m["y"]), int(m["m"]), int(m["m"]), y),
    ),
    (
        re.compile(r"(?P<d>\d{1,2})([/.-])(?P<m>\d{1,2})\2(?P<y>\d{4}|\d{2})"),
        lambda m, y: _date(_two_digit_year(m["y"]), int(m["m"]), int(m["d"]), y),
    ),
    (
        re.compile(r"(?P<m>\d{1,2})[/.-](?P<y>\d{4})"),
        lambda m, y: _months(int(m["y"]), int(m["m"]), int(m["m"]), y),
    ),
    (
        re.compile(r"(?:en |courant |annee |year )?" + _YEAR),
        lambda m, y: _year(int(m["year"]), y),
    ),
    (
        re.compile(r"(?P<serial>\d{5})(?:\.\d+)?"),
        lambda m, y: _from_number(float(m["serial"]), y),
    ),
    (
        re.compile(r"(?:(?P<day>\d{1,2})(?:er)?\s+)?" + _MONTH + r"\s+" + _YEAR),
        lambda m, y: _month_or_day(m, y),
    ),
    (
        re.compile(_MONTH + r"\s+(?P<day>\d{1,2}),?\s+" + _YEAR),
        lambda m, y: _month_or_day(m, y),
    ),
    (
        re.compile(_PART + r"[\s-]+" + _MONTH + r"\s+" + _YEAR),
        lambda m, y: _month_or_day(m, y),
    ),
    (
        re.compile(r"(?:s|h)(?P<ordinal>[12])\s*-?\s*" + _YEAR),
        lambda m, y: _semester(m, y),
    ),
    (
        re.compile(_ORDINAL + r"\s+(?:semestre|half|half of)\s+" + _YEAR),
        lambda m, y: _semester(m, y),
    ),
    (
        re.compile(r"(?:t|q)(?P<ordinal>[1-4])\s*-?\s*" + _YEAR),
        lambda m, y: _quarter(m, y),
    ),
    (
        re.compile(_ORDINAL + r"\s+(?:trimestre|quarter)\s+" + _YEAR),
        lambda m, y: _quarter(m, y),
    ),
    (
        re.compile(
            r"(?P<season>" + "|".join(_SEASONS) + r")\s+(?:de |d'|of )?" + _YEAR
        ),
        lambda m, y: _months(int(m["year"]), *_SEASONS[m["season"]], y),
    ),
    (
        re.compile(_PART + r"[\s-]+(?:de |d'|of )?(?:l'annee )?" + _YEAR),
        lambda m, y: _months(int(m["year"]), *_PART_OF_YEAR[m["part"]], y),
    ),
]


def _month_or_day(match: re.Match[str], latest_year: int) -> Period:
    year, month = int(match["year"]), _MONTHS[match["month"]]
    day = match.groupdict().get("day")
    if day:
        return _date(year, month, int(day), latest_year)
    return _months(year, month, month, latest_year)


def _semester(match: re.Match[str], latest_year: int) -> Period:
    half = _ORDINALS[match["ordinal"]]
    if half > 2:
        raise ValueError(f"there is no semester {half}")
    return _months(int(match["year"]), 6 * half - 5, 6 * half, latest_year)


def _quarter(match: re.Match[str], latest_year: int) -> Period:
    quarter = _ORDINALS[match["ordinal"]]
    return _months(int(match["year"]), 3 * quarter - 2, 3 * quarter, latest_year)


def _parse_point(text: str, latest_year: int) -> Period | None:
    """Read one date or one named span; None when no form fits."""
    if re.fullmatch(r"\d{1,2}/\d{2}", text):
        # "3/25" may be March 2025 or 3 of some month: refuse to guess.
        raise ValueError(f"{text!r} is ambiguous; write 03/2025 or 03/03/2025")
    for pattern, read in _POINT_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return read(match, latest_year)
    return None


def _parse_range(text: str, latest_year: int) -> Period | None:
    """Read "2024-2026", "janvier 2024 - juin 2025", "de 2024 à 2026"."""
    worded = _RANGE_WORDS.fullmatch(text)
    if worded:
        splits = [(worded["left"], worded["right"])]
    else:
        splits = [
            (text[: m.start()], text[m.end() :])
            for m in _RANGE_SEPARATOR.finditer(text)
        ]
    for left, right in splits:
        period = _join(left.strip(), right.strip(), latest_year)
        if period is not None:
            return period
    return None


def _join(left: str, right: str, latest_year: int) -> Period | None:
    """Join the two ends of a range, or None when one end is not a date."""
    try:
        end = _parse_point(right, latest_year)
        if (
            end is None
            and re.fullmatch(r"\d{4}", left)
            and re.fullmatch(r"\d{2}", right)
        ):
            # "2024-26": the century of the end is the start's.
            end = _year(int(left[:2] + right), latest_year)
        if end is None:
            return None
        start = _parse_point(left, latest_year)
        if start is None:
            # "janvier - juin 2025": the start takes the end's year.
            start = _parse_point(f"{left} {end.start.year}", latest_year)
    except ValueError:
        return None
    if start is None:
        return None
    if start.start > end.end:
        raise ValueError(f"the period ends before it starts: {left!r} > {right!r}")
    return Period(start.start, end.end)

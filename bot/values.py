"""Cell values that need more than a lookup: lists, partners and amounts."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

from bot.vocabulary import Vocabulary, normalise

# Separators that always separate list items, whatever the items are.
_HARD_SEPARATORS = (";", "\n", "•", "·", " | ")
# Separators that may also sit inside an item ("Trinité et Tobago", "VIH/sida").
_SOFT_WITH_WORDS = (",", "/", " et ", " and ", " & ")
_SOFT_PUNCTUATION = (",", "/")
_BULLET = re.compile(r"^\s*(?:[-–—*•·]|\d+[.)])\s+")
_EDGE_PUNCTUATION = " \t.,;:-–—•·*\"'«»“”‘’"


def split_list(text: str, recognise: Callable[[str], bool] | None = None) -> list[str]:
    """Split a cell holding several items into its items.

    Semicolons, line breaks, bullets and " | " always split. Commas and slashes,
    and the words "et", "and" and "&", split only where that is unambiguous:
    with `recognise`, only when every resulting item is recognised (commas and
    slashes are tried alone when the words give an unrecognised item); without
    it, commas and slashes split and the words never do. Nothing inside
    parentheses is ever split.
    """
    items: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line)
        for part in _split_outside_parentheses(line, _HARD_SEPARATORS):
            items.extend(_split_soft(part, recognise))
    return [item for item in (_clean_item(item) for item in items) if item]


def _split_soft(part: str, recognise: Callable[[str], bool] | None) -> list[str]:
    if recognise is None:
        return _split_outside_parentheses(part, _SOFT_PUNCTUATION)
    for separators in (_SOFT_WITH_WORDS, _SOFT_PUNCTUATION):
        pieces = [
            piece
            for piece in map(_clean_item, _split_outside_parentheses(part, separators))
            if piece
        ]
        if len(pieces) > 1 and all(recognise(piece) for piece in pieces):
            return pieces
    return [part]


def _split_outside_parentheses(text: str, separators: tuple[str, ...]) -> list[str]:
    """Split `text` on any of `separators` found outside parentheses.

    A comma or a slash between two digits ("1,5", "03/2025") is not a separator.
    """
    pieces: list[str] = []
    depth = 0
    start = 0
    # Only brackets and separators matter: jump from one to the next.
    for match in _separator_pattern(separators).finditer(text):
        token = match.group()
        if token in "([":
            depth += 1
        elif token in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0 and not _between_digits(text, match.start(), token):
            pieces.append(text[start : match.start()])
            start = match.end()
    pieces.append(text[start:])
    return pieces


@functools.cache
def _separator_pattern(separators: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(separators, key=len, reverse=True)
    alternatives = "|".join(re.escape(separator) for separator in longest_first)
    return re.compile(rf"[()\[\]]|{alternatives}", re.IGNORECASE)


def _between_digits(text: str, position: int, separator: str) -> bool:
    if separator not in (",", "/", "."):
        return False
    before = text[position - 1] if position > 0 else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    return before.isdigit() and after.isdigit()


def _clean_item(item: str) -> str:
    cleaned = " ".join(item.split()).strip(_EDGE_PUNCTUATION)
    # Keep a closing parenthesis that closes something, drop a stray one.
    if cleaned.endswith(")") and cleaned.count("(") < cleaned.count(")"):
        cleaned = cleaned[:-1].rstrip()
    if cleaned.startswith("(") and cleaned.count("(") > cleaned.count(")"):
        cleaned = cleaned[1:].lstrip()
    return cleaned


_TRAILING_PARENTHESES = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]*)\)\s*$")
_DASH = re.compile(r"\s+[-–—]\s+")
_COUNTRY_PREPOSITIONS = {"de", "du", "d", "des", "au", "aux", "en", "in"}


def parse_partner(text: str, vocabulary: Vocabulary) -> tuple[str, str | None]:
    """Return a partner's canonical name and its country code (None if unknown).

    The country comes from parentheses ("UCAD (Sénégal)"), a trailing part after
    a comma or a dash ("UCAD, Dakar, Sénégal", "Hôpital X - Maroc"), a country
    name ending the name ("Ministère de la Santé du Sénégal"), the
    organisation dictionary, or else a city the name cites ("…, Vientiane"). A
    country written by the contributor wins over the dictionary's.
    """
    name = " ".join(text.split()).strip(_EDGE_PUNCTUATION)
    country: str | None = None

    # "Name (Country)"; "Name (ACRONYM)" leaves the parentheses in the name.
    match = _TRAILING_PARENTHESES.match(name)
    if match and match.group("name"):
        code = vocabulary.country(match.group("inner")).code
        if code is not None:
            name, country = match.group("name"), code

    # "Name, City, Country" or "Name - Country".
    if country is None:
        for separator in (",", _DASH):
            parts = (
                [p.strip() for p in name.split(",")]
                if separator == ","
                else [p.strip() for p in _DASH.split(name)]
            )
            if len(parts) < 2:
                continue
            code = vocabulary.country(parts[-1]).code
            if code is not None:
                country = code
                name = _name_from_parts(parts[:-1], vocabulary)
                break

    # Limitation: "Institut Pasteur (Madagascar)" stays "Institut Pasteur" with
    # country MG; the network's local institutes are found only by their name.
    organisation = vocabulary.organisation(name)
    if not organisation.known and "," in name:
        # "UCAD, Dakar": a known organisation followed by its city.
        head = vocabulary.organisation(name.split(",")[0])
        if head.known:
            organisation = head
    if country is None and not organisation.known:
        country = _trailing_country(organisation.name, vocabulary)
    country = country or organisation.country
    if country is None:
        # "Mahosot Hospital, Vientiane", "Hôpital Cho Ray (Hô Chi Minh-Ville)".
        country = vocabulary.cities.find_in(name)
    return organisation.name, country


def _name_from_parts(parts: list[str], vocabulary: Vocabulary) -> str:
    """Keep the organisation of "Name, City" parts, dropping the city if known."""
    head = vocabulary.organisation(parts[0])
    if head.known:
        return head.name
    return ", ".join(part for part in parts if part)


def _trailing_country(name: str, vocabulary: Vocabulary) -> str | None:
    """Return the country ending a name: "Ministère de la Santé du Sénégal"."""
    words = name.split()
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        before = normalise(words[-size - 1])
        if before not in _COUNTRY_PREPOSITIONS and not before.startswith("d "):
            continue
        found = vocabulary.country(" ".join(words[-size:]))
        if found.how in ("code", "name", "alias"):
            return found.code
    return None


# Currencies we do not convert: the caller reports the amount instead.
_FOREIGN_CURRENCY = re.compile(
    r"[$£¥₣]|\b(?:usd|us\$|gbp|chf|cad|jpy|cny|xof|xaf|fcfa|cfa|mad|tnd|dzd"
    r"|dollars?|livres?|francs?|pounds?|yens?)\b"
)
_APPROXIMATELY = re.compile(
    r"^(?:environ|env\.?|approx\.?|approximativement|about|around|ca\.?|circa|~|≈"
    r"|près de|pres de)\s*"
)
_EURO = re.compile(r"€|(?:\bd['’]\s*)?\beuros?\b|\beur\b")
_MULTIPLIERS = {
    "k": 1e3,
    "ke": 1e3,
    "keur": 1e3,
    "kilo": 1e3,
    "mille": 1e3,
    "milliers": 1e3,
    "m": 1e6,
    "me": 1e6,
    "meur": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "md": 1e9,
    "mds": 1e9,
    "mrd": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "billion": 1e9,
}
_AMOUNT = re.compile(r"^(?P<number>\d[\d\s.,']*)\s*(?P<unit>[a-z]*)$")


def parse_funding(value: object) -> float | None:
    """Return an amount in euros; None for an empty cell.

    Raise ValueError for text that is not an amount, a negative amount, or an
    amount in another currency (we do not convert).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int | float):
        return _checked_amount(float(value))
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an amount")

    text = " ".join(value.replace("\u00a0", " ").replace("\u202f", " ").split())
    text = text.casefold()
    if not text:
        return None
    if _FOREIGN_CURRENCY.search(text):
        raise ValueError(f"{value!r} is not in euros")
    text = _APPROXIMATELY.sub("", text)
    text = re.sub(r"\s*\b(?:ht|ttc|hors taxes?|toutes taxes comprises)$", "", text)
    # "1,2 M€" -> "1,2 m", "k€" -> "k", "€ 2 500" -> "2 500".
    text = _EURO.sub(" ", text).strip()
    text = re.sub(r"(?<=\d)\s+(?=[a-z])", "", text)
    match = _AMOUNT.match(text)
    if match is None:
        raise ValueError(f"{value!r} is not an amount")
    unit = match.group("unit")
    multiplier = _MULTIPLIERS.get(unit, 1.0 if unit == "" else math.nan)
    if math.isnan(multiplier):
        raise ValueError(f"{value!r} has an unknown unit {unit!r}")
    number = _parse_number(match.group("number"), has_multiplier=unit != "")
    return _checked_amount(number * multiplier)


def _parse_number(digits: str, has_multiplier: bool) -> float:
    """Read "150 000,50", "1.2", "1,250,000" or "150.000" as a number.

    Spaces and apostrophes group thousands. When both a comma and a dot occur,
    the last one is the decimal mark. A single mark followed by exactly three
    digits groups thousands ("150.000"), unless a multiplier follows ("1,250 M€"
    is 1.25 million); otherwise it is the decimal mark.
    """
    compact = re.sub(r"[\s']", "", digits)
    marks = [char for char in compact if char in ".,"]
    if len(set(marks)) == 2:
        decimal = compact[max(compact.rfind("."), compact.rfind(","))]
        grouping = "," if decimal == "." else "."
        compact = compact.replace(grouping, "").replace(decimal, ".")
    elif len(marks) > 1:
        compact = compact.replace(marks[0], "")
    elif len(marks) == 1:
        whole, _, fraction = compact.replace(",", ".").partition(".")
        if len(fraction) == 3 and not has_multiplier:
            compact = whole + fraction
        else:
            compact = f"{whole}.{fraction}"
    try:
        return float(compact)
    except ValueError as err:
        raise ValueError(f"{digits!r} is not a number") from err


def _checked_amount(amount: float) -> float:
    if math.isnan(amount) or math.isinf(amount) or amount < 0:
        raise ValueError(f"{amount!r} is not a possible amount")
    return amount

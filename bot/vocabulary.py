"""The words contributors use for columns, countries, domains and organisations.

A `Vocabulary` is loaded once from the `synonyms/` folder (see its README) and
the country tables of pycountry and babel, then answers many small questions:
which field a header names, which country a cell means, which domains a
free-text cell mentions, which organisation a partner is, and whether a cell
says yes or no.

Every lookup compares *keys*: text passed through `normalise`, so that case,
accents, apostrophes and punctuation never matter.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry
import yaml
from babel import Locale
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.model import CONTRIBUTED_FIELDS, DOMAIN_CODES

logger = logging.getLogger(__name__)

# Letters NFKD leaves whole but people write as two letters.
CACHE_SIZE = 50_000

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d"})
_NON_WORD = re.compile(r"[^0-9a-z]+")
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")

# Grammatical words that carry no meaning in a header or a domain.
_STOPWORDS = frozenset(
    {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"}
    | {"par", "pour", "sur", "un", "une", "of", "the", "and", "in", "for", "with", "by"}
)

# Scores for header matches that are not an exact synonym.
_HEADER_PREFIX_SCORE = 90.0
_HEADER_FUZZY_CUTOFF = 88.0
_HEADER_FUZZY_MARGIN = 4.0

# A misspelt country is accepted only when clearly close to one country.
_COUNTRY_ACCEPT_SCORE = 88.0
_COUNTRY_ACCEPT_MARGIN = 6.0
_COUNTRY_SUGGEST_SCORE = 72.0
_COUNTRY_FUZZY_MIN_LENGTH = 5

_ORGANISATION_FUZZY_CUTOFF = 85.0
_ORGANISATION_FUZZY_MIN_LENGTH = 12

# babel territory codes that are not countries (CLDR pseudo and group codes).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})

_YES = frozenset(
    {"oui", "o", "yes", "y", "x", "vrai", "true", "1", "restricted"}
    | {"confidentiel", "confidentielle", "confidential", "restreint", "restreinte"}
    | {"diffusion restreinte", "non public", "non publique", "ne pas diffuser"}
)
_NO = frozenset(
    {"non", "n", "no", "faux", "false", "0", "public", "publique", "publiable"}
    | {"non confidentiel", "non confidentielle", "not confidential", "libre"}
    | {"diffusion publique", "diffusion libre"}
)


@functools.lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Return `text` casefolded, without accents and punctuation, spaces collapsed."""
    folded = text.casefold()
    # Workbooks repeat the same few thousand texts: cached, and ASCII skips NFKD.
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded.translate(_LIGATURES))
        folded = "".join(char for char in folded if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", folded).strip()


def _key(text: str) -> str:
    """Return the comparison key of a phrase: normalised, stopwords and plurals off."""
    words = []
    for word in normalise(text).split():
        if word in _STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def _without_parentheses(text: str) -> str:
    return _PARENTHESISED.sub(" ", text)


def _contains_phrase(haystack: str, phrase: str) -> bool:
    """Tell whether `phrase` occurs in `haystack` on word boundaries (both keys)."""
    return f" {phrase} " in f" {haystack} "


def _remove_phrase(haystack: str, phrase: str) -> str:
    return " ".join(f" {haystack} ".replace(f" {phrase} ", " ").split())


@dataclass(frozen=True)
class HeaderMatch:
    """The canonical field a column header names."""

    field: str
    confidential: bool
    score: float
    exact: bool


@dataclass(frozen=True)
class CountryMatch:
    """A country as understood from a cell, or why it was not."""

    code: str | None
    how: str
    suggestion: str | None


@dataclass(frozen=True)
class OrganisationMatch:
    """An organisation as understood from a cell."""

    name: str
    known: bool
    country: str | None
    acronym: str | None
    kind: str | None = None


@dataclass(frozen=True)
class _Organisation:
    name: str
    acronym: str | None
    country: str | None
    kind: str | None


class CityTable:
    """Capitals and major cities (synonyms/cities.yaml), by normalised name."""

    def __init__(self, cities: dict[str, str]) -> None:
        self.cities = cities
        self.longest = max((len(name.split()) for name in cities), default=1)

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> CityTable:
        return cls(
            {
                normalise(str(name)): str(code)
                for code, names in (document.get("cities") or {}).items()
                for name in names
            }
        )

    def country(self, text: str) -> str | None:
        return self.cities.get(normalise(text))

    def find_in(self, text: str) -> str | None:
        """Return the country of the cities a name mentions, if they agree.

        "Mahosot Hospital, Vientiane" gives LA; a name citing cities of two
        countries gives None.
        """
        words = normalise(text).split()
        found = set()
        for size in range(min(self.longest, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                code = self.cities.get(" ".join(words[start : start + size]))
                if code:
                    found.add(code)
        return found.pop() if len(found) == 1 else None


class Vocabulary:
    """Lookup tables built once from `synonyms/` and the country libraries."""

    def __init__(self) -> None:
        # Workbooks repeat the same countries and partners on every row.
        self._country_cache: dict[str, CountryMatch] = {}
        self._country_alternatives: dict[str, tuple[str, str]] = {}
        self.cities = CityTable({})
        self._organisation_cache: dict[str, OrganisationMatch] = {}
        self._header_keys: dict[str, str] = {}
        self._confidentiality_markers: list[str] = []
        self._confidentiality_fillers: frozenset[str] = frozenset()
        self._country_keys: dict[str, tuple[str, str]] = {}
        self._country_short_keys: dict[str, tuple[str, str]] = {}
        self._country_names_fr: dict[str, str] = {}
        self._region_keys: frozenset[str] = frozenset()
        self._region_words: frozenset[str] = frozenset()
        self._domain_phrases: dict[tuple[str, ...], list[str]] = {}
        self._domain_longest = 1
        self._topics: dict[str, list[str]] = {}
        self._topic_keys: dict[str, str] = {}
        self._organisation_keys: dict[str, _Organisation] = {}
        self._organisation_acronyms: dict[str, _Organisation] = {}

    @classmethod
    def load(cls, directory: Path) -> Vocabulary:
        """Read the synonym files in `directory` and build every lookup table."""
        started = time.perf_counter()
        vocabulary = cls()
        vocabulary._load_headers(_read_yaml(directory / "headers.yaml"))
        vocabulary._load_countries(_read_yaml(directory / "countries.yaml"))
        vocabulary._load_domains(_read_yaml(directory / "domains.yaml"))
        vocabulary._load_organisations(_read_yaml(directory / "organisations.yaml"))
        cities = directory / "cities.yaml"
        if cities.exists():
            vocabulary.cities = CityTable.from_document(_read_yaml(cities))
        logger.info(
            "vocabulary %s: loaded in %.3f s (%s header synonyms, %s country names,"
            " %s organisation names)",
            directory,
            time.perf_counter() - started,
            len(vocabulary._header_keys),
            len(vocabulary._country_keys),
            len(vocabulary._organisation_keys),
        )
        return vocabulary

    # Headers

    def _load_headers(self, document: dict[str, Any]) -> None:
        for field_name, synonyms in document["fields"].items():
            if field_name not in CONTRIBUTED_FIELDS:
                raise ValueError(f"headers.yaml: unknown field {field_name!r}")
            for synonym in synonyms:
                self._add_unique(self._header_keys, _key(synonym), field_name, synonym)
        self._confidentiality_markers = sorted(
            {_key(marker) for marker in document["confidentiality_markers"]},
            key=len,
            reverse=True,
        )
        self._confidentiality_fillers = frozenset(
            _key(filler) for filler in document["confidentiality_fillers"]
        )

    @staticmethod
    def _add_unique(table: dict[str, str], key: str, value: str, source: str) -> None:
        known = table.setdefault(key, value)
        if known != value:
            raise ValueError(f"synonym {source!r} names both {known!r} and {value!r}")

    def match_header(self, text: str) -> HeaderMatch | None:
        """Return the field a column header names, or None for an unknown header."""
        full_key = _key(text)
        base_key = _key(_without_parentheses(text))
        marker = next(
            (m for m in self._confidentiality_markers if _contains_phrase(full_key, m)),
            None,
        )
        if marker is None:
            return self._match_field(base_key) or self._match_field(full_key)

        # A marker plus other words: those words name the field to hide.
        rest = base_key
        for other in self._confidentiality_markers:
            rest = _remove_phrase(rest, other)
        meaningful = [w for w in rest.split() if w not in self._confidentiality_fillers]
        if not meaningful:
            return HeaderMatch(
                "confidential", confidential=False, score=100.0, exact=True
            )
        match = self._match_field(rest)
        if match is None or match.field == "confidential":
            return None
        return HeaderMatch(match.field, True, match.score, match.exact)

    def marks_confidential(self, text: str) -> bool:
        """Tell whether a header says its column is confidential, known or not."""
        full_key = _key(text)
        return any(_contains_phrase(full_key, m) for m in self._confidentiality_markers)

    def _match_field(self, key: str) -> HeaderMatch | None:
        if not key:
            return None
        field_name = self._header_keys.get(key)
        if field_name is not None:
            return HeaderMatch(field_name, False, 100.0, True)
        return self._match_field_by_prefix(key) or self._match_field_fuzzily(key)

    def _match_field_by_prefix(self, key: str) -> HeaderMatch | None:
        """Match "Budget prévisionnel" or "Date de début prévue" by their start."""
        words = key.split()
        candidates: dict[str, int] = {}
        for size in range(len(words) - 1, 0, -1):
            extra = len(words) - size
            synonym = " ".join(words[:size])
            field_name = self._header_keys.get(synonym)
            if field_name is None:
                continue
            # A one-word synonym followed by words is only trusted when long and
            # followed by one qualifier ("Budget total", not "Site d'intervention
            # en zone rurale").
            if size == 1 and (len(synonym) < 5 or extra > 1):
                continue
            if extra > 2:
                continue
            candidates.setdefault(field_name, size)
        if not candidates:
            return None
        longest = max(candidates.values())
        best = [name for name, size in candidates.items() if size == longest]
        if len(best) != 1:
            return None
        return HeaderMatch(best[0], False, _HEADER_PREFIX_SCORE, False)

    def _match_field_fuzzily(self, key: str) -> HeaderMatch | None:
        if len(key) < 5:
            return None
        results = process.extract(
            key,
            self._header_keys.keys(),
            scorer=fuzz.ratio,
            limit=8,
            score_cutoff=_HEADER_FUZZY_CUTOFF - _HEADER_FUZZY_MARGIN,
        )
        if not results or results[0][1] < _HEADER_FUZZY_CUTOFF:
            return None
        best_key, best_score, _ = results[0]
        best_field = self._header_keys[best_key]
        # Two fields almost equally close: a guess either way could misfile data.
        rivals = [
            score
            for other_key, score, _ in results[1:]
            if self._header_keys[other_key] != best_field
        ]
        if rivals and best_score - max(rivals) < _HEADER_FUZZY_MARGIN:
            return None
        return HeaderMatch(best_field, False, round(best_score, 1), False)

    # Countries

    def _load_countries(self, document: dict[str, Any]) -> None:
        french = Locale("fr").territories
        english = Locale("en").territories
        codes = {country.alpha_2 for country in pycountry.countries} | {"XK"}
        self._country_names_fr = {
            code: french.get(code) or english.get(code) or code for code in codes
        }
        self._country_names_fr.update(document.get("display_names") or {})

        # Later sources override earlier ones: the project's aliases win. A bare
        # "Congo" is CG, ISO's short name; `ambiguous` lets the report say that
        # some writers mean the DRC by it.
        self._country_alternatives = {
            normalise(str(name)): (str(other["meant"]), str(other["write"]))
            for name, other in (document.get("ambiguous") or {}).items()
        }
        for country in pycountry.countries:
            self._country_short_keys[country.alpha_2] = (country.alpha_2, "code")
            self._country_short_keys[country.alpha_3] = (country.alpha_2, "code")
            for attribute in ("name", "official_name", "common_name"):
                for variant in _name_variants(getattr(country, attribute, None)):
                    self._add_country(variant, country.alpha_2, "name")
        self._country_short_keys["XK"] = ("XK", "code")
        self._country_short_keys["XKX"] = ("XK", "code")
        for territories in (english, french):
            for code, name in territories.items():
                if code in codes and code not in _NOT_COUNTRIES:
                    for variant in _name_variants(name):
                        self._add_country(variant, code, "name")
        for code, aliases in document["aliases"].items():
            for alias in aliases:
                self._add_country(alias, code, "alias")
        for code, demonyms in document["demonyms"].items():
            for demonym in demonyms:
                for form in _inflections(demonym):
                    self._country_keys.setdefault(normalise(form), (code, "demonym"))

        region_names = [
            name
            for code, name in [*french.items(), *english.items()]
            if code.isdigit() or code in _NOT_COUNTRIES
        ]
        self._region_keys = frozenset(
            normalise(name) for name in [*region_names, *document["regions"]]
        )
        self._region_words = frozenset(
            normalise(word) for word in document["region_words"]
        )

    def _add_country(self, name: str, code: str, how: str) -> None:
        key = normalise(name)
        if len(key.replace(" ", "")) <= 3:
            # "UK", "RDC": only ever matched when written in capitals.
            self._country_short_keys[name.replace(".", "").replace(" ", "")] = (
                code,
                how,
            )
            return
        self._country_keys[key] = (code, how)

    def country(self, text: str) -> CountryMatch:
        """Return the country a cell names, with how it was understood."""
        found = self._country_cache.get(text)
        if found is None:
            if len(self._country_cache) > CACHE_SIZE:
                self._country_cache.clear()
            found = self._country_cache[text] = self._find_country(text)
        return found

    def _find_country(self, text: str) -> CountryMatch:
        stripped = text.strip().strip(".;,:*")
        compact = stripped.replace(".", "").replace(" ", "")
        if 2 <= len(compact) <= 3 and compact.isalpha():
            # Short tokens are codes only in capitals: "de", "la", "et" are words.
            short = self._country_short_keys.get(compact) if compact.isupper() else None
            if short is not None:
                return CountryMatch(short[0], short[1], None)
            return CountryMatch(None, "unknown", None)

        for candidate in _country_candidates(stripped):
            found = self._country_keys.get(candidate)
            if found is not None:
                return CountryMatch(found[0], found[1], None)
            if candidate in self._region_keys:
                return CountryMatch(None, "unknown", None)
        return self._country_fuzzily(normalise(_without_parentheses(stripped)))

    def _country_fuzzily(self, key: str) -> CountryMatch:
        words = set(key.split())
        if len(key) < 4 or words & self._region_words:
            return CountryMatch(None, "unknown", None)
        results = process.extract(
            key,
            self._country_keys.keys(),
            scorer=fuzz.ratio,
            limit=10,
            score_cutoff=_COUNTRY_SUGGEST_SCORE - _COUNTRY_ACCEPT_MARGIN,
        )
        best_by_code: dict[str, float] = {}
        for name, score, _ in results:
            code = self._country_keys[name][0]
            best_by_code[code] = max(score, best_by_code.get(code, 0.0))
        ranked = sorted(best_by_code.items(), key=lambda item: item[1], reverse=True)
        if not ranked or ranked[0][1] < _COUNTRY_SUGGEST_SCORE:
            return CountryMatch(None, "unknown", None)
        best_code, best_score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if (
            best_score >= _COUNTRY_ACCEPT_SCORE
            and best_score - runner_up >= _COUNTRY_ACCEPT_MARGIN
            and len(key) >= _COUNTRY_FUZZY_MIN_LENGTH
        ):
            return CountryMatch(best_code, "fuzzy", best_code)
        return CountryMatch(None, "unknown", best_code)

    def other_country_meant(self, text: str) -> tuple[str, str] | None:
        """Return the other country some writers mean by a name, and what to write."""
        return self._country_alternatives.get(normalise(text))

    def country_name(self, code: str) -> str:
        """Return the French name of a country code, for display ("Sénégal")."""
        return self._country_names_fr.get(code.upper(), code)

    # Domains

    def _load_domains(self, document: dict[str, Any]) -> None:
        for code, terms in document["domains"].items():
            if code not in DOMAIN_CODES:
                raise ValueError(f"domains.yaml: unknown domain {code!r}")
            for term in terms:
                phrase = tuple(_key(term).split())
                codes = self._domain_phrases.setdefault(phrase, [])
                if code not in codes:
                    codes.append(code)
                self._domain_longest = max(self._domain_longest, len(phrase))
        self._topics = {
            str(topic): [str(synonym) for synonym in synonyms]
            for topic, synonyms in document.get("topics", {}).items()
        }
        self._topic_keys = {
            _key(name): topic
            for topic, synonyms in self._topics.items()
            for name in (topic, *synonyms)
        }

    def topic(self, text: str) -> str | None:
        """Return the canonical topic (disease, theme) a phrase names, if any."""
        return self._topic_keys.get(_key(text))

    def domains(self, text: str) -> tuple[list[str], list[str]]:
        """Return the domain codes a cell mentions and the parts not understood."""
        found: list[str] = []
        unrecognised: list[str] = []
        for chunk in _DOMAIN_SEPARATORS.split(text):
            if not normalise(chunk):
                continue
            codes, leftovers = self._domains_in_chunk(chunk)
            found.extend(code for code in codes if code not in found)
            unrecognised.extend(leftovers)
        return found, unrecognised

    def _domains_in_chunk(self, chunk: str) -> tuple[list[str], list[str]]:
        """Find domain phrases in one chunk; return codes and unmatched groups."""
        groups = _DOMAIN_CONNECTORS.split(chunk.strip())
        words = _key(chunk.replace("&", " et ")).split()
        covered = [False] * len(words)
        codes: list[str] = []
        position = 0
        while position < len(words):
            for size in range(min(self._domain_longest, len(words) - position), 0, -1):
                phrase = tuple(words[position : position + size])
                if phrase in self._domain_phrases:
                    codes.extend(self._domain_phrases[phrase])
                    covered[position : position + size] = [True] * size
                    position += size
                    break
            else:
                position += 1
        if not codes:
            fuzzy_codes = self._domain_fuzzily(" ".join(words))
            if fuzzy_codes:
                return fuzzy_codes, []
            return [], [chunk.strip()]

        # Report each "et"-separated group of the chunk that matched nothing.
        sizes = [len(_key(group).split()) for group in groups]
        if sum(sizes) != len(words):
            return codes, [] if all(covered) else [chunk.strip()]
        leftovers = []
        start = 0
        for group, size in zip(groups, sizes, strict=True):
            if size and not any(covered[start : start + size]):
                leftovers.append(group.strip())
            start += size
        return codes, leftovers

    def _domain_fuzzily(self, key: str) -> list[str]:
        if len(key) < 8:
            return []
        phrases = {
            " ".join(phrase): codes for phrase, codes in self._domain_phrases.items()
        }
        best = process.extractOne(
            key, phrases.keys(), scorer=fuzz.ratio, score_cutoff=90
        )
        return list(phrases[best[0]]) if best else []

    @property
    def topics(self) -> dict[str, list[str]]:
        """Return the canonical topics (diseases, themes) and their synonyms."""
        return {topic: list(synonyms) for topic, synonyms in self._topics.items()}

    # Organisations

    def _load_organisations(self, document: dict[str, Any]) -> None:
        for entry in document["organisations"]:
            organisation = _Organisation(
                name=entry["name"],
                acronym=entry.get("acronym"),
                country=entry.get("country"),
                kind=entry.get("kind"),
            )
            names = [organisation.name, *entry.get("aliases", [])]
            for name in names:
                key = normalise(name)
                if len(key.replace(" ", "")) <= 4:
                    self._organisation_acronyms[key.replace(" ", "")] = organisation
                else:
                    self._organisation_keys[key] = organisation
            if organisation.acronym:
                acronym_key = normalise(organisation.acronym).replace(" ", "")
                self._organisation_acronyms[acronym_key] = organisation

    def organisation(self, text: str) -> OrganisationMatch:
        """Return the organisation a cell names, canonical when known."""
        found = self._organisation_cache.get(text)
        if found is None:
            if len(self._organisation_cache) > CACHE_SIZE:
                self._organisation_cache.clear()
            found = self._organisation_cache[text] = self._find_organisation(text)
        return found

    def _find_organisation(self, text: str) -> OrganisationMatch:
        cleaned = " ".join(text.split()).strip(" .;,:-–—*")
        for candidate in (cleaned, _without_parentheses(cleaned)):
            known = self._known_organisation(candidate)
            if known is not None:
                return _organisation_match(known)
        return OrganisationMatch(cleaned, False, None, None)

    def _known_organisation(self, text: str) -> _Organisation | None:
        key = normalise(text)
        if not key:
            return None
        found = self._organisation_keys.get(key)
        if found is not None:
            return found
        compact = key.replace(" ", "")
        if len(compact) <= 12 and compact in self._organisation_acronyms:
            return self._organisation_acronyms[compact]
        if len(key) < _ORGANISATION_FUZZY_MIN_LENGTH:
            return None
        results = process.extract(
            key,
            self._organisation_keys.keys(),
            scorer=fuzz.ratio,
            limit=5,
            score_cutoff=_ORGANISATION_FUZZY_CUTOFF,
        )
        close = {
            self._organisation_keys[name]
            for name, _, _ in results
            if _differs_by_typos(key, name)
        }
        return close.pop() if len(close) == 1 else None

    # Yes or no

    def yes_no(self, value: object) -> bool | None:
        """Return what a yes/no cell says; None when it is not understood."""
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if value == 1:
                return True
            return False if value == 0 else None
        if not isinstance(value, str):
            return None
        key = normalise(value)
        if key == "":
            return False
        if key in _YES:
            return True
        if key in _NO:
            return False
        return None


_DOMAIN_SEPARATORS = re.compile(r"[;,/|\n•]+|\s+-\s+")
_DOMAIN_CONNECTORS = re.compile(r"\s+(?:et|and)\s+|\s*&\s*", re.IGNORECASE)


def _read_yaml(path: Path) -> dict[str, Any]:
    """Read a synonym file, refusing anything but text in its leaves."""
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    _check_text(document, str(path))
    return document


def _check_text(node: object, where: str) -> None:
    # YAML reads an unquoted no, yes or off as a boolean: say so rather than
    # match the word "False".
    if isinstance(node, dict):
        for key, child in node.items():
            _check_text(key, where)
            _check_text(child, f"{where}/{key}")
    elif isinstance(node, list):
        for child in node:
            _check_text(child, where)
    elif not isinstance(node, str):
        raise ValueError(f"{where}: {node!r} is not text; put it in quotes")


def _name_variants(name: str | None) -> Iterable[str]:
    """Yield a library name and its usual rewritings.

    pycountry writes "Korea, Republic of" and babel "Myanmar (Birmanie)"; people
    write "Republic of Korea", "Myanmar" and "Birmanie".
    """
    if not name:
        return
    yield name
    if ", " in name:
        head, _, tail = name.partition(", ")
        yield f"{tail} {head}"
        yield head
    inner = re.search(r"\(([^()]+)\)", name)
    if inner:
        yield _without_parentheses(name)
        yield inner.group(1)
    if name.lower().startswith("the "):
        yield name[4:]


def _inflections(demonym: str) -> list[str]:
    """Return the masculine, feminine and plural forms of a French demonym."""
    forms = [demonym]
    if demonym.endswith(("ais", "ois", "is", "ès", "és")) or demonym.endswith("s"):
        forms += [demonym + "e", demonym + "es"]
    elif demonym.endswith(("ien", "éen", "en")):
        forms += [demonym + "s", demonym + "ne", demonym + "nes"]
    elif demonym.endswith("e"):
        forms += [demonym + "s"]
    else:
        forms += [demonym + "s", demonym + "e", demonym + "es"]
    return forms


def _country_candidates(text: str) -> Iterable[str]:
    """Yield keys to try for a country cell, from the most to the least literal."""
    key = normalise(text)
    yield key
    words = key.split()
    # "le Sénégal", "la France", "l'Inde", "les Pays-Bas", "the Netherlands".
    if len(words) > 1 and words[0] in {"le", "la", "l", "les", "the"}:
        yield " ".join(words[1:])
    bare = normalise(_without_parentheses(text))
    if bare != key:
        yield bare


def _differs_by_typos(typed: str, known: str) -> bool:
    """Tell whether two names differ only by a typo or two inside their words.

    A ratio alone would take "CHU de Toulon" for "CHU de Toulouse": names that
    differ by a whole syllable of one word are different organisations.
    """
    typed_words, known_words = typed.split(), known.split()
    if len(typed_words) != len(known_words):
        return False
    edits = [
        Levenshtein.distance(a, b)
        for a, b in zip(typed_words, known_words, strict=True)
    ]
    return max(edits) <= 1 and sum(edits) <= 2


def _organisation_match(organisation: _Organisation) -> OrganisationMatch:
    return OrganisationMatch(
        name=organisation.name,
        known=True,
        country=organisation.country,
        acronym=organisation.acronym,
        kind=organisation.kind,
    )

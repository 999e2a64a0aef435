"""Synonyms for the site search, supplied to Pagefind at index time.

Pagefind has no synonyms: it finds a page only by the words in it. So each page
carries, in a hidden element inside its indexed body, the other names of what
it mentions: every synonym of a disease or topic (`domains.yaml`, `topics`),
every name and acronym of a known organisation (`organisations.yaml`) and every
name of its countries (French and English from babel, aliases from
`countries.yaml`). A search for "malaria" then finds a page that only says
"paludisme".

The hidden words would show in Pagefind's result excerpt when they are what
matched; each one is preceded by `SYNONYM_MARK`, and the search page replaces
an excerpt that holds the mark by the page's own summary (see
`templates/recherche.md.j2`).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from babel import Locale
from markupsafe import Markup, escape

from bot.vocabulary import Vocabulary, normalise

logger = logging.getLogger(__name__)

# A word no reader types, placed before each hidden synonym (see module doc).
SYNONYM_MARK = "drcsynonyme"

# Terms this short ("TB", "OMS", "CE") match only when written in capitals:
# in lower case they are ordinary words ("ce", "tb" rarely, but "ue" often).
_SHORT_TERM = 3

_WORD = re.compile(r"\w+")


@dataclass
class _Group:
    """Names that mean one thing; a page naming one is found by all."""

    terms: list[str]


@dataclass
class SearchSynonyms:
    """Groups of equivalent names, indexed for a fast scan of page text."""

    groups: list[_Group] = field(default_factory=list)
    country_names: dict[str, list[str]] = field(default_factory=dict)
    # First word of a phrase key -> (phrase key, group index, needs capitals).
    _phrases: dict[str, list[tuple[str, int, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def load(cls, directory: Path, vocabulary: Vocabulary) -> SearchSynonyms:
        """Build the synonym groups from `synonyms/` and the vocabulary's topics."""
        synonyms = cls()
        for topic, others in vocabulary.topics.items():
            synonyms._add_group([topic, *others])

        # Limitation: organisations and country aliases are read from their
        # YAML files here, because Vocabulary exposes no public list of them.
        organisations = _read(directory / "organisations.yaml")["organisations"]
        for entry in organisations:
            names = [entry["name"], *entry.get("aliases", [])]
            if entry.get("acronym"):
                names.append(entry["acronym"])
            synonyms._add_group(names)

        aliases = _read(directory / "countries.yaml").get("aliases", {})
        english = Locale("en").territories
        for code in {*aliases, *english}:
            if len(code) != 2 or not code.isalpha():
                continue
            names = [vocabulary.country_name(code), english.get(code, "")]
            names += aliases.get(code, [])
            synonyms.country_names[code] = _unique(names)
        logger.debug("search synonyms: %s groups", len(synonyms.groups))
        return synonyms

    def _add_group(self, terms: list[str]) -> None:
        index = len(self.groups)
        self.groups.append(_Group(_unique(terms)))
        for term in terms:
            key = normalise(term)
            if not key:
                continue
            short = len(key.replace(" ", "")) <= _SHORT_TERM
            self._phrases[key.split()[0]].append((key, index, short))

    def terms_for(self, text: str, countries: Iterable[str] = ()) -> list[str]:
        """Return the other names of what `text` and `countries` mention."""
        key = f" {normalise(text)} "
        capitals = " " + normalise(
            " ".join(w for w in _WORD.findall(text) if w.isupper())
        )
        capitals += " "
        found: dict[int, set[str]] = defaultdict(set)
        for word in set(key.split()):
            for phrase, index, short in self._phrases.get(word, ()):
                if f" {phrase} " in (capitals if short else key):
                    found[index].add(phrase)
        matched = [
            index
            for index, phrases in sorted(found.items())
            if not all(_inside_other(p, index, found) for p in phrases)
        ]
        terms = [term for index in matched for term in self.groups[index].terms]
        for code in countries:
            terms += self.country_names.get(code, [])
        return _unique(terms)

    def hidden_block(self, text: str, countries: Iterable[str] = ()) -> Markup:
        """Return the hidden element that carries a page's synonyms for Pagefind."""
        terms = self.terms_for(text, countries)
        if not terms:
            return Markup("")
        words = " ".join(f"{SYNONYM_MARK} {escape(term)}" for term in terms)
        return Markup(
            f'<div class="drc-synonyms" hidden aria-hidden="true">{words}</div>'
        )


def _inside_other(phrase: str, index: int, found: dict[int, set[str]]) -> bool:
    """Tell whether a longer name of another group holds this phrase.

    "Institut Pasteur de Dakar" also contains "Institut Pasteur": the page
    names the first, not the second.
    """
    return any(
        len(other) > len(phrase) and f" {phrase} " in f" {other} "
        for other_index, phrases in found.items()
        if other_index != index
        for other in phrases
    )


def _unique(terms: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for term in terms:
        key = normalise(term)
        if key and key not in seen:
            seen.add(key)
            unique.append(term)
    return unique


def _read(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return document if isinstance(document, dict) else {}

"""Fields found in free prose: countries, cities, organisations, domains, dates.

A project note says "avec l'Université Gamal Abdel Nasser de Conakry, de 2025
à 2027" rather than filling labelled lines. `ProseReader` finds such mentions
sentence by sentence and keeps, for each, the sentence it came from.

Organisations are found without a statistical model: known names and acronyms
from `synonyms/organisations.yaml`, then runs of capitalised words around an
institution noun ("Université", "Hospital", "Ministère", "Institute"...), which
is how institutions are named in French and English. spaCy's
`fr_core_news_sm` was measured against this on the test corpus (see README,
"Documents"): it found fewer partners, split ministry names, and costs about
770 MB and 3 s at each start of the bot.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from bot.dates import Period, parse_period
from bot.model import CellRef
from bot.values import parse_partner
from bot.vocabulary import CityTable, Vocabulary, normalise

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?")
_ELISION = re.compile(r"^([dlDL]|qu|Qu|jusqu)['’](?=\w)")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"«(]?[A-ZÀ-Ý0-9])")


def _normalised_words(text: str) -> frozenset[str]:
    return frozenset(normalise(word) for word in text.split())


# Nouns that name an institution, normalised.
INSTITUTION_NOUNS = frozenset(
    {"universite", "university", "universidade", "universidad", "hopital"}
    | {"hospital", "hospitalier", "chu", "chr", "chnu", "cnhu", "institut"}
    | {"institute", "instituto", "institutet", "ministere", "ministry", "faculte"}
    | {"faculty", "ecole", "school", "agence", "agency", "fondation", "foundation"}
    | {"laboratoire", "laboratory", "clinique", "clinic", "centre", "center"}
    | {"direction", "programme", "program", "association", "organisation"}
    | {"organization", "societe", "society", "conseil", "council", "observatoire"}
    | {"reseau", "academie", "academy", "college", "department", "departement"}
    | {"instance", "caisse", "fonds", "fund", "alliance", "polyclinique"}
    | {"dispensaire", "unite", "unit", "croix", "cross", "trust", "service"}
)
# Words that join the parts of a name.
_CONNECTORS = frozenset(
    {"de", "du", "des", "d", "la", "le", "l", "les", "of", "the", "and", "et"}
    | {"for", "pour", "en", "y", "del", "da", "do", "dos", "das", "di", "&"}
)
_DETERMINERS = frozenset({"la", "le", "l", "les", "the", "d", "de", "du", "des"})
# Lower-case words that belong to French institution names after their noun.
_NAME_WORDS = _normalised_words(
    "national nationale nationaux nationales universitaire universitaires "
    "hospitalier hospitalière hospitaliers hospitalo public publique publics "
    "régional régionale régionaux général générale central centrale "
    "provincial provinciale municipal municipale fédéral fédérale supérieur "
    "supérieure médical médicale militaire pédiatrique clinique international "
    "internationale reconstructive chirurgie santé sciences science recherche "
    "recherches médecine pharmacie technologie technologies techniques "
    "développement hygiène lutte contre maladies maladie infectieuses "
    "tropicale tropicales biomédicale évaluation accréditation assurance "
    "population protection référence soins agronomique épidémiologie "
    "vétérinaire laboratoire oncologie cancer sida tuberculose paludisme "
    "sociale médicament médicaments produits sécurité enfants mère enfant"
)
# Capitalised words that open a sentence rather than a name.
_OPENERS = _normalised_words(
    "Le La Les L Un Une Des Du De Avec Et Ou En Dans Pour Par Sur Au Aux Ce "
    "Cet Cette Ces Son Sa Ses Leur Leurs Notre Nos Depuis Selon Entre Chez "
    "Via Porté Mené Conduit Grâce Partenaires Partenaire The A An And Or With "
    "In For By On At Our Their Its This These Partners Partner Since From "
    "Between Dear Hello Bonjour Madame Monsieur Both"
)
_LANGUAGE_CUES = frozenset({"en", "in", "l", "langue", "language", "cours"})
# Words just before an organisation that make it a funder.
_FUNDING_CUES = re.compile(
    r"(?:financ\w*\s+par|funded by|funding from|grant from|subventionn\w*\s+par"
    r"|avec le soutien (?:financier )?d[eu']?|with (?:the )?support of)"
    r"\s*(?:l'|l’|la |le |les |the )?$",
    re.IGNORECASE,
)
# Single words too common in prose to name a domain on their own.
_GENERIC_DOMAIN_WORDS = frozenset(
    {"qualite", "quality", "medecine", "care", "soin", "eau", "water", "echange"}
    | {"echanges", "exchange", "mobilite", "master", "food", "diet", "regulation"}
    | {"dependance", "autonomie", "alerte", "alimentaire", "biologie", "autre"}
    | {"autres", "other", "others", "divers", "gouvernance", "doctorat", "bourses"}
    | {"certification", "education", "enseignement", "teaching", "climat"}
)

# Verbs that say a project trains people: "forme les équipes", "trains".
_TRAINING_VERBS = re.compile(
    r"(?<!sous )(?<!la )(?<!une )\bforme\s+(?:des|les|de|d')\b"
    r"|\b(?:forment|formera|formeront|formons|formait|formaient|formé(?:e|s|es)?"
    r"|trains?|trained)\b",
    re.IGNORECASE,
)

_NUMBERS = {
    "un": 1, "une": 1, "one": 1, "deux": 2, "two": 2, "trois": 3, "three": 3,
    "quatre": 4, "four": 4, "cinq": 5, "five": 5, "six": 6, "sept": 7,
    "seven": 7, "huit": 8, "eight": 8, "dix": 10, "ten": 10,
}  # fmt: skip
_MONTH_WORDS = (
    r"janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre"
    r"|novembre|decembre|january|february|march|april|may|june|july|august"
    r"|september|october|november|december|janv|fevr|sept|oct|nov|dec"
)
_DATE = (
    r"(?:(?:\d{1,2}(?:er)?\s+)?(?:" + _MONTH_WORDS + r")\.?\s+|(?:debut|fin|mi)[\s-]"
    r"|(?:early|late|mid)[\s-]|\d{1,2}/)?(?:19|20)\d{2}"
)
_RANGE = re.compile(
    r"\b(?:de|du|from|between|entre|sur la periode)\s+(?P<start>" + _DATE + r")\s+"
    r"(?:a|au|to|and|et|jusqu'a|jusqu'au|jusqu'en|until)\s+(?P<end>" + _DATE + r")"
)
_YEAR_RANGE = re.compile(
    r"\b(?P<start>(?:19|20)\d{2})\s*[-–—/]\s*(?P<end>(?:19|20)\d{2})\b"
)
_START = re.compile(
    r"(?:a partir d[e']\s*|depuis\s+|starting(?: in| from)?\s+|des\s+"
    r"|commenc\w*\s+en\s+|demarr\w*\s+(?:en\s+)?|debut\w*\s+en\s+"
    r"|lance\w*\s+en\s+|started in\s+"
    r"|starts? in\s+|launched in\s+|begins? in\s+|began in\s+)(?P<start>" + _DATE + ")"
)
_END = re.compile(
    r"(?:jusqu'(?:en|a|au)\s+|until\s+|till\s+|through\s+|d'ici\s+(?:a\s+)?"
    r"|se terminera\s+(?:en\s+)?|prendra fin\s+(?:en\s+)?|ends? in\s+"
    r"|s'achevera\s+(?:en\s+)?|se termine\s+(?:en\s+)?)(?P<end>" + _DATE + ")"
)
_DURATION = re.compile(
    r"\b(?:pour|sur|pendant|durant|for|over|d'une duree de|durera|dure|lasts?"
    r"|will last)\s+(?P<count>\d+|"
    + "|".join(_NUMBERS)
    + r")\s+(?P<unit>ans?|annees?|mois|years?|months?)\b"
)
# "le projet PALUCLIM" in French, "the PALUCLIM project" in English.
_ACRONYM = re.compile(
    r"\b(?:projet|project|programme|program|reseau|réseau|network|étude|etude"
    r"|study|initiative)\s+(?P<acronym>[A-Z][A-Z0-9]{2,}(?:-[A-Z0-9]+)*)\b"
    r"|\b(?P<before>[A-Z][A-Z0-9]{2,}(?:-[A-Z0-9]+)*)\s+(?:project|programme"
    r"|program|network|study|initiative|trial)\b"
)


@dataclass(frozen=True)
class Sentence:
    text: str
    ref: CellRef


@dataclass
class Mention:
    """A value found in prose, with the words and the sentence it came from."""

    value: Any
    words: str
    sentence: Sentence
    start: int = 0
    end: int = 0


@dataclass
class ProseFindings:
    countries: list[Mention] = field(default_factory=list)
    partners: list[Mention] = field(default_factory=list)
    french_actors: list[Mention] = field(default_factory=list)
    funders: list[Mention] = field(default_factory=list)
    domains: list[Mention] = field(default_factory=list)
    start: Mention | None = None
    end: Mention | None = None
    acronym: Mention | None = None


@dataclass
class _Token:
    text: str
    key: str
    start: int
    end: int
    boundary_before: bool


def split_sentences(text: str, ref: CellRef) -> list[Sentence]:
    """Cut a paragraph into sentences, each keeping the paragraph's place."""
    return [Sentence(part, ref) for part in _SENTENCE_END.split(text) if part.strip()]


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        gap = text[previous_end : match.start()]
        boundary = bool(re.search(r"[^\s&'’-]", gap))
        word, start = match.group(), match.start()
        elision = _ELISION.match(word)
        if elision:
            tokens.append(
                _Token(elision.group(1), normalise(elision.group(1)), start,
                       start + len(elision.group(1)), boundary)
            )  # fmt: skip
            start += elision.end()
            word = word[elision.end() :]
            boundary = False
        if "&" in gap and not boundary:
            tokens.append(_Token("&", "&", previous_end, match.start(), False))
        tokens.append(_Token(word, normalise(word), start, match.end(), boundary))
        previous_end = match.end()
    return tokens


def _capitalised(token: _Token) -> bool:
    return token.text[:1].isupper()


def _is_head(token: _Token) -> bool:
    parts = token.key.split()
    return any(part in INSTITUTION_NOUNS for part in parts)


class ProseReader:
    """Finds project fields in the sentences of a document."""

    def __init__(self, vocabulary: Vocabulary, cities: CityTable) -> None:
        self.vocabulary = vocabulary
        self.cities = cities

    def read(self, sentences: list[Sentence]) -> ProseFindings:
        findings = ProseFindings()
        for sentence in sentences:
            tokens = _tokens(sentence.text)
            organisations = self._organisations(sentence, tokens, findings)
            taken = [(m.start, m.end) for m in organisations]
            self._countries(sentence, tokens, taken, findings)
            self._domains(sentence, taken, findings)
        self._dates(sentences, findings)
        for sentence in sentences:
            acronym = project_acronym(sentence.text)
            if acronym is not None:
                findings.acronym = Mention(acronym, acronym, sentence)
                break
        return findings

    # Organisations

    def _organisations(
        self, sentence: Sentence, tokens: list[_Token], findings: ProseFindings
    ) -> list[Mention]:
        mentions: list[Mention] = []
        covered = [False] * len(tokens)
        for first, last in self._name_runs(tokens):
            mention = self._resolve_run(sentence, tokens, first, last)
            if mention is not None:
                mentions.append(mention)
                covered[first : last + 1] = [True] * (last + 1 - first)
        mentions += self._known_names(sentence, tokens, covered)
        mentions.sort(key=lambda mention: mention.start)
        for mention in mentions:
            self._file_organisation(mention, sentence, findings)
        return mentions

    def _name_runs(self, tokens: list[_Token]) -> list[tuple[int, int]]:
        """Return (first, last) token indexes of runs naming an institution."""
        runs: list[tuple[int, int]] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            lower_head = _is_head(token) and not _capitalised(token)
            if not (_capitalised(token) or lower_head):
                index += 1
                continue
            first, seen_head = index, _is_head(token)
            last = index
            position = index + 1
            while position < len(tokens) and not tokens[position].boundary_before:
                candidate = tokens[position]
                if candidate.key in ("et", "and", "&") and self._starts_new_name(
                    tokens, position + 1
                ):
                    break
                if _capitalised(candidate) or candidate.text.isupper():
                    last = position
                    seen_head = seen_head or _is_head(candidate)
                elif candidate.key in _CONNECTORS:
                    pass
                elif seen_head and (
                    candidate.key in _NAME_WORDS or _is_head(candidate)
                ):
                    last = position
                else:
                    break
                position += 1
            first = self._skip_openers(tokens, first, last)
            if (
                seen_head
                and first <= last
                and any(_is_head(tokens[i]) for i in range(first, last + 1))
            ):
                last = self._before_location(tokens, first, last)
                if lower_head and not self._trailing_city(tokens[first : last + 1]):
                    # "le programme pour Rift Valley" is no institution;
                    # "l'hôpital provincial de Luang Prabang" is one.
                    index = position
                    continue
                runs.append((first, last))
            index = max(position, index + 1)
        return runs

    def _before_location(self, tokens: list[_Token], first: int, last: int) -> int:
        """Cut "... d'Oran en Algérie" before "en Algérie": a place, not a name."""
        for position in range(first + 1, last):
            if tokens[position].key not in ("en", "in", "au", "aux"):
                continue
            words = " ".join(token.text for token in tokens[position + 1 : last + 1])
            if self.vocabulary.country(words).how in ("name", "alias"):
                return position - 1
        return last

    def _starts_new_name(self, tokens: list[_Token], position: int) -> bool:
        """Tell whether "et"/"and" is followed by another institution's name."""
        while position < len(tokens) and tokens[position].key in _DETERMINERS:
            if tokens[position].key in ("de", "du", "des", "d"):
                return False
            position += 1
        if position >= len(tokens) or not _capitalised(tokens[position]):
            return False
        for candidate in tokens[position : position + 6]:
            if _is_head(candidate):
                return True
            if not (_capitalised(candidate) or candidate.text.isupper()):
                break
        return self.vocabulary.organisation(tokens[position].text).known

    @staticmethod
    def _skip_openers(tokens: list[_Token], first: int, last: int) -> int:
        while first <= last and (
            tokens[first].key in _OPENERS or tokens[first].key in _CONNECTORS
        ):
            first += 1
        return first

    def _resolve_run(
        self, sentence: Sentence, tokens: list[_Token], first: int, last: int
    ) -> Mention | None:
        start, end = tokens[first].start, tokens[last].end
        words = sentence.text[start:end]
        if len(words.split()) < 2 and not self.vocabulary.organisation(words).known:
            return None
        known = self.vocabulary.organisation(words)
        if known.known:
            value = {"name": known.name, "country": known.country, "kind": known.kind}
        else:
            name, country = parse_partner(words, self.vocabulary)
            country = country or self._trailing_city(tokens[first : last + 1])
            value = {"name": name, "country": country, "kind": None}
        return Mention(value, words, sentence, start, end)

    def _trailing_city(self, tokens: list[_Token]) -> str | None:
        """Return the country of a city ending a name: "Université de Lomé"."""
        for size in range(min(self.cities.longest, len(tokens) - 1), 0, -1):
            before = tokens[-size - 1].key
            if before not in ("de", "d", "du", "of", "a", "in"):
                continue
            words = " ".join(token.text for token in tokens[-size:])
            code = self.cities.country(words)
            if code:
                return code
        return None

    def _known_names(
        self, sentence: Sentence, tokens: list[_Token], covered: list[bool]
    ) -> list[Mention]:
        """Find organisations of the dictionary named outside institution runs."""
        mentions: list[Mention] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if covered[index] or not (_capitalised(token) or token.text.isupper()):
                index += 1
                continue
            found = None
            for size in range(min(12, len(tokens) - index), 0, -1):
                span = tokens[index : index + size]
                if any(covered[index : index + size]):
                    continue
                if any(t.boundary_before for t in span[1:]) and size > 1:
                    continue
                tail = span[-1]
                if size == 1 and not (_capitalised(tail) or tail.text.isupper()):
                    continue
                if tail.key in _CONNECTORS:
                    continue
                words = sentence.text[span[0].start : tail.end]
                if size == 1 and len(words) <= 5 and not words.isupper():
                    continue
                match = self.vocabulary.organisation(words)
                if match.known:
                    found = (size, match, words)
                    break
            if found is None:
                index += 1
                continue
            size, match, words = found
            value = {"name": match.name, "country": match.country, "kind": match.kind}
            start, end = tokens[index].start, tokens[index + size - 1].end
            mentions.append(Mention(value, words, sentence, start, end))
            index += size
        return mentions

    def _file_organisation(
        self, mention: Mention, sentence: Sentence, findings: ProseFindings
    ) -> None:
        """Put an organisation among French actors, funders or partners."""
        value = mention.value
        before = sentence.text[: mention.start]
        if value["kind"] == "funder" or _FUNDING_CUES.search(before):
            target = findings.funders
        elif value["country"] == "FR":
            target = findings.french_actors
        else:
            target = findings.partners
        if all(normalise(m.value["name"]) != normalise(value["name"]) for m in target):
            target.append(mention)

    # Countries and cities

    def _countries(
        self,
        sentence: Sentence,
        tokens: list[_Token],
        taken: list[tuple[int, int]],
        findings: ProseFindings,
    ) -> None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if any(start <= token.start < end for start, end in taken):
                index += 1
                continue
            size = self._country_at(tokens, index, sentence, findings)
            index += size or 1

    def _country_at(
        self,
        tokens: list[_Token],
        index: int,
        sentence: Sentence,
        findings: ProseFindings,
    ) -> int:
        for size in range(min(5, len(tokens) - index), 0, -1):
            span = tokens[index : index + size]
            if size > 1 and any(t.boundary_before for t in span[1:]):
                continue
            words = sentence.text[span[0].start : span[-1].end]
            code = self._country_code(words, span, tokens[index - 1] if index else None)
            if code is None:
                continue
            if code != "FR" and all(m.value != code for m in findings.countries):
                findings.countries.append(
                    Mention(code, words, sentence, span[0].start, span[-1].end)
                )
            return size
        return 0

    def _country_code(
        self, words: str, span: list[_Token], previous: _Token | None
    ) -> str | None:
        if _capitalised(span[0]):
            city = self.cities.country(words)
            if city:
                return city
        match = self.vocabulary.country(words)
        if match.code is None or match.how not in ("name", "alias", "demonym"):
            return None
        if match.how == "demonym":
            # "en anglais" is a language, not a country.
            if previous is not None and previous.key in _LANGUAGE_CUES:
                return None
            return match.code
        if not _capitalised(span[0]):
            return None
        return match.code

    # Domains

    def _domains(
        self, sentence: Sentence, taken: list[tuple[int, int]], findings: ProseFindings
    ) -> None:
        text = sentence.text
        for start, end in sorted(taken, reverse=True):
            text = text[:start] + " ; " + text[end:]
        words = [
            " ; " if normalise(word) in _GENERIC_DOMAIN_WORDS else word
            for word in re.split(r"(\W+)", text)
        ]
        codes, _ = self.vocabulary.domains("".join(words))
        if _TRAINING_VERBS.search(text):
            codes.append("formation")
        for code in codes:
            if code != "autre" and all(m.value != code for m in findings.domains):
                findings.domains.append(Mention(code, sentence.text, sentence))

    # Dates

    def _dates(self, sentences: list[Sentence], findings: ProseFindings) -> None:
        for sentence in sentences:
            text = _simplify(sentence.text)
            for pattern in (_RANGE, _YEAR_RANGE):
                match = pattern.search(text)
                if match and findings.start is None:
                    period = _period(match["start"], match["end"])
                    if period is not None:
                        findings.start = Mention(period.start, match.group(), sentence)
                        findings.end = Mention(period.end, match.group(), sentence)
        for sentence in sentences:
            text = _simplify(sentence.text)
            start = _START.search(text)
            if start and findings.start is None:
                period = _period(start["start"])
                if period is not None:
                    findings.start = Mention(period.start, start.group(), sentence)
            end = _END.search(text)
            if end and findings.end is None:
                period = _period(end["end"])
                if period is not None:
                    findings.end = Mention(period.end, end.group(), sentence)
        if findings.start is not None and findings.end is None:
            for sentence in sentences:
                duration = _DURATION.search(_simplify(sentence.text))
                if duration:
                    findings.end = Mention(
                        _add_duration(findings.start.value, duration),
                        duration.group(),
                        sentence,
                    )
                    break


def project_acronym(text: str) -> str | None:
    """Return the acronym a sentence gives its project ("le projet NEOSAN")."""
    match = _ACRONYM.search(text)
    if match is None:
        return None
    return match.group("acronym") or match.group("before")


def _simplify(text: str) -> str:
    return normalise_keep_punctuation(text)


def normalise_keep_punctuation(text: str) -> str:
    """Lowercase and strip accents, keeping digits, dashes and apostrophes."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(char for char in folded if not unicodedata.combining(char))


def _period(first: str, last: str | None = None) -> Period | None:
    try:
        start = parse_period(first)
        if last is None:
            return start
        end = parse_period(last)
    except ValueError:
        return None
    if end.end < start.start:
        return None
    return Period(start.start, end.end)


def _add_duration(start: dt.date, duration: re.Match[str]) -> dt.date:
    """Return the last day of a duration counted from `start`."""
    count_text = duration["count"]
    count = int(count_text) if count_text.isdigit() else _NUMBERS[count_text]
    months = count if duration["unit"].startswith(("mois", "month")) else 12 * count
    year, month = divmod(start.month - 1 + months, 12)
    following = dt.date(start.year + year, month + 1, 1)
    return following - dt.timedelta(days=1)

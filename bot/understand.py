"""From raw rows to canonical project records: columns, values and confidentiality.

Each table's headers are mapped to canonical fields once; then every row is read
field by field. A value that cannot be understood is reported where it sits and
left out; only a row without a title is rejected, so one bad cell never sinks
its row and one bad row never sinks the others.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.config import DEFAULT_CONFIDENTIAL
from bot.dates import parse_period
from bot.model import (
    LIST_FIELDS,
    CellRef,
    Problem,
    ProjectRecord,
    RawCell,
    RawRow,
    RawTable,
    WorkbookContent,
)
from bot.values import parse_funding, parse_partner, split_list
from bot.vocabulary import Vocabulary, normalise

STATUS_WORDS = {
    "planned": (
        "prevu",
        "planifie",
        "a venir",
        "en projet",
        "en preparation",
        "futur",
        "planned",
        "upcoming",
        "pipeline",
        "en montage",
    ),
    "ongoing": (
        "en cours",
        "actif",
        "active",
        "ongoing",
        "in progress",
        "demarre",
        "en execution",
    ),
    "ended": (
        "termine",
        "acheve",
        "clos",
        "cloture",
        "fini",
        "ended",
        "completed",
        "closed",
        "finished",
        "fin",
    ),
}

# List fields whose reading depends on the cell's text alone: a workbook
# repeats the same countries and partners on many rows, so each distinct text
# is understood once per table and its values and problems are replayed.
REMEMBERED_FIELDS = frozenset(
    {"countries", "partners", "french_actors", "funders", "domains", "keywords"}
)
# What one reading of a cell gave: the fields it filled and its problems.
_Reading = tuple[dict[str, Any], list[Problem]]

URL_PATTERN = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class UnderstandingSettings:
    always_confidential: tuple[str, ...] = DEFAULT_CONFIDENTIAL


@dataclass
class Column:
    """One column of a table and the canonical field it feeds, if any."""

    header: RawCell
    field: str | None
    confidential: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "location": str(self.header.ref),
            "header": self.header.text,
            "field": self.field,
            "confidential": self.confidential,
        }


@dataclass
class RejectedRow:
    ref: CellRef
    reason: str
    reference: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"location": str(self.ref), "reason": self.reason}


@dataclass
class Understanding:
    """What was understood from one file."""

    columns: list[Column] = field(default_factory=list)
    records: list[ProjectRecord] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def understand_workbook(
    content: WorkbookContent,
    vocabulary: Vocabulary,
    settings: UnderstandingSettings,
) -> Understanding:
    """Understand every table of a workbook."""
    understanding = Understanding()
    for table in content.tables:
        _understand_table(table, vocabulary, settings, understanding)
    understanding.records = _merge_repeated_rows(
        understanding.records, understanding.problems
    )
    return understanding


def _understand_table(
    table: RawTable,
    vocabulary: Vocabulary,
    settings: UnderstandingSettings,
    understanding: Understanding,
) -> None:
    columns = map_columns(table.headers, vocabulary, understanding.problems)
    understanding.columns += columns
    memo: dict[tuple[str, str], _Reading] = {}
    for row in table.rows:
        reader = _RowReader(row, columns, vocabulary, settings, memo)
        outcome = reader.read()
        understanding.problems += reader.problems
        if isinstance(outcome, RejectedRow):
            understanding.rejected.append(outcome)
        else:
            understanding.records.append(outcome)


def map_columns(
    headers: list[RawCell], vocabulary: Vocabulary, problems: list[Problem]
) -> list[Column]:
    """Map each header to a canonical field; report fuzzy and repeated matches."""
    columns = []
    taken: dict[str, RawCell] = {}
    for header in headers:
        match = vocabulary.match_header(header.text) if header.text else None
        if match is None:
            # An unmapped column is kept in `extra`: its header may still say
            # that its values are confidential ("Commentaire confidentiel").
            confidential = vocabulary.marks_confidential(header.text)
            columns.append(Column(header=header, field=None, confidential=confidential))
            continue
        if not match.exact:
            problems.append(
                Problem(
                    "info",
                    "En-tête compris par approximation.",
                    ref=header.ref,
                    value=header.text,
                    understood=f"colonne « {match.field} »",
                    suggestion="Corrigez l'en-tête si ce n'est pas le bon champ.",
                )
            )
        if match.field in taken and match.field not in LIST_FIELDS:
            problems.append(
                Problem(
                    "warning",
                    f"Une autre colonne ({taken[match.field].ref}) donne déjà ce "
                    "champ ; celle-ci est conservée telle quelle sans être "
                    "interprétée.",
                    ref=header.ref,
                    value=header.text,
                    understood=f"colonne « {match.field} » en double",
                    suggestion="Gardez une seule colonne par information.",
                )
            )
            columns.append(Column(header=header, field=None))
            continue
        taken.setdefault(match.field, header)
        columns.append(
            Column(header=header, field=match.field, confidential=match.confidential)
        )
    return columns


def derive_status(start: str | None, end: str | None, today: dt.date) -> str | None:
    """Return planned, ongoing or ended from ISO dates, or None without dates."""
    if start and dt.date.fromisoformat(start) > today:
        return "planned"
    if end and dt.date.fromisoformat(end) < today:
        return "ended"
    if start or end:
        return "ongoing"
    return None


def parse_status(text: str) -> str | None:
    key = normalise(text)
    for status, words in STATUS_WORDS.items():
        if any(key == word or key.startswith(word + " ") for word in words):
            return status
    return None


class _RowReader:
    """Reads one row into a record, collecting the problems it meets."""

    def __init__(
        self,
        row: RawRow,
        columns: list[Column],
        vocabulary: Vocabulary,
        settings: UnderstandingSettings,
        memo: dict[tuple[str, str], _Reading],
    ) -> None:
        self.row = row
        self.columns = columns
        self.vocabulary = vocabulary
        self.settings = settings
        self.memo = memo
        self.problems: list[Problem] = []
        self.fields: dict[str, Any] = {}
        self.extra: dict[str, str] = {}
        self.confidential = False
        self.confidential_fields: set[str] = set()

    def _read_remembered(self, field_name: str, cell: RawCell) -> None:
        """Read a list cell once per distinct text of the file, then replay it."""
        key = (field_name, cell.text)
        reading = self.memo.get(key)
        if reading is None:
            scratch = _RowReader(
                self.row, self.columns, self.vocabulary, self.settings, {}
            )
            getattr(scratch, f"read_{field_name}")(cell)
            reading = self.memo[key] = (scratch.fields, scratch.problems)

        fields, problems = reading
        for name, values in fields.items():
            if name == "partners":
                for partner in values:
                    self._add_partner(partner["name"], partner["country"])
            else:
                self._extend(name, values)
        self.problems += [replace(problem, ref=cell.ref) for problem in problems]

    def warn(self, cell: RawCell, message: str, **details: str | None) -> None:
        self.problems.append(
            Problem("warning", message, ref=cell.ref, value=cell.text, **details)
        )

    def read(self) -> ProjectRecord | RejectedRow:
        first_ref = self.row.cells[0].ref if self.row.cells else None
        for column, cell in zip(self.columns, self.row.cells, strict=False):
            if not cell.text:
                continue
            if column.field is None:
                header = column.header.text or f"Colonne {column.header.ref}"
                self.extra[header] = cell.text
                if column.confidential or "extra" in self.settings.always_confidential:
                    self.confidential_fields.add(f"extra.{header}")
                continue
            if column.confidential:
                self.confidential_fields.add(column.field)
            if column.field in REMEMBERED_FIELDS:
                self._read_remembered(column.field, cell)
            else:
                getattr(self, f"read_{column.field}")(cell)

        self._place_partners()
        self.confidential_fields |= {
            name for name in self.settings.always_confidential if self.fields.get(name)
        }
        self._check_dates()
        title = str(self.fields.get("title") or "").strip()
        reference = self.fields.get("reference")
        location = first_ref or CellRef("?", self.row.number, 1)
        if not title:
            return RejectedRow(
                ref=CellRef(location.sheet, self.row.number, location.column),
                reason="titre du projet manquant : la ligne n'est pas enregistrée. "
                "Ajoutez un intitulé dans la colonne du titre.",
                reference=reference,
            )
        return ProjectRecord(
            source_ref=CellRef(location.sheet, self.row.number, location.column),
            fields=self.fields,
            extra=self.extra,
            confidential=self.confidential,
            confidential_fields=sorted(self.confidential_fields),
        )

    # One method per canonical field, named read_<field>.

    def read_reference(self, cell: RawCell) -> None:
        self.fields["reference"] = cell.text

    def read_title(self, cell: RawCell) -> None:
        self.fields["title"] = " ".join(cell.text.split())

    def read_description(self, cell: RawCell) -> None:
        self._append_text("description", cell.text)

    def read_contact(self, cell: RawCell) -> None:
        self._append_text("contact", cell.text)

    def _append_text(self, name: str, text: str) -> None:
        earlier = self.fields.get(name)
        self.fields[name] = f"{earlier}\n{text}" if earlier else text

    def read_url(self, cell: RawCell) -> None:
        text = cell.text.strip()
        if not URL_PATTERN.match(text):
            self.warn(
                cell,
                "Adresse web non reconnue ; elle n'est pas reprise.",
                suggestion="Indiquez une adresse complète commençant par https://.",
            )
            return
        self.fields["url"] = text if "://" in text else f"https://{text}"

    def read_keywords(self, cell: RawCell) -> None:
        self._extend("keywords", split_list(cell.text))

    def _extend(self, name: str, values: list[Any]) -> None:
        current = self.fields.setdefault(name, [])
        current.extend(value for value in values if value not in current)

    def read_countries(self, cell: RawCell) -> None:
        def known(part: str) -> bool:
            return self.vocabulary.country(part).code is not None

        codes = []
        for part in split_list(cell.text, recognise=known):
            match = self.vocabulary.country(part)
            other = self.vocabulary.other_country_meant(part)
            if match.code and other:
                codes.append(match.code)
                self.problems.append(
                    Problem(
                        "info",
                        f"« {part} » peut désigner deux pays.",
                        ref=cell.ref,
                        value=cell.text,
                        understood=self.vocabulary.country_name(match.code),
                        suggestion=f"Si vous pensiez à « "
                        f"{self.vocabulary.country_name(other[0])} », écrivez "
                        f"« {other[1]} ».",
                    )
                )
            elif match.code and match.how != "fuzzy":
                codes.append(match.code)
            elif match.code:
                codes.append(match.code)
                self.warn(
                    cell,
                    f"Pays « {part} » compris par approximation.",
                    understood=self.vocabulary.country_name(match.code),
                    suggestion="Corrigez l'orthographe si ce n'est pas ce pays.",
                )
            else:
                suggestion = "Écrivez le nom du pays en toutes lettres."
                if match.suggestion:
                    name = self.vocabulary.country_name(match.suggestion)
                    suggestion = f"Vouliez-vous dire « {name} » ?"
                self.warn(
                    cell,
                    f"Pays « {part} » non reconnu ; il n'est pas repris.",
                    suggestion=suggestion,
                )
        self._extend("countries", codes)

    def read_partners(self, cell: RawCell) -> None:
        def known(part: str) -> bool:
            return self.vocabulary.organisation(part).known

        for part in split_list(cell.text, recognise=known):
            name, country = parse_partner(part, self.vocabulary)
            if country == "FR":
                self._extend("french_actors", [name])
                continue
            self._add_partner(name, country)

    def _add_partner(self, name: str, country: str | None) -> None:
        partners = self.fields.setdefault("partners", [])
        if all(normalise(p["name"]) != normalise(name) for p in partners):
            partners.append({"name": name, "country": country})

    def read_french_actors(self, cell: RawCell) -> None:
        def known(part: str) -> bool:
            return self.vocabulary.organisation(part).known

        names = [
            self.vocabulary.organisation(part).name
            for part in split_list(cell.text, recognise=known)
        ]
        self._extend("french_actors", names)

    def read_funders(self, cell: RawCell) -> None:
        def known(part: str) -> bool:
            return self.vocabulary.organisation(part).known

        names = [
            self.vocabulary.organisation(part).name
            for part in split_list(cell.text, recognise=known)
        ]
        self._extend("funders", names)

    def read_domains(self, cell: RawCell) -> None:
        codes, unknown = self.vocabulary.domains(cell.text)

        # A disease or theme ("paludisme") is not a domain: keep it as a keyword.
        topics = []
        for part in unknown:
            names = [self.vocabulary.topic(p) for p in split_list(part)]
            if names and all(names):
                topics += [str(name) for name in names if name not in topics]
        if topics:
            self._extend("keywords", topics)
            unknown = [
                part
                for part in unknown
                if not all(self.vocabulary.topic(p) for p in split_list(part))
            ]
            if not codes and not unknown:
                self.problems.append(
                    Problem(
                        "info",
                        "Thème ou maladie plutôt que domaine : repris en mot-clé.",
                        ref=cell.ref,
                        value=cell.text,
                        understood=", ".join(topics),
                        suggestion="Ajoutez un domaine (par exemple « recherche "
                        "clinique », « soins », « formation ») si vous le souhaitez.",
                    )
                )
                return
        if unknown:
            self.warn(
                cell,
                "Domaine en partie non reconnu : "
                + ", ".join(f"« {part} »" for part in unknown)
                + ".",
                understood=", ".join(codes) if codes else "autre",
                suggestion="Utilisez un des domaines listés sur la page Contribuer.",
            )
        self._extend("domains", codes or ["autre"])

    def read_start_date(self, cell: RawCell) -> None:
        period = self._period(cell)
        if period:
            self.fields["start_date"] = period.start.isoformat()

    def read_end_date(self, cell: RawCell) -> None:
        period = self._period(cell)
        if period:
            self.fields["end_date"] = period.end.isoformat()

    def read_period(self, cell: RawCell) -> None:
        period = self._period(cell)
        if period:
            self.fields.setdefault("start_date", period.start.isoformat())
            self.fields.setdefault("end_date", period.end.isoformat())

    def _period(self, cell: RawCell) -> Any:
        try:
            return parse_period(cell.value)
        except ValueError:
            self.warn(
                cell,
                "Date non comprise ; elle n'est pas reprise.",
                suggestion="Écrivez par exemple 15/03/2025, mars 2025, S1 2025 "
                "ou 2024-2026.",
            )
            return None

    def _place_partners(self) -> None:
        """Give partners the row's only country; add partners' countries to it."""
        countries = self.fields.get("countries", [])
        partners = self.fields.get("partners", [])
        for partner in partners:
            if partner["country"] is None and len(countries) == 1:
                partner["country"] = countries[0]
        if partners:
            self._extend(
                "countries",
                [p["country"] for p in partners if p["country"] not in (None, "FR")],
            )

    def _check_dates(self) -> None:
        start, end = self.fields.get("start_date"), self.fields.get("end_date")
        if start and end and end < start:
            ref = self.row.cells[0].ref if self.row.cells else None
            self.problems.append(
                Problem(
                    "warning",
                    f"La date de fin ({end}) précède la date de début ({start}) ; "
                    "la date de fin n'est pas reprise.",
                    ref=ref and CellRef(ref.sheet, self.row.number, ref.column),
                    suggestion="Vérifiez les deux dates de ce projet.",
                )
            )
            del self.fields["end_date"]

    def read_status(self, cell: RawCell) -> None:
        status = parse_status(cell.text)
        if status is None:
            self.warn(
                cell,
                "Statut non compris ; il sera déduit des dates.",
                suggestion="Écrivez « prévu », « en cours » ou « terminé ».",
            )
            return
        self.fields["status"] = status

    def read_funding(self, cell: RawCell) -> None:
        try:
            amount = parse_funding(cell.value)
        except ValueError:
            self.warn(
                cell,
                "Montant non compris ; il n'est pas repris.",
                suggestion="Indiquez un montant en euros, par exemple 150 000 €.",
            )
            return
        if amount is not None:
            self.fields["funding"] = amount

    def read_confidential(self, cell: RawCell) -> None:
        answer = self.vocabulary.yes_no(cell.value)
        if answer is None:
            # Fail closed: an unreadable answer must not publish the project.
            answer = True
            self.warn(
                cell,
                "Indication de confidentialité non comprise : le projet est "
                "traité comme confidentiel.",
                understood="confidentiel",
                suggestion="Répondez « oui » ou « non ».",
            )
        self.confidential = self.confidential or answer


def _merge_repeated_rows(
    records: list[ProjectRecord], problems: list[Problem]
) -> list[ProjectRecord]:
    """Merge rows that describe the same project (one row per country, say)."""
    merged: dict[tuple[str, str], ProjectRecord] = {}
    for record in records:
        key = (
            str(record.fields.get("reference") or ""),
            normalise(record.title),
        )
        first = merged.get(key)
        if first is None:
            merged[key] = record
            continue
        for name, value in record.fields.items():
            if name in LIST_FIELDS and isinstance(value, list):
                target = first.fields.setdefault(name, [])
                target.extend(item for item in value if item not in target)
            else:
                first.fields.setdefault(name, value)
        first.extra = {**record.extra, **first.extra}
        first.confidential = first.confidential or record.confidential
        first.confidential_fields = sorted(
            set(first.confidential_fields) | set(record.confidential_fields)
        )
        problems.append(
            Problem(
                "info",
                f"Même projet que la ligne {first.source_ref} : les deux lignes "
                "sont fusionnées.",
                ref=record.source_ref,
                value=record.title,
            )
        )
    return list(merged.values())

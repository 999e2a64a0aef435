"""The nouns shared by reading, understanding, validation and storage.

A workbook is read into `RawTable`s (one per sheet holding a project table) of
`RawRow`s whose cells keep their location, so that every problem can be shown
to the contributor as `Feuille!C7`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

# What a cell may hold once read: calamine and the CSV reader give these.
CellValue = str | int | float | bool | dt.date | dt.datetime | None

# The canonical project fields, in export order.
PROJECT_FIELDS: tuple[str, ...] = (
    "id",
    "title",
    "description",
    "french_actors",
    "partners",
    "countries",
    "domains",
    "start_date",
    "end_date",
    "status",
    "funding",
    "funders",
    "contact",
    "url",
    "keywords",
    "confidential",
    "confidential_fields",
    "reported_by",
    "updated_at",
    "extra",
)

# Fields a contributor's column may fill (the others are derived).
CONTRIBUTED_FIELDS: tuple[str, ...] = (
    "reference",
    "title",
    "description",
    "french_actors",
    "partners",
    "countries",
    "domains",
    "start_date",
    "end_date",
    "period",
    "status",
    "funding",
    "funders",
    "contact",
    "url",
    "keywords",
    "confidential",
)

LIST_FIELDS: frozenset[str] = frozenset(
    {"french_actors", "partners", "countries", "domains", "funders", "keywords"}
)

DOMAIN_CODES: tuple[str, ...] = (
    "recherche-fondamentale",
    "recherche-clinique",
    "soins",
    "numerique",
    "veille-sanitaire",
    "qualite-des-soins",
    "medico-social",
    "organisation-des-soins",
    "alimentation",
    "environnement",
    "assurance-maladie",
    "formation",
    "autre",
)

STATUSES: tuple[str, ...] = ("planned", "ongoing", "ended")


def column_letter(column: int) -> str:
    """Return the spreadsheet letters of a 1-based column number (28 -> AB)."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class CellRef:
    """Where a value sits in the contributor's file (1-based row and column)."""

    sheet: str
    row: int
    column: int

    def __str__(self) -> str:
        return f"{self.sheet}!{column_letter(self.column)}{self.row}"


@dataclass(frozen=True)
class RawCell:
    value: CellValue
    ref: CellRef

    @property
    def text(self) -> str:
        """The value as trimmed text ('' for an empty cell)."""
        if self.value is None:
            return ""
        if isinstance(self.value, float) and self.value.is_integer():
            return str(int(self.value))
        return str(self.value).strip()


@dataclass
class RawRow:
    """One data row under the header, cells aligned with `RawTable.headers`."""

    number: int
    cells: list[RawCell]


@dataclass
class SkippedRow:
    """A row that is not a project: a total, a note, a sub-heading, a header."""

    ref: CellRef
    kind: Literal["total", "note", "subheading", "repeated-header"]
    text: str


@dataclass
class RawTable:
    """A project table found on one sheet, header located and merged cells filled."""

    sheet: str
    header_row: int
    headers: list[RawCell]
    rows: list[RawRow]
    skipped_rows: list[SkippedRow] = field(default_factory=list)


@dataclass
class SkippedSheet:
    sheet: str
    reason: Literal["hidden", "empty", "no-table"]


@dataclass
class WorkbookContent:
    """Everything read from one file, before any understanding."""

    file_name: str
    tables: list[RawTable]
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)


Severity = Literal["error", "warning", "info"]


@dataclass
class Problem:
    """One thing the contributor should know about, located in the file.

    `message`, `understood` and `suggestion` are French sentences for the
    contributor.
    """

    severity: Severity
    message: str
    ref: CellRef | None = None
    value: str | None = None
    understood: str | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "location": str(self.ref) if self.ref else None,
            "value": self.value,
            "understood": self.understood,
            "suggestion": self.suggestion,
            "message": self.message,
        }


@dataclass
class ProjectRecord:
    """One project as understood from one row (or one document) of one actor.

    `fields` holds canonical field names only (see `CONTRIBUTED_FIELDS`);
    `extra` holds unmapped columns by their header text.
    """

    source_ref: CellRef | None
    fields: dict[str, Any]
    extra: dict[str, str] = field(default_factory=dict)
    confidential: bool = False
    confidential_fields: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.fields.get("title") or "")

"""One project per document: labelled lines first, free prose for the rest.

A document (.docx, .odt, .pdf, .rtf, .txt, .md, or an e-mail body) is read
into located lines (`bot.document_text`). Labelled lines ("Pays : Sénégal",
a bold "Partenaires", a two-column table) are matched with the workbook
header synonyms and understood by exactly the code that reads a workbook row
(`bot.understand`), so a document gives the same canonical fields. Fields
with no label are looked for in the prose (`bot.prose`). Every value keeps
the passage it came from, for the contributor's report.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.document_text import (
    DocumentText,
    Line,
    PassageRef,
    clean,
    html_document,
    read_docx,
    read_odt,
    read_pdf,
    read_plain_text,
    read_rtf,
    text_document,
)
from bot.exceptions import UnsupportedFile
from bot.model import (
    LIST_FIELDS,
    Problem,
    ProjectRecord,
    RawCell,
    RawRow,
    RawTable,
    WorkbookContent,
)
from bot.prose import (
    INSTITUTION_NOUNS,
    Mention,
    ProseFindings,
    ProseReader,
    project_acronym,
    split_sentences,
)
from bot.safety import (
    DOCUMENT_KINDS,
    ReadLimits,
    check_archive_limits,
    sniff_format,
)
from bot.understand import (
    Column,
    Understanding,
    UnderstandingSettings,
    understand_workbook,
)
from bot.vocabulary import HeaderMatch, Vocabulary, normalise

logger = logging.getLogger(__name__)

# Where a document's project is said to sit, in reports and in the warehouse.
DOCUMENT_LOCATION = "document"
# A label is short: longer text before a colon is a sentence.
MAX_LABEL_WORDS = 7
# Fields whose value may run over several lines under a label on its own line.
MULTILINE_FIELDS = frozenset({"description", "contact", "keywords"} | LIST_FIELDS)
# A line this short that says "confidentiel" marks the whole document.
MAX_MARK_WORDS = 6
# Longest passage quoted back to the contributor.
MAX_PASSAGE_CHARS = 240

_COLON = re.compile(r"^(?P<label>[^:：]{1,80}?)\s*[:：]\s*(?P<value>.*)$")
_GAP = re.compile(r"^(?P<indent>\s*)(?P<label>\S.{0,50}?)\s{3,}(?P<value>\S.*)$")
_GREETING = re.compile(
    r"^(bonjour|bonsoir|madame|monsieur|cher|chère|chers|dear|hello|hi)\b", re.I
)
_GENERIC_TITLES = frozenset(
    {"fiche projet", "fiche de projet", "fiche", "fiche de cooperation", "note"}
    | {"project sheet", "project form", "compte rendu", "formulaire", "projet"}
    | {"fiche projet de cooperation internationale", "project description"}
)
SEND_WORKBOOK = (
    "Merci d'envoyer ces projets dans un classeur Excel (.xlsx) ou OpenDocument "
    "(.ods), une ligne par projet, ou bien un document par projet."
)


@dataclass
class Evidence:
    """One understood field and the passage it was read from."""

    field: str
    value: str
    passage: str
    location: str
    how: str  # "étiquette" (a labelled line) or "texte" (found in the prose)

    def to_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "value": self.value,
            "passage": self.passage,
            "location": self.location,
            "how": self.how,
        }


@dataclass
class DocumentUnderstanding:
    """What was understood from one document: one project, or a refusal."""

    file_name: str
    kind: str
    record: ProjectRecord | None = None
    refusal: str | None = None
    problems: list[Problem] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)


@dataclass
class DocumentContent(WorkbookContent):
    """A document seen by the ingestion pipeline as a one-row workbook."""

    kind: str = "document"
    refusal: str | None = None
    evidence: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Labelled:
    label: str
    label_ref: PassageRef
    match: HeaderMatch | None
    values: list[Line]


def document_kind(path: Path, file_name: str, limits: ReadLimits) -> str | None:
    """Return the document kind of a received file, or None for a workbook."""
    kind = sniff_format(path, file_name, limits)
    if kind not in DOCUMENT_KINDS:
        return None
    if kind == "text" and _looks_tabular(path):
        return None
    return kind


def _looks_tabular(path: Path) -> bool:
    """Tell a tab- or semicolon-separated table saved as .txt from a text."""
    from bot.document_text import decode_text

    with path.open("rb") as stream:
        sample = decode_text(stream.read(64 * 1024))
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if len(lines) < 2:
        return False
    for separator in ("\t", ";"):
        counts = [line.count(separator) for line in lines]
        if counts[0] >= 1 and sum(c == counts[0] for c in counts) >= 0.8 * len(counts):
            return True
    return False


def read_document(
    path: Path, *, file_name: str, vocabulary: Vocabulary, settings: Settings
) -> DocumentUnderstanding:
    """Read and understand a one-project document received as a file.

    Raise an `UnreadableFile` subclass, with a French message saying what to
    send, for a legacy .doc, an encrypted file, a PDF without text or a file
    that is no document at all.
    """
    limits = _limits(settings)
    kind = sniff_format(path, file_name, limits)
    if kind in ("docx", "odt"):
        check_archive_limits(path, limits, file_name)
    if kind == "docx":
        document = read_docx(path, file_name)
    elif kind == "odt":
        document = read_odt(path, file_name)
    elif kind == "pdf":
        document = read_pdf(path, file_name)
    elif kind == "rtf":
        document = read_rtf(path, file_name)
    elif kind == "html":
        document = html_document(_decoded(path), file_name)
    elif kind == "text":
        markdown = Path(file_name).suffix.lower() in (".md", ".markdown")
        document = read_plain_text(path, file_name, markdown=markdown)
    elif kind == "doc":
        raise UnsupportedFile(
            f"Le document « {file_name} » est au format Word ancien (.doc), que Dr "
            "Cooper ne lit pas. Merci de l'enregistrer au format Word récent "
            "(.docx), OpenDocument (.odt) ou PDF (Fichier > Enregistrer sous) et "
            "de le renvoyer."
        )
    else:
        raise UnsupportedFile(
            f"Le fichier « {file_name} » n'est pas un document que Dr Cooper sait "
            "lire. Merci d'envoyer un document Word (.docx), OpenDocument (.odt), "
            "PDF, texte (.txt) ou un classeur de projets."
        )
    return understand_document(document, vocabulary, settings)


def read_text_submission(
    text: str,
    *,
    file_name: str,
    vocabulary: Vocabulary,
    settings: Settings,
    html: bool = False,
    subject: str | None = None,
) -> DocumentUnderstanding:
    """Read and understand an e-mail body (plain or HTML) describing one project.

    `subject`, when given, is the document's title unless a labelled line
    names the title.
    """
    limit = int(settings.limits.max_file_mb * 1024 * 1024)
    if len(text) > limit:
        raise UnsupportedFile(
            f"Le message « {file_name} » est trop long pour être lu comme une "
            "fiche de projet. Merci de joindre un document ou un classeur."
        )
    document = (
        html_document(text, file_name)
        if html
        else text_document(text, file_name, "email")
    )
    if subject and clean(subject):
        document.title = _without_reply_marks(clean(subject))
    return understand_document(document, vocabulary, settings)


def _without_reply_marks(subject: str) -> str:
    return re.sub(r"^(?:(?:re|tr|fw|fwd)\s*:\s*)+", "", subject, flags=re.I)


def _decoded(path: Path) -> str:
    from bot.document_text import decode_text

    return decode_text(path.read_bytes())


def _limits(settings: Settings) -> ReadLimits:
    megabyte = 1024 * 1024
    return ReadLimits(
        max_file_bytes=int(settings.limits.max_file_mb * megabyte),
        max_uncompressed_bytes=int(settings.limits.max_uncompressed_mb * megabyte),
        max_compression_ratio=settings.limits.max_compression_ratio,
        max_rows=settings.limits.max_rows,
    )


def understand_document(
    document: DocumentText, vocabulary: Vocabulary, settings: Settings
) -> DocumentUnderstanding:
    """Turn the lines of a document into one project record and its evidence."""
    result = DocumentUnderstanding(document.file_name, document.kind)

    # A table listing several projects belongs in a workbook.
    refusal = _several_projects(document, vocabulary)
    if refusal is not None:
        result.refusal = refusal
        return result

    # Labelled lines, understood as one workbook row.
    lines = _paragraphs(document.lines, document.kind, vocabulary)
    labelled, prose_lines, confidential_marks = _read_labels(lines, vocabulary)
    title = _title(document, labelled, prose_lines, vocabulary)
    understanding = _understand_labels(labelled, title, vocabulary, settings)
    result.problems = [_located(problem) for problem in understanding.problems]
    result.columns = [c for c in understanding.columns if c.header.text]
    if not understanding.records:
        result.refusal = (
            f"Aucun titre de projet n'a été trouvé dans « {document.file_name} » : "
            "le document n'est pas enregistré. Ajoutez une ligne « Titre : … » en "
            "tête du document."
        )
        return result
    record = understanding.records[0]
    record.source_ref = PassageRef(DOCUMENT_LOCATION, 0, 0)
    result.record = record
    result.evidence = _label_evidence(record, labelled, title)

    # Free prose fills the fields no label gave.
    sentences = [
        sentence
        for line in [*prose_lines, *_description_lines(labelled)]
        for sentence in split_sentences(line.text, line.ref)
    ]
    findings = ProseReader(vocabulary, vocabulary.cities).read(sentences)
    _fill_from_prose(record, findings, result.evidence)

    # "Confidentiel" on a line of its own, or in the page header.
    if confidential_marks and not record.confidential:
        record.confidential = True
        mark = confidential_marks[0]
        result.evidence.append(
            Evidence("confidential", "oui", _quote(mark.text), str(mark.ref), "texte")
        )
    logger.debug(
        "document %s: %s, %d labelled fields, %d evidence passages",
        document.file_name,
        document.kind,
        len(labelled),
        len(result.evidence),
    )
    return result


def _located(problem: Problem) -> Problem:
    """Drop the spreadsheet-style places the row reader makes for a document."""
    if problem.ref is not None and not isinstance(problem.ref, PassageRef):
        problem.ref = None
    return problem


# Several projects in one table


def _several_projects(document: DocumentText, vocabulary: Vocabulary) -> str | None:
    for ref, rows in document.tables:
        if len(rows) < 3:
            continue
        header = rows[0]
        fields = [vocabulary.match_header(cell) for cell in header if cell]
        named = {match.field for match in fields if match is not None}
        if len(named) < 2 or "title" not in named:
            continue
        labelled_rows = sum(
            1 for row in rows[1:] if row and _exact_label(row[0], vocabulary)
        )
        if labelled_rows > 1:
            continue
        count = len(rows) - 1
        headers = ", ".join(f"« {cell} »" for cell in header[:4] if cell)
        return (
            f"Le document « {document.file_name} » contient un tableau de {count} "
            f"projets ({ref.sheet}, en-têtes {headers}) : un document ne doit "
            f"décrire qu'un seul projet. {SEND_WORKBOOK}"
        )
    return None


def _exact_label(text: str, vocabulary: Vocabulary) -> bool:
    match = vocabulary.match_header(text)
    return match is not None and match.exact


# Labels


def _paragraphs(lines: list[Line], kind: str, vocabulary: Vocabulary) -> list[Line]:
    """Join the wrapped lines of text and PDF paragraphs; keep labelled lines.

    A PDF separates paragraphs by blank lines, so its other line breaks wrap.
    A text file or an e-mail may hold one paragraph per line: only long lines
    not ending a sentence are taken as wrapped there.
    """
    if kind in ("docx", "odt", "rtf", "html"):
        return [line for line in lines if line.text]
    joined: list[Line] = []
    previous_blank = True
    for line in lines:
        if not line.text:
            previous_blank = True
            continue
        mergeable = (
            not previous_blank
            and joined
            and line.raw
            and joined[-1].raw
            and not joined[-1].heading
            and _label_of(joined[-1], vocabulary) is None
            and _label_of(line, vocabulary) is None
            and not _GREETING.match(line.text)
            and not _GREETING.match(joined[-1].text)
            and (
                kind == "pdf"
                or (len(joined[-1].raw) >= 60 and not joined[-1].text.endswith("."))
            )
        )
        if mergeable:
            last = joined[-1]
            last.text = f"{last.text} {line.text}"
            last.raw = last.text
        else:
            joined.append(line)
        previous_blank = False
    return joined


def _label_of(line: Line, vocabulary: Vocabulary) -> tuple[str, str, int] | None:
    """Return the label, the inline value and the value's column, if labelled."""
    if line.label is not None:
        return line.label, line.value or "", 0
    colon = _COLON.match(line.text)
    if (
        colon
        and len(colon["label"].split()) <= MAX_LABEL_WORDS
        and vocabulary.match_header(colon["label"]) is not None
    ):
        return colon["label"].strip(), colon["value"].strip(), 0
    gap = _GAP.match(line.raw) if line.raw else None
    if gap and len(gap["label"].split()) <= MAX_LABEL_WORDS:
        match = vocabulary.match_header(gap["label"])
        if match is not None and match.score >= 90:
            return gap["label"].strip(), clean(gap["value"]), gap.start("value")
    bare = line.text.rstrip(" :")
    if len(bare.split()) <= MAX_LABEL_WORDS and not bare.endswith((".", "!", "?")):
        match = vocabulary.match_header(bare)
        if match is not None and match.exact and match.field != "confidential":
            return bare, "", -1
    return None


def _read_labels(
    lines: list[Line], vocabulary: Vocabulary
) -> tuple[list[_Labelled], list[Line], list[Line]]:
    """Split the lines into labelled fields, prose, and confidentiality marks."""
    labelled: list[_Labelled] = []
    prose: list[Line] = []
    marks: list[Line] = []
    current: _Labelled | None = None
    value_column = 0
    for line in lines:
        found = _label_of(line, vocabulary)
        if found is None and _marks_document(line, vocabulary):
            marks.append(line)
            current = None
            continue
        if found is not None:
            label, value, value_column = found
            match = vocabulary.match_header(label)
            if match is None and line.label is None:
                prose.append(line)
                current = None
                continue
            current = _Labelled(label, line.ref, match, [])
            if value:
                current.values.append(Line(value, line.ref))
            labelled.append(current)
            continue
        if current is not None and _continues(current, line, value_column):
            current.values.append(line)
            continue
        current = None
        prose.append(line)
    return labelled, prose, marks


def _continues(current: _Labelled, line: Line, value_column: int) -> bool:
    """Tell whether a line carries on the value of the label above it."""
    if line.heading:
        return False
    if value_column > 0:
        # A PDF table: the value column goes on, indented, on the next lines.
        return line.indent >= value_column - 2
    if value_column == -1:
        # A label on its own line: its value follows.
        field_name = current.match.field if current.match else None
        return not current.values or field_name in MULTILINE_FIELDS
    return False


def _marks_document(line: Line, vocabulary: Vocabulary) -> bool:
    """Tell whether a line on its own says the document is confidential."""
    words = line.text.split()
    if not words or len(words) > MAX_MARK_WORDS or line.text.endswith((".", "?")):
        return False
    if not vocabulary.marks_confidential(line.text):
        return False
    return vocabulary.yes_no(re.sub(r"[–—-].*$", "", line.text)) is not False


# Title


def _title(
    document: DocumentText,
    labelled: list[_Labelled],
    prose: list[Line],
    vocabulary: Vocabulary,
) -> tuple[Line, str] | None:
    """Return the title passage when no label gives it, and how it was found."""
    if any(item.match and item.match.field == "title" for item in labelled):
        return None
    if document.title and not _generic(document.title):
        return Line(document.title, PassageRef("titre du document", 1, 1)), "metadata"
    for line in prose:
        if line.heading and not _generic(line.text):
            return line, "heading"
    acronym = _acronym(prose)
    for line in prose[:3]:
        if acronym is None and _usable_first_line(line):
            return line, "first line"
    if acronym is not None:
        return acronym, "acronym"
    return None


def _generic(title: str) -> bool:
    return normalise(title) in _GENERIC_TITLES


def _usable_first_line(line: Line) -> bool:
    return (
        bool(line.text)
        and not _GREETING.match(line.text)
        and len(line.text.split()) <= 20
        and not line.text.endswith((",", ":"))
    )


def _acronym(prose: list[Line]) -> Line | None:
    for line in prose:
        acronym = project_acronym(line.text)
        if acronym is not None:
            return Line(acronym, line.ref, raw=line.text)
    return None


# Understanding the labelled fields

ORGANISATION_FIELDS = frozenset({"partners", "french_actors", "funders"})


def separate_organisations(value: str, vocabulary: Vocabulary) -> str:
    """Put semicolons between the organisations of a labelled list.

    The workbook reader splits a cell on commas only between known
    organisations; in a document, "Hôpital Cho Ray, Université de médecine
    de Hô Chi Minh-Ville" names two institutions that are unknown but each
    built around an institution noun. A known name holding a separator
    ("ANRS | Maladies infectieuses émergentes") is given by its acronym.
    """
    pieces: list[str] = []
    for part in re.split(r"[;\n]", value):
        part = part.strip(" .")
        if not part:
            continue
        if vocabulary.organisation(part).known:
            pieces.append(part)
            continue
        pieces += _split_institutions(part, vocabulary)
    named = []
    for piece in pieces:
        known = vocabulary.organisation(piece)
        if known.known and "|" in known.name and known.acronym:
            piece = known.acronym
        named.append(piece)
    return " ; ".join(named)


def _split_institutions(part: str, vocabulary: Vocabulary) -> list[str]:
    """Split on commas, then also on "et"/"and", when every piece is an institution."""
    for separators in (r",", r",|\s+(?:et|and)\s+"):
        split = [piece.strip() for piece in re.split(separators, part)]
        if len(split) > 1 and all(
            piece
            and (vocabulary.organisation(piece).known or _names_institution(piece))
            for piece in split
        ):
            return split
    return [part]


def _names_institution(text: str) -> bool:
    return any(word in INSTITUTION_NOUNS for word in normalise(text).split())


def _understand_labels(
    labelled: list[_Labelled],
    title: tuple[Line, str] | None,
    vocabulary: Vocabulary,
    settings: Settings,
) -> Understanding:
    headers: list[RawCell] = []
    cells: list[RawCell] = []
    for item in labelled:
        value = "\n".join(line.text for line in item.values).strip()
        if not value:
            continue
        if item.match is not None and item.match.field in ORGANISATION_FIELDS:
            value = separate_organisations(value, vocabulary)
        value_ref = item.values[0].ref
        headers.append(RawCell(item.label, item.label_ref))
        cells.append(RawCell(value, value_ref))
    if title is not None:
        line, _ = title
        # The title found outside a label is read as if labelled "Titre".
        headers.append(RawCell("Titre", PassageRef("", 0, 0)))
        cells.append(RawCell(line.text, line.ref))
    table = RawTable(
        sheet="document",
        header_row=1,
        headers=headers,
        rows=[RawRow(1, cells)] if cells else [],
    )
    content = WorkbookContent(file_name="document", tables=[table])
    return understand_workbook(
        content,
        vocabulary,
        UnderstandingSettings(always_confidential=settings.always_confidential),
    )


def _label_evidence(
    record: ProjectRecord, labelled: list[_Labelled], title: tuple[Line, str] | None
) -> list[Evidence]:
    evidence = []
    for item in labelled:
        if item.match is None or not item.values:
            continue
        name = item.match.field
        value = _display(record.fields.get(name), name)
        if name in ("period", "start_date", "end_date"):
            value = _display_dates(record)
        if name == "confidential":
            value = "oui" if record.confidential else "non"
        passage = f"{item.label} : " + " ".join(line.text for line in item.values)
        evidence.append(
            Evidence(name, value, _quote(passage), str(item.label_ref), "étiquette")
        )
    if title is not None:
        line, how = title
        evidence.append(
            Evidence("title", record.title, _quote(line.raw or line.text),
                     str(line.ref), f"texte ({_HOW_TITLE[how]})")
        )  # fmt: skip
    return evidence


_HOW_TITLE = {
    "metadata": "titre du document",
    "heading": "premier titre",
    "first line": "première ligne",
    "acronym": "acronyme du projet",
}


def _description_lines(labelled: list[_Labelled]) -> list[Line]:
    """Return the lines of labelled descriptions: prose worth reading too."""
    return [
        line
        for item in labelled
        if item.match is not None and item.match.field == "description"
        for line in item.values
    ]


# Prose


def _fill_from_prose(
    record: ProjectRecord, findings: ProseFindings, evidence: list[Evidence]
) -> None:
    fields = record.fields

    def take(name: str, mentions: list[Mention], values: list[Any]) -> None:
        if fields.get(name) or not values:
            return
        fields[name] = values
        for mention, value in zip(mentions, values, strict=True):
            evidence.append(_prose_evidence(name, _display(value, name), mention))

    take("countries", findings.countries, [m.value for m in findings.countries])
    take(
        "partners",
        findings.partners,
        [
            {"name": m.value["name"], "country": m.value["country"]}
            for m in findings.partners
        ],
    )
    take(
        "french_actors",
        findings.french_actors,
        [m.value["name"] for m in findings.french_actors],
    )
    take("funders", findings.funders, [m.value["name"] for m in findings.funders])
    take("domains", findings.domains, [m.value for m in findings.domains])
    if not fields.get("start_date") and findings.start is not None:
        fields["start_date"] = findings.start.value.isoformat()
        evidence.append(
            _prose_evidence("start_date", fields["start_date"], findings.start)
        )
    if not fields.get("end_date") and findings.end is not None:
        end = findings.end.value.isoformat()
        if not fields.get("start_date") or end >= fields["start_date"]:
            fields["end_date"] = end
            evidence.append(_prose_evidence("end_date", end, findings.end))
    _place_partners(fields)


def _place_partners(fields: dict[str, Any]) -> None:
    """Give partners the document's only country; add partners' countries."""
    countries = fields.setdefault("countries", [])
    partners = fields.get("partners") or []
    for partner in partners:
        if partner["country"] is None and len(countries) == 1:
            partner["country"] = countries[0]
    for partner in partners:
        if (
            partner["country"] not in (None, "FR")
            and partner["country"] not in countries
        ):
            countries.append(partner["country"])
    if not countries:
        del fields["countries"]


def _prose_evidence(name: str, value: str, mention: Mention) -> Evidence:
    return Evidence(
        name, value, _quote(mention.sentence.text), str(mention.sentence.ref), "texte"
    )


def _display(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_display(item, name) for item in value)
    if isinstance(value, dict):
        country = f" ({value['country']})" if value.get("country") else ""
        return f"{value.get('name')}{country}"
    return str(value)


def _display_dates(record: ProjectRecord) -> str:
    start = record.fields.get("start_date") or "?"
    end = record.fields.get("end_date") or "?"
    return f"{start} → {end}"


def _quote(text: str) -> str:
    text = clean(text)
    if len(text) <= MAX_PASSAGE_CHARS:
        return text
    return text[: MAX_PASSAGE_CHARS - 1].rstrip() + "…"


# The pipeline's view


def as_workbook(result: DocumentUnderstanding) -> tuple[DocumentContent, Understanding]:
    """Present a document's understanding as the pipeline's content and rows."""
    content = DocumentContent(
        file_name=result.file_name,
        tables=[],
        kind=result.kind,
        refusal=result.refusal,
        evidence=[item.to_dict() for item in result.evidence],
    )
    understanding = Understanding(
        columns=result.columns,
        records=[result.record] if result.record is not None else [],
        problems=result.problems,
    )
    return content, understanding

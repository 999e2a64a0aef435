"""The text of a project document, as located lines, from each format we read.

Every format gives the same thing: a `DocumentText` holding `Line`s in reading
order, each with where it sits (`PassageRef`, printed "paragraphe 4",
"tableau 1, ligne 2" or "page 1, ligne 7"), whether it is a heading, and the
label the layout sets apart (a bold run, the first cell of a two-column
table). Understanding the lines is `bot.documents`' job.

No macro, script or external reference is ever followed: python-docx and
odfpy read the XML parts only, pypdf reads the text layer only, and HTML is
read with the standard library's tokenizer, ignoring scripts and styles.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import charset_normalizer

from bot.exceptions import EncryptedFile, UnreadableFile, UnsupportedFile
from bot.model import CellRef

logger = logging.getLogger(__name__)

# A page with less text than this is taken for a scanned image.
MIN_TEXT_CHARS = 40

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_MARKDOWN_LABEL = re.compile(
    r"^\s*(?:[-*]\s+)?(\*\*|__)(?P<label>.+?)\1\s*(?P<rest>.*)$"
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
_HEADING_STYLES = re.compile(r"^(title|titre|heading|subtitle|sous-titre)", re.I)


class PassageRef(CellRef):
    """Where a passage sits in a document; `sheet` holds the kind of place."""

    def __str__(self) -> str:
        return f"{self.sheet} {self.row}" if self.row else self.sheet


@dataclass
class Line:
    """One paragraph, table row or text line of a document."""

    text: str
    ref: PassageRef
    heading: bool = False
    label: str | None = None
    value: str | None = None
    emphasised: bool = False
    indent: int = 0
    raw: str = ""


@dataclass
class DocumentText:
    """Everything read from one document, before any understanding."""

    file_name: str
    kind: str
    title: str | None = None
    lines: list[Line] = field(default_factory=list)
    tables: list[tuple[PassageRef, list[list[str]]]] = field(default_factory=list)

    @property
    def char_count(self) -> int:
        return sum(len(line.text) for line in self.lines)


def clean(text: str) -> str:
    """Collapse the spaces of a passage (non-breaking ones included)."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def add_table(document: DocumentText, rows: list[list[str]]) -> None:
    """Add a table: two columns as label and value, wider ones row by row."""
    number = len(document.tables) + 1
    place = f"tableau {number}, ligne"
    rows = [[clean(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    document.tables.append((PassageRef(f"tableau {number}", 1, 1), rows))
    for index, row in enumerate(rows, start=1):
        cells = _without_repeats(row)
        ref = PassageRef(place, index, 1)
        if len(cells) == 2 and cells[0]:
            document.lines.append(
                Line(f"{cells[0]} : {cells[1]}", ref, label=cells[0], value=cells[1])
            )
        elif cells:
            document.lines.append(Line(" | ".join(cells), ref))


def _without_repeats(row: list[str]) -> list[str]:
    """Drop the copies a merged cell leaves in its neighbours."""
    cells: list[str] = []
    for cell in row:
        if not cells or cell != cells[-1]:
            cells.append(cell)
    return [cell for cell in cells if cell] if len(cells) > 2 else cells


# Word (.docx)


def read_docx(path: Path, file_name: str) -> DocumentText:
    """Read the paragraphs, headings, tables and page headers of a .docx file."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        word = docx.Document(str(path))
    except Exception as err:  # python-docx raises many kinds on a broken package
        raise damaged_document(file_name) from err
    document = DocumentText(file_name, "docx", title=clean(word.core_properties.title))

    # Page headers first: that is where "Confidentiel" usually sits.
    for section in word.sections[:1]:
        for paragraph in section.header.paragraphs:
            _add_paragraph(document, paragraph, heading=False)

    for element in word.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, word)
            style = paragraph.style.name if paragraph.style is not None else ""
            _add_paragraph(document, paragraph, heading=_is_heading_style(style))
        elif tag == "tbl":
            table = Table(element, word)
            add_table(
                document, [[cell.text for cell in row.cells] for row in table.rows]
            )
    return document


def _is_heading_style(style: str) -> bool:
    return bool(_HEADING_STYLES.match(style or ""))


def _add_paragraph(document: DocumentText, paragraph: object, heading: bool) -> None:
    runs = list(getattr(paragraph, "runs", []))
    text = clean(getattr(paragraph, "text", ""))
    if not text:
        return
    bold = ""
    for run in runs:
        if not run.text.strip() and bold:
            bold += run.text
            continue
        if not run.bold:
            break
        bold += run.text
    ref = PassageRef("paragraphe", len(document.lines) + 1, 1)
    line = Line(text, ref, heading=heading)
    bold = clean(bold)
    if bold and bold == text:
        line.emphasised = True
    elif bold:
        line.label = bold.rstrip(" :")
        line.value = clean(text[len(bold) :].lstrip(" :"))
    document.lines.append(line)


# OpenDocument text (.odt)


def read_odt(path: Path, file_name: str) -> DocumentText:
    """Read the paragraphs, headings, tables and page headers of an .odt file."""
    from odf import dc, style, teletype
    from odf.opendocument import load

    try:
        odt = load(str(path))
    except Exception as err:  # odfpy raises many kinds on a broken package
        raise damaged_document(file_name) from err
    titles = [
        teletype.extractText(node) for node in odt.meta.getElementsByType(dc.Title)
    ]
    document = DocumentText(
        file_name, "odt", title=clean(titles[0]) if titles else None
    )

    bold_styles = set()
    heading_styles = set()
    for automatic in odt.automaticstyles.getElementsByType(style.Style):
        name = automatic.getAttribute("name")
        parent = automatic.getAttribute("parentstylename") or ""
        if _is_heading_style(parent.replace("_20_", " ")):
            heading_styles.add(name)
        for properties in automatic.getElementsByType(style.TextProperties):
            if properties.getAttribute("fontweight") == "bold":
                bold_styles.add(name)

    for master in odt.masterstyles.getElementsByType(style.MasterPage)[:1]:
        for header in master.getElementsByType(style.Header):
            _walk_odt(header, document, bold_styles, heading_styles)
    _walk_odt(odt.text, document, bold_styles, heading_styles)
    return document


def _walk_odt(
    node: object, document: DocumentText, bold: set[str], headings: set[str]
) -> None:
    from odf import teletype

    for child in getattr(node, "childNodes", []):
        name = getattr(child, "qname", (None, None))[1]
        if name in ("p", "h"):
            text = clean(teletype.extractText(child))
            if not text:
                continue
            style_name = child.getAttribute("stylename") or ""
            heading = (
                name == "h"
                or style_name in headings
                or _is_heading_style(style_name.replace("_20_", " "))
            )
            ref = PassageRef("paragraphe", len(document.lines) + 1, 1)
            line = Line(text, ref, heading=heading)
            label = _odt_bold_start(child, bold)
            if label and clean(label) == text:
                line.emphasised = True
            elif label:
                line.label = clean(label).rstrip(" :")
                line.value = clean(text[len(clean(label)) :].lstrip(" :"))
            document.lines.append(line)
        elif name == "table":
            rows = [
                [clean(teletype.extractText(cell)) for cell in _odt_cells(row)]
                for row in _odt_rows(child)
            ]
            add_table(document, rows)
        elif name in ("list", "list-item", "section", "table-header-rows"):
            _walk_odt(child, document, bold, headings)


def _odt_rows(table: object) -> list[object]:
    rows = []
    for child in getattr(table, "childNodes", []):
        name = getattr(child, "qname", (None, None))[1]
        if name == "table-row":
            rows.append(child)
        elif name in ("table-header-rows", "table-rows"):
            rows.extend(_odt_rows(child))
    return rows


def _odt_cells(row: object) -> list[object]:
    return [
        child
        for child in getattr(row, "childNodes", [])
        if getattr(child, "qname", (None, None))[1] == "table-cell"
    ]


def _odt_bold_start(paragraph: object, bold: set[str]) -> str:
    """Return the text of the bold spans opening a paragraph."""
    from odf import teletype

    label = ""
    for child in getattr(paragraph, "childNodes", []):
        name = getattr(child, "qname", (None, None))[1]
        if name == "span" and child.getAttribute("stylename") in bold:
            label += teletype.extractText(child)
        elif name is None and not str(child).strip() and label:
            label += str(child)
        else:
            break
    return label


# PDF


def read_pdf(path: Path, file_name: str) -> DocumentText:
    """Read the text layer of a PDF, keeping its layout's columns."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise encrypted_document(file_name)
        pages = [page.extract_text(extraction_mode="layout") for page in reader.pages]
        metadata = reader.metadata
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        raise damaged_document(file_name) from err
    except NotImplementedError as err:
        # pypdf cannot decrypt some algorithms without an extra library.
        raise encrypted_document(file_name) from err

    title = clean(str(metadata.title)) if metadata and metadata.title else None
    document = DocumentText(file_name, "pdf", title=title)
    for number, page in enumerate(pages, start=1):
        add_text_lines(document, page.splitlines(), f"page {number}, ligne")
    if document.char_count < MIN_TEXT_CHARS:
        raise UnsupportedFile(
            f"Le document « {file_name} » est un PDF sans texte (une image "
            "numérisée, sans doute) : Dr Cooper ne peut pas en lire les mots. "
            "Merci d'envoyer le fichier d'origine (Word, OpenDocument) ou un PDF "
            "enregistré depuis votre traitement de texte, ou de remplir le "
            "classeur de projets."
        )
    return document


def add_text_lines(document: DocumentText, lines: list[str], place: str) -> None:
    """Add plain text lines; blank lines are kept as paragraph breaks."""
    for number, raw in enumerate(lines, start=1):
        raw = raw.rstrip().replace("\t", "    ")
        indent = len(raw) - len(raw.lstrip())
        document.lines.append(
            Line(clean(raw), PassageRef(place, number, 1), indent=indent, raw=raw)
        )


# Plain text, Markdown and RTF


def decode_text(data: bytes) -> str:
    """Decode text bytes: byte-order marks, then UTF-8, then a guessed encoding."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # French text that is not UTF-8 was nearly always written on Windows:
    # a guesser reads a short note in Windows-1252 as Central European.
    # Limitation: a Mac Roman or Cyrillic file that happens to decode as
    # Windows-1252 is misread; the report quotes the text, so it shows.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best)
    return data.decode("cp1252", errors="replace")


def read_plain_text(path: Path, file_name: str, *, markdown: bool) -> DocumentText:
    """Read a .txt or .md file, its encoding sniffed."""
    text = decode_text(path.read_bytes())
    return text_document(text, file_name, "md" if markdown else "txt", markdown)


def text_document(
    text: str, file_name: str, kind: str, markdown: bool = False
) -> DocumentText:
    """Make a document of text lines, reading Markdown marks when asked."""
    document = DocumentText(file_name, kind)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not markdown:
        add_text_lines(document, lines, "ligne")
        return document

    table: list[list[str]] = []
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if stripped.startswith("|"):
            if not _MARKDOWN_RULE.match(stripped):
                table.append(stripped.strip("|").split("|"))
            continue
        if table:
            add_table(document, table)
            table = []
        ref = PassageRef("ligne", number, 1)
        heading = _MARKDOWN_HEADING.match(stripped)
        if heading:
            title = _plain_markdown(heading.group(2))
            if heading.group(1) == "#" and document.title is None:
                document.title = title
            document.lines.append(Line(title, ref, heading=True, raw=title))
            continue
        label = _MARKDOWN_LABEL.match(stripped)
        line = Line(_plain_markdown(stripped), ref, raw=_plain_markdown(raw))
        if label and label.group("rest").strip():
            line.label = _plain_markdown(label.group("label")).rstrip(" :")
            line.value = _plain_markdown(label.group("rest")).lstrip(" :")
        elif label:
            line.emphasised = True
        document.lines.append(line)
    if table:
        add_table(document, table)
    return document


def _plain_markdown(text: str) -> str:
    text = _MARKDOWN_LINK.sub(r"\1", text)
    return clean(_MARKDOWN_EMPHASIS.sub("", text)).lstrip("-* ").strip()


def read_rtf(path: Path, file_name: str) -> DocumentText:
    """Read the text of an .rtf file (tables come out row by row)."""
    from striprtf.striprtf import rtf_to_text

    raw = decode_text(path.read_bytes())
    try:
        text = rtf_to_text(raw, errors="ignore")
    except Exception as err:  # striprtf raises plain errors on broken groups
        raise damaged_document(file_name) from err
    document = DocumentText(file_name, "rtf")
    rows: list[list[str]] = []
    plain: list[str] = []
    for line in text.splitlines():
        # striprtf ends each table cell with "|".
        if line.count("|") >= 2 and line.rstrip().endswith("|"):
            rows.append(line.rstrip().rstrip("|").split("|"))
            continue
        if rows:
            add_table(document, rows)
            rows = []
        plain.append(line)
        add_text_lines(document, [line], "ligne")
        document.lines[-1].ref = PassageRef("ligne", len(document.lines), 1)
    if rows:
        add_table(document, rows)
    return document


# HTML (e-mail bodies)


class _HtmlLines(HTMLParser):
    """Cut an HTML body into lines: blocks, table rows and bold labels."""

    BLOCKS = frozenset(
        {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"}
        | {"blockquote", "section", "article", "header", "footer", "hr", "ul", "ol"}
    )
    SKIPPED = frozenset({"script", "style", "head", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (tag, text, bold start) for a block; ("tr", "", cells) for a row.
        self.blocks: list[tuple[str, str, str | list[str]]] = []
        self.title = ""
        self._parts: list[tuple[str, bool]] = []
        self._bold = 0
        self._block = "p"
        self._skip = 0
        self._in_title = False
        self._cell: str | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "tr":
            self._flush()
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag in ("b", "strong"):
            self._bold += 1
        elif tag in self.BLOCKS:
            self._flush()
            self._block = tag

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in ("b", "strong"):
            self._bold = max(0, self._bold - 1)
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(clean(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.blocks.append(("tr", "", self._row))
            self._row = None
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self._skip:
            return
        elif self._cell is not None:
            self._cell += data
        else:
            self._parts.append((data, self._bold > 0))

    def _flush(self) -> None:
        text = clean("".join(part for part, _ in self._parts))
        bold = ""
        for part, is_bold in self._parts:
            if not is_bold and part.strip():
                break
            bold += part
        if text:
            self.blocks.append((self._block, text, clean(bold)))
        self._parts = []

    def close(self) -> None:
        super().close()
        self._flush()


def html_document(text: str, file_name: str) -> DocumentText:
    """Make a document of an HTML body."""
    parser = _HtmlLines()
    parser.feed(text)
    parser.close()
    document = DocumentText(file_name, "html", title=clean(parser.title) or None)
    pending_rows: list[list[str]] = []
    for tag, line_text, bold in parser.blocks:
        if isinstance(bold, list):
            pending_rows.append(bold)
            continue
        if pending_rows:
            add_table(document, pending_rows)
            pending_rows = []
        ref = PassageRef("paragraphe", len(document.lines) + 1, 1)
        line = Line(line_text, ref, heading=tag in ("h1", "h2", "h3"))
        if bold and bold == line_text:
            line.emphasised = True
        elif bold and line_text.startswith(bold):
            line.label = bold.rstrip(" :")
            line.value = clean(line_text[len(bold) :].lstrip(" :"))
        document.lines.append(line)
    if pending_rows:
        add_table(document, pending_rows)
    return document


# Refusals


def damaged_document(file_name: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"Le document « {file_name} » est endommagé ou incomplet : Dr Cooper ne "
        "peut pas l'ouvrir. Merci de vérifier qu'il s'ouvre dans votre traitement "
        "de texte, de l'enregistrer à nouveau et de le renvoyer."
    )


def encrypted_document(file_name: str) -> EncryptedFile:
    return EncryptedFile(
        f"Le document « {file_name} » est protégé par un mot de passe : Dr Cooper "
        "ne peut pas le lire. Merci d'envoyer une version sans mot de passe (ou "
        "le texte de la fiche directement dans le corps d'un courriel)."
    )

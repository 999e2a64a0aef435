"""Reading a contributor's file into raw tables of located cells.

This is the reading layer only: it finds, on each visible sheet, the header
row of the project table (under any title rows), fills merged cells, and sets
aside rows that are not projects (totals, notes, sub-headings, repeated
headers). It does not interpret any value: a cell keeps what the spreadsheet
holds (text, number, date, boolean), stripped of surrounding blanks.

Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) are read with calamine, which only
reads cell values: it never evaluates formulas nor runs macros (a .xlsm's VBA
project is an opaque part it does not load). Text tables (.csv, .tsv, .txt) are
decoded and split here; their single "sheet" is named after the file's stem,
so a cell of "projets.csv" is shown as "projets!C7".

Choices made where layouts are ambiguous:

- Header row: among the first `HEADER_SCAN_ROWS` rows, the row with the most
  cells recognised by `is_header` (at least `MIN_HEADER_CELLS`); ties go to
  the upper row. If the row below recognises at least as many cells, it is a
  two-row header (a group header such as "Dates" merged over "Début | Fin"):
  the lower row wins, its empty cells take the upper text, and an
  unrecognised lower text is joined to the upper one ("Dates Début") when
  `is_header` recognises the joined text.
- A header-like row further down that repeats the header is skipped as
  "repeated-header"; one that differs opens a new table on the same sheet
  (a second block with its own columns).
- Sub-heading: a row whose only content is one cell (or one merged range),
  with the table having 3+ headed columns, and the cell either merged across
  2+ columns or standing at or left of the table's first headed column. A
  lone value further right is kept as a (sparse) project row, since it may be
  a project title whose other cells are blank.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import logging
import re
import statistics
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from charset_normalizer import from_bytes
from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from bot.exceptions import FileTooLarge, UnsupportedFile
from bot.model import (
    CellRef,
    CellValue,
    RawCell,
    RawRow,
    RawTable,
    SkippedRow,
    SkippedSheet,
    WorkbookContent,
)
from bot.safety import (
    ZIP_KINDS,
    ReadLimits,
    check_archive_limits,
    damaged,
    password_protected,
    sniff_kind,
)

logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 30
HEADER_MAX_LENGTH = 120
MIN_HEADER_CELLS = 2
SUBHEADING_MIN_COLUMNS = 3
NOTE_MIN_LENGTH = 80
SKIPPED_TEXT_MAX = 200

CSV_DELIMITERS = ";,\t|"
CSV_SNIFF_LINES = 50

TOTAL_PATTERN = re.compile(
    r"^(sous[\s-]*total|total|grand total|sum|somme|subtotal)\b", re.IGNORECASE
)
NOTE_PATTERN = re.compile(r"^(notes?\b|nb\b|n\.\s*b\.|\*|sources?\b|\(\d+\))", re.I)

# Merged range: (first row, first column, last row, last column), 0-based.
Span = tuple[int, int, int, int]
Grid = list[list[CellValue]]
HeaderTest = Callable[[str], bool]
RowKind = Literal["total", "note", "subheading", "repeated-header"]

# OpenDocument table namespace, for the spans calamine does not report.
ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


@dataclass
class Sheet:
    """The cells of one sheet from A1, merged ranges already filled."""

    name: str
    grid: Grid
    spans: dict[tuple[int, int], Span] = field(default_factory=dict)

    def origin(self, row: int, column: int) -> tuple[int, int]:
        """Return the cell a value comes from: the merged range's first cell."""
        span = self.spans.get((row, column))
        return (span[0], span[1]) if span else (row, column)


@dataclass
class Header:
    """A located header: where it sits and the text of each column."""

    row: int
    texts: list[str]
    refs: list[CellRef]


def read_workbook(
    path: Path,
    *,
    file_name: str,
    is_header: HeaderTest,
    limits: ReadLimits = ReadLimits(),  # noqa: B008 - frozen, safe to share
) -> WorkbookContent:
    """Read every project table of a received file, without interpreting values.

    `path` holds the bytes; `file_name` is the contributor's name for the file,
    used in messages. Raise an `UnreadableFile` subclass with a French message
    when the file cannot be read at all.
    """
    started = time.monotonic()

    # Refuse what should not reach a parser: wrong format, encrypted, too big.
    kind = sniff_kind(path, file_name, limits)
    if kind in ZIP_KINDS:
        check_archive_limits(path, limits, file_name)

    content = WorkbookContent(file_name=file_name, tables=[])
    with collector_paused():
        # Gather the visible sheets' cells; hidden ones are only reported.
        if kind == "csv":
            sheets: list[Sheet] = [read_text_sheet(path, file_name, limits)]
        else:
            sheets = read_workbook_sheets(path, kind, file_name, limits, content)

        # Find the project tables on each sheet.
        add_tables(sheets, is_header, content)

    logger.info(
        "file %s: %s read in %.2f s, %d tables, %d rows, %d sheets skipped",
        file_name,
        kind,
        time.monotonic() - started,
        len(content.tables),
        sum(len(table.rows) for table in content.tables),
        len(content.skipped_sheets),
    )
    return content


def add_tables(
    sheets: list[Sheet], is_header: HeaderTest, content: WorkbookContent
) -> None:
    """Add each sheet's project tables to `content`, or say why it has none."""
    for sheet in sheets:
        if not any(value is not None for row in sheet.grid for value in row):
            content.skipped_sheets.append(SkippedSheet(sheet.name, "empty"))
            continue
        tables = find_tables(sheet, is_header)
        if not tables:
            content.skipped_sheets.append(SkippedSheet(sheet.name, "no-table"))
        content.tables.extend(tables)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many cells are created.

    Reading a sheet and building a RawCell and a CellRef per cell makes
    hundreds of thousands of objects that hold no cycles; each automatic
    collection would walk the whole sheet again. Measured on 50,000 rows x 6
    columns: building the cells took 0.75 s with it, 0.40 s without.
    """
    # Limitation: the pause is process-wide, so another thread's garbage also
    # waits, for about a second on the largest accepted files.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_workbook_sheets(
    path: Path,
    kind: str,
    file_name: str,
    limits: ReadLimits,
    content: WorkbookContent,
) -> list[Sheet]:
    """Read the visible worksheets with calamine, recording the skipped ones."""
    # Calamine raises its own errors, and may raise others on malformed input;
    # every failure here means the contributor's file cannot be read.
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError as err:
        raise password_protected(file_name) from err
    except Exception as err:
        raise damaged(file_name) from err

    try:
        ods_spans = read_ods_spans(path) if kind == "ods" else {}
    except (KeyError, ValueError, ElementTree.ParseError, zipfile.BadZipFile) as err:
        raise damaged(file_name) from err
    sheets = []
    rows_left = limits.max_rows
    with workbook:
        for metadata in workbook.sheets_metadata:
            if metadata.visible != SheetVisibleEnum.Visible:
                logger.debug("file %s: sheet %s is hidden", file_name, metadata.name)
                content.skipped_sheets.append(SkippedSheet(metadata.name, "hidden"))
                continue
            if metadata.typ != SheetTypeEnum.WorkSheet:
                # Chart, dialog and Excel 4 macro sheets hold no project table.
                content.skipped_sheets.append(SkippedSheet(metadata.name, "no-table"))
                continue
            sheet = read_calamine_sheet(
                workbook, metadata.name, file_name, rows_left, limits, ods_spans
            )
            rows_left -= len(sheet.grid)
            sheets.append(sheet)
    return sheets


def read_calamine_sheet(
    workbook: CalamineWorkbook,
    name: str,
    file_name: str,
    rows_left: int,
    limits: ReadLimits,
    ods_spans: dict[str, list[Span]],
) -> Sheet:
    """Read one worksheet's cells from A1 and fill its merged ranges."""
    try:
        calamine_sheet = workbook.get_sheet_by_name(name)
        end = calamine_sheet.end
        if end is not None and end[0] + 1 > rows_left:
            raise too_many_rows(file_name, name, end[0] + 1, limits.max_rows)
        # skip_empty_area=False keeps row 0 as sheet row 1 and column 0 as A,
        # the same 0-based frame as merged_cell_ranges.
        values = calamine_sheet.to_python(skip_empty_area=False)
        merged = calamine_sheet.merged_cell_ranges
    except PasswordError as err:
        raise password_protected(file_name) from err
    except CalamineError as err:
        raise UnsupportedFile(
            f"La feuille « {name} » du fichier « {file_name} » est endommagée : "
            "Dr Cooper ne peut pas la lire. Merci d'enregistrer le classeur à "
            "nouveau depuis Excel ou LibreOffice et de le renvoyer."
        ) from err

    # Limitation: rows and columns hidden inside a visible sheet are read like
    # the others; calamine does not report their visibility.
    grid = [[clean_value(value) for value in row] for row in values]
    if merged is not None:
        spans = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in merged]
    else:
        # Limitation: calamine gives no merged ranges for .xlsb; they are read
        # unfilled (the value stays in the range's first cell only).
        spans = ods_spans.get(name, [])
    sheet = Sheet(name=name, grid=grid)
    fill_merged(sheet, spans)
    return sheet


def clean_value(value: Any) -> CellValue:
    """Strip text, turn empty text into None, and render times as text."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dt.datetime | dt.date | bool | int | float):
        return value
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if value is None:
        return None
    # A duration (timedelta) or anything unforeseen: keep its text.
    return str(value)


def fill_merged(sheet: Sheet, spans: list[Span]) -> None:
    """Copy each merged range's value into all its cells, within the data area."""
    grid = sheet.grid
    height = len(grid)
    width = max((len(row) for row in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    for first_row, first_column, last_row, last_column in spans:
        # Clip to the data area: a range formatted down to row 1048576 must
        # not create a million rows.
        if first_row >= height or first_column >= width:
            continue
        last_row = min(last_row, height - 1)
        last_column = min(last_column, width - 1)
        span = (first_row, first_column, last_row, last_column)
        value = grid[first_row][first_column]
        for row_index in range(first_row, last_row + 1):
            for column_index in range(first_column, last_column + 1):
                grid[row_index][column_index] = value
                sheet.spans[(row_index, column_index)] = span


def read_ods_spans(path: Path) -> dict[str, list[Span]]:
    """Return each sheet's merged ranges from an OpenDocument's content.xml.

    Calamine does not report merges for .ods. A merge is a cell with
    table:number-columns-spanned / table:number-rows-spanned (ODF 1.2,
    19.681); repeated rows and cells advance the position.
    """
    spans: dict[str, list[Span]] = {}
    table_key = f"{{{ODF_TABLE}}}table"
    row_key = f"{{{ODF_TABLE}}}table-row"
    cell_keys = {f"{{{ODF_TABLE}}}table-cell", f"{{{ODF_TABLE}}}covered-table-cell"}
    name_key = f"{{{ODF_TABLE}}}name"
    rows_repeated_key = f"{{{ODF_TABLE}}}number-rows-repeated"
    columns_repeated_key = f"{{{ODF_TABLE}}}number-columns-repeated"
    columns_spanned_key = f"{{{ODF_TABLE}}}number-columns-spanned"
    rows_spanned_key = f"{{{ODF_TABLE}}}number-rows-spanned"

    # Python's expat refuses entity-expansion bombs; the archive's size was
    # checked before this is called.
    with zipfile.ZipFile(path) as archive, archive.open("content.xml") as stream:
        table_name = ""
        row_index = column_index = 0
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if event == "start":
                if element.tag == table_key:
                    table_name = element.get(name_key, "")
                    spans.setdefault(table_name, [])
                    row_index = 0
                elif element.tag == row_key:
                    column_index = 0
                elif element.tag in cell_keys:
                    columns = int(element.get(columns_spanned_key, "1"))
                    rows = int(element.get(rows_spanned_key, "1"))
                    if columns > 1 or rows > 1:
                        spans[table_name].append(
                            (
                                row_index,
                                column_index,
                                row_index + rows - 1,
                                column_index + columns - 1,
                            )
                        )
                    column_index += int(element.get(columns_repeated_key, "1"))
            elif element.tag == row_key:
                row_index += int(element.get(rows_repeated_key, "1"))
                element.clear()
    return spans


def read_text_sheet(path: Path, file_name: str, limits: ReadLimits) -> Sheet:
    """Decode and split a CSV/TSV text table into one sheet named after the file."""
    text = decode_text(path.read_bytes(), file_name)
    delimiter = sniff_delimiter(text)
    grid: Grid = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(grid) >= limits.max_rows:
                raise too_many_rows(
                    file_name, Path(file_name).stem, None, limits.max_rows
                )
            grid.append([field_text.strip() or None for field_text in record])
    except csv.Error as err:
        raise UnsupportedFile(
            f"Le fichier « {file_name} » ressemble à un fichier CSV mais Dr Cooper "
            f"n'a pas pu le découper en colonnes (ligne {len(grid) + 1}). Merci "
            "de l'ouvrir dans Excel ou LibreOffice et de l'enregistrer au format "
            "Classeur Excel (.xlsx)."
        ) from err
    sheet = Sheet(name=Path(file_name).stem, grid=grid)
    fill_merged(sheet, [])
    logger.debug("file %s: text table, delimiter %r", file_name, delimiter)
    return sheet


def decode_text(data: bytes, file_name: str) -> str:
    """Decode a text table: BOM first, then strict UTF-8, then a guess."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as err:
                raise undecodable(file_name) from err
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: most likely Windows-1252 from French Excel; charset-normalizer
    # weighs the alternatives (Latin-1, Mac Roman, DOS code pages...).
    guess = from_bytes(data).best()
    encoding = guess.encoding if guess is not None else "cp1252"
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        # Latin-1 maps every byte, so this cannot fail.
        return data.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among ; , tab | that splits lines most consistently."""
    lines = [line for line in text.splitlines() if line.strip()][:CSV_SNIFF_LINES]
    sample = "\n".join(lines)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    scores = {delimiter: split_score(lines, delimiter) for delimiter in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda delimiter: scores[delimiter])
    # Trust the sniffer unless counting finds a clearly more regular split.
    if sniffed in scores and scores[sniffed] >= scores[best]:
        return sniffed
    return best


def split_score(lines: list[str], delimiter: str) -> tuple[int, int]:
    """Score a delimiter: lines sharing the commonest field count, then the count."""
    counts = [
        len(record) for record in csv.reader(lines, delimiter=delimiter) if record
    ]
    counts = [count for count in counts if count > 1]
    if not counts:
        return (0, 0)
    commonest = statistics.mode(counts)
    return (counts.count(commonest), commonest)


def find_tables(sheet: Sheet, is_header: HeaderTest) -> list[RawTable]:
    """Find the project tables of a sheet: a header, then rows, block after block."""
    grid = sheet.grid
    is_header = remembered(is_header)
    header_index = find_header_row(
        sheet, is_header, 0, min(len(grid), HEADER_SCAN_ROWS)
    )
    tables = []
    while header_index is not None:
        header = build_header(sheet, header_index, is_header)
        table, next_header_index = read_table_rows(sheet, header, is_header)
        tables.append(table)
        header_index = next_header_index
    return tables


def find_header_row(
    sheet: Sheet, is_header: HeaderTest, start: int, stop: int
) -> int | None:
    """Return the 0-based index of the best header row in [start, stop), or None."""
    grid = sheet.grid
    best_index, best_count = None, MIN_HEADER_CELLS - 1
    for index in range(start, stop):
        count = count_headers(grid[index], is_header)
        if count > best_count:
            best_index, best_count = index, count
    if best_index is None:
        return None

    # An earlier header-like row with data under it opens an earlier block,
    # even if the later block's header names more columns.
    for index in range(start, best_index):
        if is_header_like(grid[index], is_header) and any(
            has_data(grid[between], is_header)
            for between in range(index + 1, best_index)
        ):
            best_index = index
            best_count = count_headers(grid[index], is_header)
            break

    # A group header above sub-headers: prefer the lower row if it does as well.
    below = best_index + 1
    if below < len(grid) and count_headers(grid[below], is_header) >= best_count:
        return below
    return best_index


def has_data(row: list[CellValue], is_header: HeaderTest) -> bool:
    """Say whether a row holds values that are not header texts."""
    return any(value is not None for value in row) and not is_header_like(
        row, is_header
    )


def remembered(is_header: HeaderTest) -> HeaderTest:
    """Wrap a header test so each distinct text is asked once; long texts never."""
    answers: dict[str, bool] = {}

    def ask(text: str) -> bool:
        if len(text) > HEADER_MAX_LENGTH:
            return False
        if text not in answers:
            answers[text] = is_header(text)
        return answers[text]

    return ask


def count_headers(row: list[CellValue], is_header: HeaderTest) -> int:
    return sum(1 for value in row if isinstance(value, str) and is_header(value))


def build_header(sheet: Sheet, index: int, is_header: HeaderTest) -> Header:
    """Read the header texts of a row, completed from a group header above it."""
    row = sheet.grid[index]
    above: list[CellValue] = sheet.grid[index - 1] if index > 0 else [None] * len(row)
    two_rows = index > 0 and count_headers(above, is_header) >= MIN_HEADER_CELLS
    texts, refs = [], []
    for column, value in enumerate(row):
        text = cell_text(value)
        ref_row = index
        if two_rows:
            upper = cell_text(above[column])
            if not text and upper:
                text, ref_row = upper, index - 1
            elif upper and upper != text and not is_header(text):
                joined = f"{upper} {text}"
                if is_header(joined):
                    text = joined
        texts.append(text)
        refs.append(CellRef(sheet.name, ref_row + 1, column + 1))
    return Header(row=index, texts=texts, refs=refs)


def read_table_rows(
    sheet: Sheet, header: Header, is_header: HeaderTest
) -> tuple[RawTable, int | None]:
    """Sort the rows under a header into projects and skipped rows.

    Return the table and the index of the next block's header, if any.
    """
    grid = sheet.grid
    header_keys = [fold(text) for text in header.texts]
    headed_columns = [column for column, text in enumerate(header.texts) if text]
    first_headed = headed_columns[0] if headed_columns else 0
    typical_fill = typical_filled_cells(grid[header.row + 1 :])

    data_rows: list[int] = []
    skipped: list[SkippedRow] = []
    next_header = None
    after_break = False
    for index in range(header.row + 1, len(grid)):
        row = grid[index]
        filled = [column for column, value in enumerate(row) if value is not None]
        if not filled:
            after_break = True
            continue
        if repeats_header(row, filled, header_keys):
            skipped.append(skipped_row(sheet, index, filled, "repeated-header"))
            after_break = True
            continue

        # Limitation: a new block's header is looked for only after a blank or
        # non-project row, since asking `is_header` about every data row
        # costs tens of microseconds a cell with a fuzzy vocabulary.
        if after_break and is_header_like(row, is_header):
            next_header = find_header_row(sheet, is_header, index, index + 1)
            break
        kind = classify_row(
            sheet, index, filled, len(headed_columns), first_headed, typical_fill
        )
        if kind is None:
            data_rows.append(index)
        else:
            skipped.append(skipped_row(sheet, index, filled, kind))
        after_break = kind is not None

    # Keep columns with a header or with data; drop empty spacers.
    columns = [
        column
        for column in range(len(header.texts))
        if header.texts[column]
        or any(grid[index][column] is not None for index in data_rows)
    ]
    table = RawTable(
        sheet=sheet.name,
        header_row=header.row + 1,
        headers=[
            RawCell(header.texts[column] or None, header.refs[column])
            for column in columns
        ],
        rows=[
            RawRow(
                number=index + 1,
                cells=[
                    RawCell(
                        grid[index][column], CellRef(sheet.name, index + 1, column + 1)
                    )
                    for column in columns
                ],
            )
            for index in data_rows
        ],
        skipped_rows=skipped,
    )
    logger.debug(
        "sheet %s: header on row %d, %d rows, %d skipped",
        sheet.name,
        table.header_row,
        len(table.rows),
        len(skipped),
    )
    return table, next_header


def typical_filled_cells(rows: list[list[CellValue]]) -> float:
    """Return the median count of filled cells over the non-empty rows."""
    counts = [sum(1 for value in row if value is not None) for row in rows]
    counts = [count for count in counts if count]
    return statistics.median(counts) if counts else 0


def is_header_like(row: list[CellValue], is_header: HeaderTest) -> bool:
    """Say whether most filled cells of a row (at least two) are header texts."""
    recognised = count_headers(row, is_header)
    filled = sum(1 for value in row if value is not None)
    return recognised >= MIN_HEADER_CELLS and recognised * 2 >= filled


def repeats_header(
    row: list[CellValue], filled: list[int], header_keys: list[str]
) -> bool:
    """Say whether most filled cells of a row equal the header above them."""
    same = 0
    for column in filled:
        value = row[column]
        if column >= len(header_keys) or not isinstance(value, str):
            continue
        # Folding every data cell is slow; a repeated header has the same length.
        key = header_keys[column]
        if abs(len(value) - len(key)) <= 2 and fold(value) == key:
            same += 1
    return same >= MIN_HEADER_CELLS and same * 2 > len(filled)


def classify_row(
    sheet: Sheet,
    index: int,
    filled: list[int],
    headed_count: int,
    first_headed: int,
    typical_fill: float,
) -> RowKind | None:
    """Say which kind of non-project row this is, or None for a project row."""
    row = sheet.grid[index]
    first_text = cell_text(row[filled[0]])

    # Totals: a "Total"-like label, and only numbers beside it.
    if TOTAL_PATTERN.match(first_text) and all(
        isinstance(row[column], int | float) and not isinstance(row[column], bool)
        for column in filled[1:]
        if row[column] != row[filled[0]]
    ):
        return "total"

    # Notes and sub-headings hold a single value (one cell or one merged range).
    if len(filled) > 1 and (
        not sheet.spans or len({sheet.origin(index, column) for column in filled}) > 1
    ):
        return None
    if NOTE_PATTERN.match(first_text) or len(first_text) > NOTE_MIN_LENGTH:
        return "note"
    if headed_count < SUBHEADING_MIN_COLUMNS or typical_fill < SUBHEADING_MIN_COLUMNS:
        return None
    span = sheet.spans.get((index, filled[0]))
    merged_across = span is not None and span[3] > span[1]
    if merged_across or filled[0] <= first_headed:
        return "subheading"
    return None


def skipped_row(
    sheet: Sheet, index: int, filled: list[int], kind: RowKind
) -> SkippedRow:
    """Record a non-project row, located at its first filled cell."""
    texts: list[str] = []
    for column in filled:
        text = cell_text(sheet.grid[index][column])
        if text and text not in texts:
            texts.append(text)
    return SkippedRow(
        ref=CellRef(sheet.name, index + 1, filled[0] + 1),
        kind=kind,
        text=" | ".join(texts)[:SKIPPED_TEXT_MAX],
    )


def cell_text(value: CellValue) -> str:
    """Return a cell's value as trimmed text, as `RawCell.text` does."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def fold(text: str) -> str:
    """Lower-case and strip accents, to compare labels as people read them."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def too_many_rows(
    file_name: str, sheet_name: str, last_row: int | None, max_rows: int
) -> FileTooLarge:
    where = (
        f" (la feuille « {sheet_name} » va jusqu'à la ligne {last_row})"
        if last_row
        else ""
    )
    return FileTooLarge(
        f"Le fichier « {file_name} » contient trop de lignes{where} : Dr Cooper en "
        f"lit au plus {max_rows} par fichier. Merci de le découper en plusieurs "
        "fichiers, ou de supprimer les lignes sans projet (une cellule remplie "
        "tout en bas d'une feuille suffit à l'étendre)."
    )


def undecodable(file_name: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"Le fichier texte « {file_name} » n'a pas pu être décodé : son encodage "
        "est incohérent. Merci de l'enregistrer à nouveau en « CSV UTF-8 » depuis "
        "Excel ou LibreOffice."
    )

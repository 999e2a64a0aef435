"""The contributor's own workbook, sent back with the cells to look at marked.

Each located problem of a submission's report gets a fill (red: to correct,
yellow: to check, blue: for information) and a comment saying what Dr Cooper
understood and what to change. The copy is always an `.xlsx`: `.xls`, `.xlsb`,
`.ods` and `.csv` files are rewritten cell by cell at the same places, and an
`.xlsm` comes back without its macros (openpyxl drops `vbaProject.bin` when
the workbook is not loaded with `keep_vba`), so nothing we send can run code.
"""

from __future__ import annotations

import io
import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import coordinate_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from bot.safety import ReadLimits, sniff_kind
from bot.workbook import read_text_sheet

log = logging.getLogger(__name__)

COMMENT_AUTHOR = "Dr Cooper"
FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
    "info": PatternFill("solid", fgColor="DDEBF7"),
}
SEVERITY_TITLES = {
    "error": "Dr Cooper — à corriger",
    "warning": "Dr Cooper — à vérifier",
    "info": "Dr Cooper — pour information",
}
SEVERITY_ORDER = ("error", "warning", "info")
# Loading a whole workbook with styles takes about ten times the memory of its
# file; past this size the reply carries the text report only.
ANNOTATE_MAX_BYTES = 10 * 1024 * 1024
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
REPORT_SHEET = "Rapport Dr Cooper"


@dataclass(frozen=True)
class Note:
    """One remark to pin on one cell."""

    severity: str
    text: str


def annotated_copy(
    path: Path, file_name: str, report: dict[str, Any], report_text: str = ""
) -> tuple[str, bytes] | None:
    """Return the contributor's workbook with its problem cells marked, as .xlsx.

    None when the report locates no problem in a cell, or the file cannot be
    opened again (it was then reported as unreadable).
    """
    notes = located_notes(report)
    if not notes:
        return None
    if path.stat().st_size > ANNOTATE_MAX_BYTES:
        # Limitation: large workbooks are not annotated, to bound the bot's
        # memory; their report still names every cell.
        log.info("file %s: too large to annotate, report sent as text", file_name)
        return None
    try:
        workbook, titles = _open_as_workbook(path, file_name)
    except Exception as err:
        # openpyxl and calamine raise many kinds of errors on odd files; an
        # annotated copy is a courtesy that must never hold the reply back.
        log.warning("file %s: cannot be annotated: %s", file_name, err)
        return None

    marked = _mark(workbook, titles, notes)
    if report_text:
        _add_report_sheet(workbook, report_text)
    output = io.BytesIO()
    workbook.save(output)
    log.debug("file %s: %d cells annotated", file_name, marked)
    return f"{Path(file_name).stem} (annoté).xlsx", output.getvalue()


def located_notes(report: dict[str, Any]) -> dict[tuple[str, str], list[Note]]:
    """Gather the report's remarks by cell: (sheet, coordinate) -> notes."""
    notes: dict[tuple[str, str], list[Note]] = defaultdict(list)
    for problem in report.get("problems", []):
        where = _split_location(problem.get("location"))
        if where is None:
            continue
        lines = [problem["message"]]
        if problem.get("value") is not None:
            lines.insert(0, f"Valeur lue : « {problem['value']} »")
        if problem.get("understood"):
            lines.append(f"Compris : {problem['understood']}")
        if problem.get("suggestion"):
            lines.append(f"À modifier : {problem['suggestion']}")
        notes[where].append(Note(problem.get("severity", "warning"), "\n".join(lines)))
    for row in report.get("rejected_rows", []):
        where = _split_location(row.get("location"))
        if where is not None:
            notes[where].append(
                Note(
                    "error",
                    f"Ligne refusée : {row['reason']}\nÀ modifier : complétez ou "
                    "corrigez cette ligne puis renvoyez le fichier.",
                )
            )
    return dict(notes)


def _split_location(location: object) -> tuple[str, str] | None:
    if not isinstance(location, str) or "!" not in location:
        return None
    sheet, coordinate = location.rsplit("!", 1)
    try:
        coordinate_from_string(coordinate)
    except ValueError:
        return None
    return sheet, coordinate


def _open_as_workbook(path: Path, file_name: str) -> tuple[Workbook, dict[str, str]]:
    """Open the file as an openpyxl workbook, converting other formats cell by cell.

    Also return the sheet titles that differ from the contributor's sheet names
    (Excel forbids some characters and names over 31 characters).
    """
    kind = sniff_kind(path, file_name, ReadLimits(max_file_bytes=ANNOTATE_MAX_BYTES))
    if kind in ("xlsx", "xlsm"):
        # keep_vba=False: the macros are left behind; keep_links=False: no
        # external workbook links either.
        # A stream: openpyxl judges a path by its extension, and archived
        # objects are named by their hash.
        with path.open("rb") as stream:
            workbook = openpyxl.load_workbook(
                io.BytesIO(stream.read()), keep_vba=False, keep_links=False
            )
        return workbook, {}

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    if kind == "csv":
        sheet = read_text_sheet(path, file_name, ReadLimits())
        return workbook, {sheet.name: _copy_grid(workbook, sheet.name, sheet.grid)}
    titles = {}
    with CalamineWorkbook.from_path(str(path)) as source:
        for name in source.sheet_names:
            rows = source.get_sheet_by_name(name).to_python(skip_empty_area=False)
            titles[name] = _copy_grid(workbook, name, rows)
    return workbook, titles


def _copy_grid(workbook: Workbook, name: str, rows: list[list[Any]]) -> str:
    """Write a sheet's values at their places; return the sheet's title."""
    sheet = workbook.create_sheet(_sheet_title(name))
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = sheet.cell(row=row_number, column=column_number, value=value)
            if isinstance(value, str):
                # A text starting with "=" stays text: never a formula of ours.
                cell.data_type = "s"
    return sheet.title


def _sheet_title(name: str) -> str:
    return SHEET_TITLE_FORBIDDEN.sub("_", name)[:31] or "Feuille"


def _mark(
    workbook: Workbook,
    titles: dict[str, str],
    notes: dict[tuple[str, str], list[Note]],
) -> int:
    marked = 0
    for (sheet_name, coordinate), cell_notes in notes.items():
        title = titles.get(sheet_name, sheet_name)
        if title not in workbook.sheetnames:
            continue
        sheet = workbook[title]
        if not isinstance(sheet, Worksheet):
            continue
        cell = sheet[coordinate]
        if isinstance(cell, MergedCell):
            cell = _merged_origin(sheet, coordinate)
        worst = min(cell_notes, key=lambda note: SEVERITY_ORDER.index(note.severity))
        cell.fill = FILLS.get(worst.severity, FILLS["warning"])
        text = "\n\n".join(
            f"{SEVERITY_TITLES.get(note.severity, SEVERITY_TITLES['warning'])}\n"
            f"{note.text}"
            for note in cell_notes
        )
        comment = Comment(text, COMMENT_AUTHOR)
        comment.width = 320
        comment.height = min(60 + 16 * text.count("\n") + len(text) // 3, 600)
        cell.comment = comment
        marked += 1
    return marked


def _merged_origin(sheet: Worksheet, coordinate: str) -> Any:
    for merged in sheet.merged_cells.ranges:
        if coordinate in merged:
            return sheet.cell(row=merged.min_row, column=merged.min_col)
    return sheet[coordinate]


def _add_report_sheet(workbook: Workbook, report_text: str) -> None:
    sheet = workbook.create_sheet(REPORT_SHEET)
    sheet.column_dimensions[get_column_letter(1)].width = 120
    for line in report_text.splitlines():
        sheet.append([line])
        sheet.cell(row=sheet.max_row, column=1).data_type = "s"

"""Project exports as JSON, CSV and XLSX, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot.model import PROJECT_FIELDS

# Cells starting with these are run as formulas by spreadsheet programs
# (OWASP "CSV injection"); tab and carriage return hide the same trick.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

FORMATS = ("json", "csv", "xlsx")


def neutralise(text: str) -> str:
    """Make a text cell inert in a spreadsheet by prefixing an apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def flat_value(name: str, value: Any) -> str | float | None:
    """Return a field as one spreadsheet cell: lists joined, partners with country."""
    if value is None:
        return None
    if name == "partners":
        return "; ".join(
            f"{p['name']} ({p['country']})" if p.get("country") else p["name"]
            for p in value
        )
    if name == "extra":
        return "; ".join(f"{key}: {text}" for key, text in value.items())
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return value
    return str(value)


def flat_rows(projects: list[dict[str, Any]]) -> list[list[str | float | None]]:
    rows = [
        [flat_value(name, project[name]) for name in PROJECT_FIELDS]
        for project in projects
    ]
    for row in rows:
        for index, cell in enumerate(row):
            if isinstance(cell, str):
                row[index] = neutralise(cell) if not cell.startswith("'") else cell
    return rows


def to_json(projects: list[dict[str, Any]]) -> str:
    return json.dumps(projects, ensure_ascii=False, indent=1) + "\n"


def to_csv(projects: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(PROJECT_FIELDS)
    writer.writerows(flat_rows(projects))
    return buffer.getvalue()


def write_xlsx(projects: list[dict[str, Any]], target: Path | io.BytesIO) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Projets")
    sheet.append(list(PROJECT_FIELDS))
    for row in flat_rows(projects):
        sheet.append(row)
    workbook.save(target)


def write_export(
    projects: list[dict[str, Any]], export_format: str, target: Path
) -> None:
    """Write projects to a file in one of `FORMATS`."""
    if export_format == "xlsx":
        write_xlsx(projects, target)
        return
    text = to_json(projects) if export_format == "json" else to_csv(projects)
    # Excel opens a UTF-8 CSV correctly only with a byte-order mark.
    encoding = "utf-8-sig" if export_format == "csv" else "utf-8"
    target.write_text(text, encoding=encoding, newline="")

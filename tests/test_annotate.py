"""The annotated copy of a contributor's file: marked cells, comments, no macros."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

from bot.annotate import annotated_copy, located_notes

from .conftest import make_workbook

REPORT = {
    "problems": [
        {
            "severity": "warning",
            "location": "Projets!C2",
            "value": "Atlantide",
            "understood": "aucun pays connu",
            "suggestion": "écrivez le nom du pays en toutes lettres.",
            "message": "Pays non reconnu.",
        },
        {"severity": "error", "location": None, "message": "Sans cellule."},
    ],
    "rejected_rows": [{"location": "Projets!A3", "reason": "le titre est vide"}],
}
ROWS = [
    ["Titre", "Pays", "Pays"],
    ["Paludisme", "Mali", "Atlantide"],
    ["", "Niger", ""],
]


def open_copy(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def test_problem_cells_are_filled_and_commented_with_what_to_change(tmp_path: Path):
    path = make_workbook(tmp_path / "projets.xlsx", ROWS)

    name, content = annotated_copy(path, "projets.xlsx", REPORT, "Rapport") or ("", b"")

    assert name == "projets (annoté).xlsx"
    sheet = open_copy(content)["Projets"]
    assert sheet["C2"].fill.fgColor.rgb.endswith("FFEB9C")
    assert "Compris : aucun pays connu" in sheet["C2"].comment.text
    assert "À modifier : écrivez le nom du pays" in sheet["C2"].comment.text
    assert sheet["A3"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "Ligne refusée : le titre est vide" in sheet["A3"].comment.text
    assert sheet["B2"].comment is None and sheet["B2"].value == "Mali"


def test_report_without_located_problem_gives_no_copy(tmp_path: Path):
    path = make_workbook(tmp_path / "projets.xlsx", ROWS)

    assert annotated_copy(path, "projets.xlsx", {"problems": []}) is None
    assert located_notes({"problems": [REPORT["problems"][1]]}) == {}


def test_macro_workbook_comes_back_as_xlsx_without_its_macros(tmp_path: Path):
    plain = make_workbook(tmp_path / "plain.xlsx", ROWS)
    macro = tmp_path / "projets.xlsm"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(macro, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument."
                    b"spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"<Default ",
                    b'<Default Extension="bin" ContentType="application/'
                    b'vnd.ms-office.vbaProject"/><Default ',
                    1,
                )
            target.writestr(item, data)
        target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake macro storage")

    name, content = annotated_copy(macro, "projets.xlsm", REPORT) or ("", b"")

    assert name == "projets (annoté).xlsx"
    with zipfile.ZipFile(io.BytesIO(content)) as copy:
        assert "xl/vbaProject.bin" not in copy.namelist()
        assert b"macroEnabled" not in copy.read("[Content_Types].xml")
    assert open_copy(content)["Projets"]["C2"].comment is not None


def test_csv_comes_back_as_xlsx_with_cells_at_the_same_places(tmp_path: Path):
    path = tmp_path / "Projets.csv"
    path.write_text(
        "Titre;Pays;Pays\nPaludisme;Mali;Atlantide\n;Niger;\n", encoding="utf-8"
    )
    report = {
        "problems": [{**REPORT["problems"][0], "location": "Projets!C2"}],
        "rejected_rows": [],
    }

    name, content = annotated_copy(path, "Projets.csv", report) or ("", b"")

    assert name == "Projets (annoté).xlsx"
    sheet = open_copy(content)["Projets"]
    assert sheet["C2"].value == "Atlantide"
    assert "Pays non reconnu." in sheet["C2"].comment.text


def test_text_that_looks_like_a_formula_stays_text_in_a_converted_copy(tmp_path: Path):
    path = tmp_path / "Projets.csv"
    path.write_text('Titre;Pays\n=HYPERLINK("http://x");Atlantide\n', encoding="utf-8")
    report = {"problems": [{**REPORT["problems"][0], "location": "Projets!B2"}]}

    _, content = annotated_copy(path, "Projets.csv", report) or ("", b"")

    cell = open_copy(content)["Projets"]["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'

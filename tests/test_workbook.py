"""Reading real workbooks and text tables into located raw tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.model import RawTable, WorkbookContent
from bot.safety import sniff_kind
from bot.workbook import read_workbook
from tests.workbook_factory import (
    convert,
    is_known_header,
    make_xlsm,
    project_workbook,
    save,
)


def read(path: Path, file_name: str | None = None) -> WorkbookContent:
    return read_workbook(
        path, file_name=file_name or path.name, is_header=is_known_header
    )


def table_on(content: WorkbookContent, sheet: str) -> RawTable:
    tables = [table for table in content.tables if table.sheet == sheet]
    assert len(tables) == 1, f"expected one table on {sheet}, got {len(tables)}"
    return tables[0]


def row_texts(table: RawTable) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.fixture
def projects_xlsx(tmp_path: Path) -> Path:
    return save(project_workbook(), tmp_path / "Coopérations 2025.xlsx")


def test_header_is_found_under_title_rows_and_two_row_header_keeps_lower_row(
    projects_xlsx: Path,
) -> None:
    table = table_on(read(projects_xlsx), "Projets")

    assert table.header_row == 5
    assert [cell.text for cell in table.headers] == [
        "Pays",
        "Intitulé",
        "Partenaire",
        "Budget",
        "Début",
        "Fin",
        "",
    ]
    assert str(table.headers[4].ref) == "Projets!E5"


def test_country_merged_down_is_copied_to_each_project_row(projects_xlsx: Path) -> None:
    table = table_on(read(projects_xlsx), "Projets")

    assert [row.number for row in table.rows] == [7, 8, 9, 13]
    assert [row.cells[0].text for row in table.rows] == [
        "Sénégal",
        "Sénégal",
        "Sénégal",
        "Mali",
    ]
    assert str(table.rows[2].cells[0].ref) == "Projets!A9"


def test_cells_keep_calamine_types_with_text_stripped_and_blanks_as_none(
    projects_xlsx: Path,
) -> None:
    table = table_on(read(projects_xlsx), "Projets")
    first, second, _, mali = table.rows

    assert first.cells[1].value == "Lutte contre la tuberculose"
    assert first.cells[3].value == 120000
    assert second.cells[3].value == 45000.5
    assert first.cells[4].value == dt.date(2023, 1, 1)
    assert isinstance(first.cells[5].value, dt.datetime)
    assert mali.cells[3].value is None
    assert first.cells[6].value is None


def test_column_with_data_under_empty_header_is_kept_and_empty_columns_dropped(
    projects_xlsx: Path,
) -> None:
    table = table_on(read(projects_xlsx), "Projets")

    assert table.headers[6].value is None
    assert str(table.headers[6].ref) == "Projets!G5"
    assert table.rows[1].cells[6].value == "à revoir"
    assert len(table.headers) == 7
    assert all(len(row.cells) == 7 for row in table.rows)


def test_total_subheading_repeated_header_and_note_rows_are_set_aside(
    projects_xlsx: Path,
) -> None:
    table = table_on(read(projects_xlsx), "Projets")

    skipped = [(str(row.ref), row.kind, row.text) for row in table.skipped_rows]
    assert skipped == [
        ("Projets!A6", "subheading", "Afrique de l'Ouest"),
        ("Projets!A10", "total", "TOTAL GÉNÉRAL | 195000.5"),
        ("Projets!A12", "repeated-header", "Pays | Intitulé | Partenaire | Budget"),
        (
            "Projets!A15",
            "note",
            "N.B. : les budgets sont en euros, hors valorisation du temps.",
        ),
    ]


def test_hidden_empty_and_tableless_sheets_are_reported_and_visible_ones_read(
    projects_xlsx: Path,
) -> None:
    content = read(projects_xlsx)

    skipped = {sheet.sheet: sheet.reason for sheet in content.skipped_sheets}
    assert skipped == {
        "Brouillon": "hidden",
        "Listes": "hidden",
        "Vide": "empty",
        "Lisez-moi": "no-table",
    }
    assert [table.sheet for table in content.tables] == ["Projets", "Europe"]
    assert content.file_name == "Coopérations 2025.xlsx"


def test_table_not_starting_at_a1_has_refs_as_excel_shows_them(
    projects_xlsx: Path,
) -> None:
    table = table_on(read(projects_xlsx), "Europe")

    assert table.header_row == 3
    assert [cell.text for cell in table.headers] == ["Titre", "Pays", "Statut"]
    assert str(table.rows[0].cells[0].ref) == "Europe!C4"
    assert table.rows[1].cells[2].value is True


def test_second_block_with_its_own_header_becomes_a_second_table(
    tmp_path: Path,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Bilan"
    sheet.append(["PROJETS EN COURS"])
    sheet.append(["Intitulé", "Pays", "Partenaire"])
    sheet.append(["Vaccination", "Niger", "OMS"])
    sheet.append([])
    sheet.append(["PROJETS TERMINÉS"])
    sheet.append(["Pays", "Titre", "Fin", "Budget"])
    sheet.append(["Laos", "Paludisme", dt.date(2022, 12, 31), 5000])
    path = save(workbook, tmp_path / "bilan.xlsx")

    first, second = read(path).tables

    assert [cell.text for cell in first.headers] == ["Intitulé", "Pays", "Partenaire"]
    assert row_texts(first) == [["Vaccination", "Niger", "OMS"]]
    assert [(str(row.ref), row.kind) for row in first.skipped_rows] == [
        ("Bilan!A5", "subheading")
    ]
    assert second.header_row == 6
    assert row_texts(second) == [["Laos", "Paludisme", "2022-12-31", "5000"]]


def test_lone_value_right_of_first_column_is_kept_as_a_sparse_project(
    tmp_path: Path,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.append(["Référence", "Titre", "Pays", "Partenaire"])
    sheet.append(["R1", "Vaccination", "Niger", "OMS"])
    sheet.append([None, "Projet sans autre information", None, None])
    sheet.append(["R3", "Dialyse", "Tunisie", "CHU Sahloul"])
    path = save(workbook, tmp_path / "sparse.xlsx")

    table = read(path).tables[0]

    assert [row.number for row in table.rows] == [2, 3, 4]
    assert table.skipped_rows == []


def test_sub_header_joined_to_group_header_when_only_the_joined_text_is_known(
    tmp_path: Path,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet["A1"], sheet["B1"], sheet["C1"] = "Titre", "Pays", "Date"
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:B2")
    sheet.merge_cells("C1:D1")
    sheet["C2"], sheet["D2"] = "début", "fin"
    sheet.append(["Vaccination", "Niger", dt.date(2024, 1, 1), dt.date(2025, 1, 1)])
    path = save(workbook, tmp_path / "dates.xlsx")

    # "début" and "fin" alone are unknown to this vocabulary.
    table = read_workbook(
        path,
        file_name=path.name,
        is_header=lambda text: (
            is_known_header(text) and text.strip() not in {"début", "fin"}
        ),
    ).tables[0]

    assert table.header_row == 2
    assert [cell.text for cell in table.headers] == [
        "Titre",
        "Pays",
        "Date début",
        "Date fin",
    ]


@pytest.mark.parametrize("extension", ["xls", "ods"])
def test_libreoffice_xls_and_ods_copies_read_like_the_xlsx(
    projects_xlsx: Path, tmp_path: Path, extension: str
) -> None:
    original = read(projects_xlsx)
    converted_path = convert(projects_xlsx, extension, tmp_path)

    converted = read(converted_path)

    assert sniff_kind(converted_path, converted_path.name) == extension
    original_table = table_on(original, "Projets")
    table = table_on(converted, "Projets")
    assert table.header_row == original_table.header_row
    assert [cell.text for cell in table.headers] == [
        cell.text for cell in original_table.headers
    ]
    assert row_texts(table) == row_texts(original_table)
    assert [(row.ref, row.kind) for row in table.skipped_rows] == [
        (row.ref, row.kind) for row in original_table.skipped_rows
    ]
    assert {sheet.sheet for sheet in converted.skipped_sheets} >= {
        "Brouillon",
        "Listes",
    }


def test_xlsm_with_vba_project_is_read_for_values_only(
    projects_xlsx: Path, tmp_path: Path
) -> None:
    # The VBA part is opaque bytes here; a reader that tried to load or run it
    # would fail on it. A formula cell without a cached value shows that
    # nothing is computed either.
    workbook = project_workbook()
    sheet = workbook["Europe"]
    sheet["C6"] = "Projet calculé"
    sheet["D6"] = '=CONCAT("Fr", "ance")'
    sheet["E6"] = "prévu"
    plain = save(workbook, tmp_path / "plain.xlsx")
    xlsm = make_xlsm(plain, tmp_path / "macros.xlsm", b"Attribute VB_Name\x00" * 64)

    content = read(xlsm)

    assert sniff_kind(xlsm, xlsm.name) == "xlsm"
    europe = table_on(content, "Europe")
    assert europe.rows[2].cells[0].value == "Projet calculé"
    assert europe.rows[2].cells[1].value is None
    assert len(table_on(content, "Projets").rows) == 4


def test_csv_in_windows_1252_with_semicolons_is_named_after_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "projets.csv"
    path.write_bytes(
        "Intitulé;Pays;Partenaire\r\n"
        "Coopération hospitalière;Côte d'Ivoire;CHU de Treichville\r\n"
        "Santé maternelle;Bénin;Ministère de la Santé\r\n".encode("cp1252")
    )

    content = read(path)

    table = table_on(content, "projets")
    assert [cell.text for cell in table.headers] == ["Intitulé", "Pays", "Partenaire"]
    assert row_texts(table)[0] == [
        "Coopération hospitalière",
        "Côte d'Ivoire",
        "CHU de Treichville",
    ]
    assert str(table.rows[1].cells[2].ref) == "projets!C3"


def test_csv_in_utf8_with_bom_and_commas_keeps_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        "Titre,Pays,Budget\n"
        '"Réseau, phase 2",Vietnam,12000\n'
        "Télémédecine,Maroc,\n".encode("utf-8-sig")
    )

    table = read(path).tables[0]

    assert table.headers[0].text == "Titre"
    assert row_texts(table) == [
        ["Réseau, phase 2", "Vietnam", "12000"],
        ["Télémédecine", "Maroc", ""],
    ]
    assert table.rows[1].cells[2].value is None


def test_utf16_tab_separated_text_table_is_read(tmp_path: Path) -> None:
    path = tmp_path / "liste.txt"
    path.write_bytes(
        "Titre\tPays\tStatut\nÉpidémiologie\tGuinée\ten cours\n".encode("utf-16")
    )

    assert sniff_kind(path, path.name) == "csv"
    table = read(path).tables[0]

    assert row_texts(table) == [["Épidémiologie", "Guinée", "en cours"]]


def test_text_without_a_table_is_reported_as_no_table(tmp_path: Path) -> None:
    path = tmp_path / "message.txt"
    path.write_text("Bonjour,\nvoici nos projets en pièce jointe.\n", encoding="utf-8")

    content = read(path)

    assert content.tables == []
    assert [(sheet.sheet, sheet.reason) for sheet in content.skipped_sheets] == [
        ("message", "no-table")
    ]


def test_real_vocabulary_header_matcher_finds_the_header(
    projects_xlsx: Path,
) -> None:
    vocabulary_module = pytest.importorskip("bot.vocabulary")
    synonyms = Path(__file__).resolve().parent.parent / "synonyms"
    vocabulary = vocabulary_module.Vocabulary.load(synonyms)

    content = read_workbook(
        projects_xlsx,
        file_name=projects_xlsx.name,
        is_header=lambda text: vocabulary.match_header(text) is not None,
    )

    table = table_on(content, "Projets")
    assert table.header_row == 5
    assert [row.number for row in table.rows] == [7, 8, 9, 13]

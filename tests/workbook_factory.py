"""Make real spreadsheet files for the reading tests.

Workbooks are written with openpyxl; .xls and .ods copies are made by
LibreOffice Calc (`soffice`), each call with its own profile folder so that
tests running in parallel do not share one.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

# A small header vocabulary standing in for the real one: test input only.
HEADER_WORDS = {
    "titre",
    "intitule",
    "intitule du projet",
    "pays",
    "partenaire",
    "partenaires",
    "debut",
    "fin",
    "date debut",
    "date fin",
    "dates debut",
    "dates fin",
    "budget",
    "statut",
    "domaine",
    "acteur",
    "reference",
    "contact",
}


def is_known_header(text: str) -> bool:
    """Say whether a cell text is one of the test vocabulary's headers."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return folded in HEADER_WORDS


def save(workbook: Workbook, path: Path) -> Path:
    workbook.save(path)
    return path


def project_workbook() -> Workbook:
    """Return a realistic workbook: titles, merged cells, odd rows, extra sheets."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = "Projets"

    # Two title rows, merged across, then a blank row.
    sheet["A1"] = "Coopérations internationales en santé"
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "CHU de Bordeaux — état au 31/12/2024"
    sheet.merge_cells("A2:F2")

    # Two-row header: "Dates" groups "Début" and "Fin"; the others are merged
    # vertically over both rows.
    for column, text in zip(
        "ABCD", ["Pays", "Intitulé", "Partenaire", "Budget"], strict=True
    ):
        sheet[f"{column}4"] = text
        sheet.merge_cells(f"{column}4:{column}5")
    sheet["E4"] = "Dates"
    sheet.merge_cells("E4:F4")
    sheet["E5"] = "Début"
    sheet["F5"] = "Fin"
    sheet["H5"] = None  # a styled but empty trailing cell
    sheet["H5"].number_format = "0.00"

    # A sub-heading merged across the table.
    sheet["A6"] = "Afrique de l'Ouest"
    sheet.merge_cells("A6:F6")

    # Three projects in Senegal, the country merged down over them.
    sheet["A7"] = "Sénégal"
    sheet.merge_cells("A7:A9")
    rows = [
        ("  Lutte contre la tuberculose  ", "Institut Pasteur de Dakar", 120000),
        ("Formation des sages-femmes", "Université Cheikh Anta Diop", 45000.5),
        ("Télé-expertise en dermatologie", "Hôpital Fann", 30000),
    ]
    for offset, (title, partner, budget) in enumerate(rows):
        row = 7 + offset
        sheet[f"B{row}"] = title
        sheet[f"C{row}"] = partner
        sheet[f"D{row}"] = budget
        sheet[f"E{row}"] = dt.date(2023, 1 + offset, 1)
        sheet[f"F{row}"] = dt.datetime(2026, 6, 30, 12, 0)
    sheet["G8"] = "à revoir"  # data under an empty header

    sheet["A10"] = "TOTAL GÉNÉRAL"
    sheet["D10"] = 195000.5

    # Page break: the header repeated, then another project.
    for column, text in zip(
        "ABCD", ["Pays", "Intitulé", "Partenaire", "Budget"], strict=True
    ):
        sheet[f"{column}12"] = text
    sheet["A13"] = "Mali"
    sheet["B13"] = "Santé mentale communautaire"
    sheet["C13"] = "CHU du Point G"
    sheet["D13"] = ""
    sheet["A15"] = "N.B. : les budgets sont en euros, hors valorisation du temps."

    # Other sheets: hidden, very hidden, empty, and a sheet without a table.
    hidden = workbook.create_sheet("Brouillon")
    hidden["A1"] = "Pays"
    hidden["B1"] = "Intitulé"
    hidden["A2"] = "Brésil"
    hidden.sheet_state = "hidden"
    very_hidden = workbook.create_sheet("Listes")
    very_hidden["A1"] = "Pays"
    very_hidden["B1"] = "Titre"
    very_hidden.sheet_state = "veryHidden"
    workbook.create_sheet("Vide")
    readme = workbook.create_sheet("Lisez-moi")
    readme["A1"] = "Ce classeur recense nos coopérations."
    readme["A2"] = "Contact : relations internationales"

    # A second visible project sheet, table starting at C3.
    second = workbook.create_sheet("Europe")
    for column, text in zip("CDE", ["Titre", "Pays", "Statut"], strict=True):
        second[f"{column}3"] = text
    second["C4"] = "Réseau européen maladies rares"
    second["D4"] = "Allemagne"
    second["E4"] = "en cours"
    second["C5"] = "Jumelage hospitalier"
    second["D5"] = "Roumanie"
    second["E5"] = True
    return workbook


def convert(source: Path, extension: str, work_dir: Path) -> Path:
    """Convert a file with LibreOffice, in a private profile, and return the copy."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed for these tests"
    out_dir = work_dir / f"converted-{extension}"
    profile = work_dir / f"lo-profile-{extension}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            extension,
            "--outdir",
            str(out_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = out_dir / f"{source.stem}.{extension}"
    assert converted.exists(), f"LibreOffice did not write {converted}"
    return converted


def rewrite_zip(
    source: Path,
    target: Path,
    replace: dict[str, bytes] | None = None,
    add: dict[str, bytes] | None = None,
) -> Path:
    """Copy a zip archive, replacing some members and adding others."""
    replace = replace or {}
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in original.infolist():
            data = replace.get(item.filename, original.read(item.filename))
            copy.writestr(item.filename, data)
        for name, data in (add or {}).items():
            copy.writestr(name, data)
    return target


def make_xlsm(source: Path, target: Path, vba_project: bytes) -> Path:
    """Turn an openpyxl .xlsx into a macro-enabled workbook with a VBA part."""
    with zipfile.ZipFile(source) as original:
        content_types = original.read("[Content_Types].xml").decode()
        relationships = original.read("xl/_rels/workbook.xml.rels").decode()
    content_types = content_types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        "</Types>",
    )
    relationships = relationships.replace(
        "</Relationships>",
        '<Relationship Id="rIdVba" '
        'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        'Target="vbaProject.bin"/></Relationships>',
    )
    return rewrite_zip(
        source,
        target,
        replace={
            "[Content_Types].xml": content_types.encode(),
            "xl/_rels/workbook.xml.rels": relationships.encode(),
        },
        add={"xl/vbaProject.bin": vba_project},
    )


def simple_table(path: Path, rows: int) -> Path:
    """Write a one-sheet workbook with a header and `rows` project rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Projets")
    sheet.append(["Référence", "Intitulé", "Pays", "Partenaire", "Début", "Budget"])
    start = dt.date(2020, 1, 1)
    for number in range(rows):
        sheet.append(
            [
                f"P-{number:06d}",
                f"Projet de coopération numéro {number}",
                ("Sénégal", "Vietnam", "Brésil", "Maroc")[number % 4],
                f"Partenaire {number % 97}",
                start + dt.timedelta(days=number % 1500),
                1000 + number,
            ]
        )
    workbook.save(path)
    return path

"""Write the example submissions under examples/inbox/, one sub-folder per actor.

Run `python examples/make_examples.py` from the repository root (or anywhere):
it rewrites every file. The output is byte-for-byte reproducible: dates are
fixed, nothing is random, and the zip entries of each workbook carry a fixed
timestamp, so regenerating leaves `git status` clean.

The projects are invented; the partner institutions are real names used as a
contributor would write them, with their spelling variants. The files imitate
what actors really send: titles above the table, typos in headers, countries
and dates written many ways, totals and notes under the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

INBOX = Path(__file__).resolve().parent / "inbox"

# Every workbook claims to have been saved at this moment, so output is stable.
FROZEN_AT = dt.datetime(2026, 11, 28, 10, 30, 0)

DATE_FORMAT = "DD/MM/YYYY"
BOLD = Font(bold=True)

Value = str | int | float | dt.date | None


def write_row(sheet: Worksheet, row: int, values: Sequence[Value]) -> None:
    """Write values from column A, keeping text that starts with '=' as text."""
    for column, value in enumerate(values, start=1):
        if value is None or value == "":
            continue
        cell = sheet.cell(row=row, column=column)
        cell.value = value
        _keep_as_text(cell)
        if isinstance(value, dt.date):
            cell.number_format = DATE_FORMAT
        if isinstance(value, str) and "\n" in value:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _keep_as_text(cell: Cell) -> None:
    # openpyxl turns any string starting with "=" into a formula; a contributor
    # who typed such text (or pasted it after an apostrophe) sent a string.
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"


def write_header(sheet: Worksheet, row: int, headers: Sequence[str]) -> None:
    write_row(sheet, row, headers)
    for column in range(1, len(headers) + 1):
        sheet.cell(row=row, column=column).font = BOLD


def new_workbook(creator: str) -> Workbook:
    workbook = Workbook()
    workbook.properties.creator = creator
    workbook.properties.lastModifiedBy = creator
    workbook.properties.created = FROZEN_AT
    return workbook


def save_frozen(workbook: Workbook, path: Path) -> None:
    """Save a workbook, then fix its timestamps so the bytes never change."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)

    # openpyxl stamps docProps/core.xml with the save time and every zip entry
    # with the current local time; both are replaced by FROZEN_AT.
    frozen = io.BytesIO()
    stamp = FROZEN_AT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(frozen, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FROZEN_AT.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frozen.getvalue())


def set_widths(sheet: Worksheet, widths: dict[str, float]) -> None:
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width


# --- CHU de Bordeaux: a hand-kept French table with every usual quirk --------

CHU_HEADERS = (
    "Intitulé du projet",
    "Pays partenaire(s)",
    "Partenaires étrangés",  # sic: typo kept on purpose
    "Domaine",
    "Date de début",
    "Date de fin",
    "Budget (confidentiel)",
    "Contact",
    "Confidentiel ?",
    "Obsevations",  # sic
)

CHU_WEST_AFRICA: tuple[tuple[Value, ...], ...] = (
    (
        "Renforcement du diagnostic de la tuberculose multirésistante au Sénégal",
        "Sénégal",
        "Centre hospitalier national universitaire de Fann; "
        "Programme national de lutte contre la tuberculose",
        "Recherche clinique",
        dt.date(2024, 9, 1),
        dt.date(2027, 8, 31),
        180000,
        "Dr C. Lemoine (maladies infectieuses)",
        "non",
        "Convention signée le 12/09/2024",
    ),
    (
        "Formation des sages-femmes aux soins obstétricaux d'urgence",
        "Mali",
        "CHU Gabriel Touré\nCHU du Point G",
        "Formation",
        "03/2025",
        "02/2028",
        95000,
        "M. Traoré-Bernard (direction des soins)",
        None,
        "Missions sur place suspendues, reprise en distanciel",
    ),
    (
        "Télé-expertise en dermatologie pédiatrique",
        "Cote d'Ivoire",
        "CHU de Treichville",
        "Numérique en santé",
        dt.date(2025, 1, 15),
        None,
        42000,
        "Pr J.-P. Garnier",
        "non",
        "Fin prévue à la clôture du financement",
    ),
    (
        "Jumelage hygiène hospitalière et prévention des infections",
        "SEN",
        "Hôpital Principal de Dakar",
        "Qualité des soins",
        "mars 2025",
        "2027",
        "env. 60 000 €",
        "Équipe opérationnelle d'hygiène",
        "non",
        None,
    ),
    (
        "Surveillance des infections néonatales en maternité",
        "RDC",
        "Cliniques universitaires de Kinshasa; "
        "Ministère de la Santé publique, Hygiène et Prévention",
        "Veille sanitaire",
        "2024-2026",
        None,
        130000,
        "Dr S. Kabongo",
        None,
        "Période indiquée sur la convention",
    ),
    (
        "Prise en charge des brûlés graves : appui au centre de référence",
        "Mali, Sénégal",
        "Hôpital du Mali; Hôpital Aristide Le Dantec",
        "Soins",
        dt.date(2026, 4, 1),
        dt.date(2028, 3, 31),
        250000,
        "Dr F. Cissé-Roux",
        "oui",
        "Ne pas diffuser avant la signature de l'accord-cadre",
    ),
)

CHU_INDIAN_OCEAN_ASIA: tuple[tuple[Value, ...], ...] = (
    (
        "Chirurgie cardiaque pédiatrique : missions et compagnonnage",
        "Madagascar",
        "CHU Joseph Raseta Befelatanana;\nCHU Joseph Ravoahangy Andrianavalona",
        "Soins",
        dt.date(2023, 5, 1),
        dt.date(2025, 12, 31),
        210000,
        "Pr L. Andriamanana-Faure",
        "non",
        "Clôturé, rapport final transmis",
    ),
    (
        "Registre des cancers du col de l'utérus à Hanoï",
        "Viêt Nam",
        "Hôpital Bach Mai",
        "Veille sanitaire",
        dt.date(2026, 2, 1),
        dt.date(2029, 1, 31),
        75000,
        "Dr H. Nguyen",
        "non",
        None,
    ),
    (
        "Dengue : modélisation et alerte précoce",
        "Cambodge",
        "Institut Pasteur du Cambodge; Ministère de la Santé du Cambodge",
        "Environnement / One Health",
        dt.date(2027, 3, 1),
        dt.date(2030, 2, 28),
        160000,
        "Dr E. Vasseur (santé publique)",
        None,
        "Financement AFD en cours d'instruction",
    ),
    (
        "Dossier patient partagé entre hôpitaux partenaires",
        "Vietnam, Cambodge",
        "Hôpital Cho Ray (Hô Chi Minh-Ville)\nHôpital Calmette (Phnom Penh)",
        "Numérique en santé",
        "janvier 2027",
        "décembre 2029",
        310000,
        "Direction du numérique",
        "non",
        "Démarrage prévu après l'appel d'offres",
    ),
    (
        "Formation croisée aux maladies infectieuses émergentes",
        "Madagascar",
        "Institut Pasteur de Madagascar",
        "Formation",
        dt.date(2021, 10, 1),
        dt.date(2024, 9, 30),
        38000,
        "Dr C. Lemoine (maladies infectieuses)",
        "non",
        "Terminé",
    ),
)


def write_chu_bordeaux(inbox: Path) -> Path:
    """A title row, sub-heading rows, a total and a note around the table."""
    workbook = new_workbook("DRCI – CHU de Bordeaux")
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Projets 2025"
    last_column = "J"

    sheet["A1"] = "CHU de Bordeaux – Coopérations internationales"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last_column}1")
    # Row 2 stays blank, as in the original.
    write_header(sheet, 3, CHU_HEADERS)

    row = 4
    for heading, projects in (
        ("Afrique de l'Ouest", CHU_WEST_AFRICA),
        ("Océan Indien et Asie du Sud-Est", CHU_INDIAN_OCEAN_ASIA),
    ):
        sheet.cell(row=row, column=1, value=heading).font = BOLD
        sheet.merge_cells(f"A{row}:{last_column}{row}")
        row += 1
        for project in projects:
            write_row(sheet, row, project)
            row += 1

    # The total is a plain number: Excel would store the SUM's cached value,
    # which is what any reader sees (openpyxl cannot write a cached value).
    budgets = [
        project[6]
        for project in CHU_WEST_AFRICA + CHU_INDIAN_OCEAN_ASIA
        if isinstance(project[6], int)
    ]
    row += 1
    sheet.cell(row=row, column=1, value="Total").font = BOLD
    sheet.cell(row=row, column=7, value=sum(budgets)).font = BOLD
    row += 2
    sheet.cell(
        row=row,
        column=1,
        value="NB : les budgets sont indicatifs et hors valorisation du temps médical.",
    )

    set_widths(sheet, {"A": 60, "B": 18, "C": 50, "D": 22, "J": 40})
    path = inbox / "chu-bordeaux" / "Coopérations internationales 2025.xlsx"
    save_frozen(workbook, path)
    return path


# --- Inserm: English, two regional sheets, a two-row header ------------------

INSERM_TOP_HEADERS = (
    "Project title",
    "Country",
    "Partner institutions",
    "Field",
    "Dates",
    None,
    "Funding (EUR)",
    "Funders",
    "Website",
    "Keywords",
    "Ref.",
)
INSERM_SUB_HEADERS = (None, None, None, None, "Start", "End")

INSERM_AFRICA: tuple[tuple[Value, ...], ...] = (
    (
        # Same project as the CHU de Bordeaux's, partners spelt differently.
        "Renforcement du diagnostic de la tuberculose multirésistante au Sénégal",
        "Senegal",
        "CHNU de Fann (Dakar), National TB Programme",
        "Clinical research",
        dt.date(2024, 9, 1),
        "2027",
        420000,
        "ANRS MIE; Inserm",
        None,
        "tuberculosis; MDR-TB; molecular diagnostics",
        "INS-AFR-2024-017",
    ),
    (
        "Transmission-blocking malaria vaccine: phase II trial",
        "Burkina Faso, Mali",
        "Institut de Recherche en Sciences de la Santé (IRSS); "
        "Malaria Research and Training Center (MRTC), Bamako",
        "Clinical research",
        "S1 2025",
        "Q4 2028",
        1250000,
        "Global Health EDCTP3; Inserm",
        "https://www.global-health-edctp3.europa.eu",
        "malaria; vaccine; Plasmodium falciparum",
        "INS-AFR-2025-003",
    ),
    (
        "Cohort of HIV-exposed uninfected children",
        "Côte d’Ivoire",
        "Programme PAC-CI, Abidjan",
        "Epidemiology",
        "2023",
        "2026",
        380000,
        "ANRS MIE",
        None,
        "HIV; paediatrics; cohort",
        "INS-AFR-2023-011",
    ),
    (
        "Sickle cell disease newborn screening",
        "Cameroon",
        "Centre Pasteur du Cameroun; Hôpital Laquintinie de Douala",
        "Genetics",
        "Q3 2026",
        "Q2 2029",
        210000,
        "Inserm",
        None,
        "sickle cell disease; neonatal screening",
        "INS-AFR-2026-008",
    ),
    (
        "Antimicrobial resistance in neonatal sepsis",
        "Madagascar; Senegal",
        "Institut Pasteur de Madagascar; Hôpital d'Enfants Albert Royer",
        "Public health",
        "2027",
        "2030",
        None,
        "pending (ANR PRCI)",
        None,
        "AMR; neonatal sepsis; Klebsiella",
        "INS-AFR-2026-021",
    ),
    (
        "Long-term follow-up of Ebola survivors",
        "Guinea",
        "CHU de Conakry (Donka)",
        "Clinical research",
        dt.date(2016, 3, 1),
        dt.date(2022, 12, 31),
        900000,
        "Inserm; ANRS",
        None,
        "Ebola; survivors; cohort",
        "INS-AFR-2016-002",
    ),
)

INSERM_ASIA: tuple[tuple[Value, ...], ...] = (
    (
        "Hepatitis B mother-to-child transmission prevention",
        "Cambodia",
        "Institut Pasteur du Cambodge; Calmette Hospital",
        "Public health",
        "2025",
        "2028",
        560000,
        "ANRS MIE",
        None,
        "hepatitis B; PMTCT; tenofovir",
        "INS-ASI-2025-004",
    ),
    (
        "Dengue vectors and climate variability",
        "Viet Nam",
        "National Institute of Hygiene and Epidemiology (NIHE), Hanoi",
        "Environmental health",
        "Q3 2026",
        "Q2 2029",
        300000,
        "ANR; Inserm",
        None,
        "dengue; Aedes; climate",
        "INS-ASI-2026-012",
    ),
    (
        "Melioidosis rapid diagnostics",
        "Lao PDR",
        "Mahosot Hospital, Vientiane",
        "Microbiology",
        "S1 2027",
        "S2 2029",
        150000,
        "Inserm",
        None,
        "melioidosis; Burkholderia pseudomallei; diagnostics",
        "INS-ASI-2026-019",
    ),
    (
        "Air pollution and respiratory health of children",
        "Vietnam",
        "Hanoi Medical University",
        "Environmental health",
        dt.date(2024, 1, 1),
        dt.date(2027, 12, 31),
        240000,
        "ANR",
        None,
        "air pollution; asthma; children",
        "INS-ASI-2023-030",
    ),
    (
        "Nipah virus surveillance in bats and humans",
        "Bangladesh, India",
        # "icddr,b" holds a comma in its own name.
        "icddr,b; National Institute of Virology, Pune",
        "One Health",
        "2026",
        "2029",
        480000,
        "ANRS MIE; Inserm",
        None,
        "Nipah; zoonoses; One Health",
        "INS-ASI-2025-027",
    ),
    (
        "Cervical cancer screening with HPV self-sampling",
        "Thailand",
        "Mahidol University",
        "Cancer",
        "2019",
        "2023",
        175000,
        "Inserm",
        None,
        "HPV; cervical cancer; screening",
        "INS-ASI-2019-006",
    ),
)


def write_inserm_table(
    sheet: Worksheet, top: int, projects: Sequence[Sequence[Value]]
) -> None:
    """Write a two-row header at `top` ("Dates" over Start | End), then rows."""
    write_header(sheet, top, [header or "" for header in INSERM_TOP_HEADERS])
    write_header(sheet, top + 1, [header or "" for header in INSERM_SUB_HEADERS])
    for column, header in enumerate(INSERM_TOP_HEADERS, start=1):
        letter = get_column_letter(column)
        if header == "Dates":
            sheet.merge_cells(
                start_row=top, start_column=column, end_row=top, end_column=column + 1
            )
        elif header is not None:
            sheet.merge_cells(f"{letter}{top}:{letter}{top + 1}")
    for offset, project in enumerate(projects, start=2):
        write_row(sheet, top + offset, project)
    set_widths(sheet, {"A": 55, "C": 55, "J": 40, "K": 18})


def write_inserm(inbox: Path) -> Path:
    """Two regional sheets, a hidden lookup sheet and an empty one."""
    workbook = new_workbook("Inserm – Département des affaires européennes")
    africa = workbook.active
    assert africa is not None
    africa.title = "Africa"
    write_inserm_table(africa, 1, INSERM_AFRICA)

    asia = workbook.create_sheet("Asia")
    asia["A1"] = "Inserm – Asia portfolio (updated November 2026)"
    asia["A1"].font = Font(bold=True, size=13)
    write_inserm_table(asia, 3, INSERM_ASIA)

    # A data-validation source list, hidden by its author: not projects.
    lookup = workbook.create_sheet("Lookup")
    write_header(lookup, 1, ("Field", "Code"))
    for row, (field_name, code) in enumerate(
        (
            ("Clinical research", "CR"),
            ("Epidemiology", "EPI"),
            ("Public health", "PH"),
            ("Environmental health", "ENV"),
            ("One Health", "OH"),
            ("Genetics", "GEN"),
            ("Microbiology", "MIC"),
            ("Cancer", "CAN"),
        ),
        start=2,
    ):
        write_row(lookup, row, (field_name, code))
    lookup.sheet_state = "hidden"

    workbook.create_sheet("Sheet3")
    path = inbox / "inserm" / "Inserm_international_projects_v3.xlsx"
    save_frozen(workbook, path)
    return path


# --- Institut Pasteur: a CSV saved by French Excel ----------------------------

PASTEUR_HEADERS = ("Titre", "Pays", "Partenaires", "Thématique", "Période", "Statut")

PASTEUR_PROJECTS: tuple[tuple[str, ...], ...] = (
    (
        "Surveillance génomique du VIH/sida chez les adolescents",
        "Cameroun",
        "Centre Pasteur du Cameroun, Yaoundé",
        "VIH/sida",
        "2024-2027",
        "En cours",
    ),
    (
        "Résistance de Plasmodium falciparum à l’artémisinine",
        "Cambodge, Laos",
        "Institut Pasteur du Cambodge; Institut Pasteur du Laos",
        "paludisme",
        "2025-2028",
        "En cours",
    ),
    (
        "Zoonoses émergentes à l’interface homme–animal",
        "Côte d'Ivoire",
        "Institut Pasteur de Côte d'Ivoire; "
        "Laboratoire national d'appui au développement agricole (LANADA)",
        "One Health",
        "2027-2030",
        "Prévu",
    ),
    (
        "Rage : accès à la prophylaxie post-exposition en zone rurale",
        "Madagascar",
        "Institut Pasteur de Madagascar",
        "One Health",
        "01/2026 - 12/2028",
        "En cours",
    ),
    (
        "Rhumatisme articulaire aigu : dépistage des atteintes du cœur chez l'enfant",
        "Sénégal",
        "Institut Pasteur de Dakar; Université Cheikh Anta Diop",
        "Maladies non transmissibles",
        "2026",
        "En cours",
    ),
    (
        "Fièvre de Lassa : préparation d’un essai vaccinal",
        "Nigeria; Guinée",
        "Nigeria Centre for Disease Control; Institut Pasteur de Guinée",
        "Maladies émergentes",
        "S2 2027 - 2030",
        "En préparation",
    ),
    (
        "Choléra : eau, assainissement et surveillance communautaire",
        "Haïti",
        "Laboratoire national de santé publique (LNSP)",
        "Maladies diarrhéiques",
        "2025-2027",
        "En cours",
    ),
    (
        "Arboviroses : chikungunya et Zika",
        "Brésil",
        "Fundação Oswaldo Cruz (Fiocruz)",
        "Arboviroses",
        "2021-2025",
        "Terminé",
    ),
)


def write_institut_pasteur(inbox: Path) -> Path:
    """A ';'-separated cp1252 CSV with CRLF line ends, as French Excel saves it."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(PASTEUR_HEADERS)
    writer.writerows(PASTEUR_PROJECTS)
    path = inbox / "institut-pasteur" / "projets.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode("cp1252"))
    return path


# --- AP-HP: a messy working table -------------------------------------------

APHP_HEADERS = (
    "Projet",
    "Pays ",  # trailing space, as typed
    "Partenaire(s)",
    "Service AP-HP",
    "Début",
    "Fin",
    "Financement",
    "Commentaire interne",
    "",  # a column someone filled without naming it
    "Statut",
)

APHP_PROJECTS: tuple[tuple[Value, ...], ...] = (
    (
        "Greffe rénale pédiatrique : compagnonnage chirurgical",
        "Tunisie",
        "Hôpital Charles-Nicolle, Tunis",
        "Hôpital Necker-Enfants malades",
        dt.date(2025, 10, 1),
        dt.date(2028, 9, 30),
        "1,2 M€",
        "Relancer la DAI pour l'avenant",
        "OK",
        "En cours",
    ),
    (
        "Réseau européen des maladies osseuses rares",
        "Allemagne, Espagne, Italie",
        "Charité – Universitätsmedizin Berlin; Hospital Universitari Vall "
        "d'Hebron; Istituto Ortopedico Rizzoli",
        "Hôpital Cochin",
        dt.date(2023, 3, 1),
        dt.date(2027, 2, 28),
        "450 k€",
        "=> voir convention-cadre 2023",
        None,
        "En cours",
    ),
    (
        "Appui à la réanimation néonatale",
        "Sengal",  # sic: unknown country
        "Hôpital Aristide Le Dantec",
        "Hôpital Robert-Debré",
        dt.date(2026, 1, 5),
        dt.date(2028, 12, 31),
        "300 000",
        "Budget à confirmer",
        "à relancer",
        "En cours",
    ),
    (
        None,  # no title: the row must be rejected, not guessed
        "Maroc",
        "CHU Ibn Rochd, Casablanca",
        "Hôpital Saint-Louis",
        dt.date(2027, 1, 1),
        dt.date(2029, 12, 31),
        "200 000 €",
        "Titre à définir avec le partenaire",
        None,
        "Prévu",
    ),
    (
        "Formation en anesthésie pédiatrique",
        "Bénin",
        "CNHU Hubert Koutoukou Maga, Cotonou",
        "Hôpital Armand-Trousseau",
        dt.date(2026, 6, 1),
        dt.date(2025, 6, 1),  # before the start
        "80 000 €",
        None,
        None,
        "En cours",
    ),
    (
        # Text that a spreadsheet would run as a formula if exported as is.
        '=HYPERLINK("https://exemple.invalid/projet";"Projet Kinshasa")',
        "République démocratique du Congo",
        "Hôpital du Cinquantenaire, Kinshasa",
        "Hôpital Bichat – Claude-Bernard",
        "2026",
        "2027",
        None,
        "Lien copié depuis l'intranet",
        None,
        "En cours",
    ),
    (
        "Télésurveillance de l'insuffisance cardiaque",
        "Liban",
        "Hôtel-Dieu de France, Beyrouth",
        "Hôpital européen Georges-Pompidou",
        "15/01/2027",
        "2029",
        "1,5 M€",
        None,
        None,
        "Prévu",
    ),
    (
        "Plateforme de génomique des cancers pédiatriques",
        "Canada, Belgique",
        "CHU Sainte-Justine, Montréal\n"
        "Hôpital universitaire des enfants Reine Fabiola (HUDERF), Bruxelles",
        "Hôpital Robert-Debré",
        dt.date(2027, 9, 1),
        dt.date(2031, 8, 31),
        "2 M€",
        "Dépôt Horizon Europe en février",
        None,
        "Prévu",
    ),
    (
        "Santé mentale des personnes exilées : recherche-action",
        "Grèce, Italie",
        "Université nationale et capodistrienne d'Athènes; "
        "Azienda Sanitaria Locale Roma 1",
        "Hôpital Avicenne",
        dt.date(2025, 4, 1),
        dt.date(2027, 3, 31),
        "350 000 €",
        None,
        "OK",
        "En cours",
    ),
    (
        "Hygiène des mains dans les hôpitaux de district",
        "Haïti",
        "Hôpital universitaire de Mirebalais",
        "Hôpital Bichat – Claude-Bernard",
        dt.date(2020, 1, 1),
        dt.date(2023, 12, 31),
        "120 000 €",
        None,
        "archivé",
        "Terminé",
    ),
)


def write_aphp(inbox: Path) -> Path:
    """A working table with unnamed and internal columns and faulty rows."""
    workbook = new_workbook("AP-HP – Direction des affaires internationales")
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Suivi"
    write_header(sheet, 1, APHP_HEADERS)
    for row, project in enumerate(APHP_PROJECTS, start=2):
        write_row(sheet, row, project)
    set_widths(sheet, {"A": 55, "C": 55, "D": 30, "H": 35})
    path = inbox / "aphp" / "AP-HP cooperations.xlsx"
    save_frozen(workbook, path)
    return path


def main() -> None:
    for write in (write_chu_bordeaux, write_inserm, write_institut_pasteur, write_aphp):
        path = write(INBOX)
        print(path.relative_to(INBOX.parent))


if __name__ == "__main__":
    main()

"""One project per document: formats, labels, prose, evidence, refusals, versions."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import docx
import msoffcrypto.format.ooxml
import pytest
from click.testing import CliRunner
from pypdf import PdfWriter
from reportlab.pdfgen import canvas

from bot.cli import main
from bot.config import Settings, load_settings
from bot.documents import read_document, read_text_submission
from bot.exceptions import EncryptedFile, UnsupportedFile
from bot.ingest import Ingestor
from bot.projects import merged_projects, visible_projects
from bot.vocabulary import Vocabulary
from tests.conftest import REPOSITORY, TODAY, make_workbook, write_settings

CORPUS = REPOSITORY / "tests" / "documents"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load(REPOSITORY / "synonyms")


def read(path: Path, vocabulary: Vocabulary, settings: Settings):
    return read_document(
        path, file_name=path.name, vocabulary=vocabulary, settings=settings
    )


def word_sheet(path: Path, title: str, pairs: list[tuple[str, str]]) -> Path:
    """Write a Word project sheet: a title, then a two-column label table."""
    document = docx.Document()
    document.add_heading(title, level=0)
    table = document.add_table(rows=0, cols=2)
    for label, value in pairs:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    document.save(str(path))
    return path


# Formats and labels


def test_word_label_table_gives_the_same_fields_as_a_workbook_row(
    tmp_path, vocabulary, settings
):
    path = word_sheet(
        tmp_path / "fiche.docx",
        "Fiche projet",
        [
            ("Titre du projet", "Vaccination contre la rougeole au Niger"),
            ("Pays", "Niger"),
            ("Partenaires", "Hôpital national de Niamey"),
            ("Domaines", "Soins"),
            ("Période", "2025-2026"),
        ],
    )

    record = read(path, vocabulary, settings).record

    assert record is not None
    assert record.fields["title"] == "Vaccination contre la rougeole au Niger"
    assert record.fields["countries"] == ["NE"]
    assert record.fields["partners"] == [
        {"name": "Hôpital national de Niamey", "country": "NE"}
    ]
    assert record.fields["domains"] == ["soins"]
    assert (record.fields["start_date"], record.fields["end_date"]) == (
        "2025-01-01",
        "2026-12-31",
    )


def test_labels_are_read_with_or_without_colon_and_on_the_next_line(
    tmp_path, vocabulary, settings
):
    path = tmp_path / "note.txt"
    path.write_text(
        "Intitulé du projet\nDépistage du diabète à Tunis\n\n"
        "Pays partenaire : Tunisie\nDomaine: soins primaires\n",
        encoding="utf-8",
    )

    record = read(path, vocabulary, settings).record

    assert record is not None
    assert record.fields["title"] == "Dépistage du diabète à Tunis"
    assert record.fields["countries"] == ["TN"]
    assert record.fields["domains"] == ["soins"]


def test_text_file_in_windows_encoding_is_read(tmp_path, vocabulary, settings):
    path = tmp_path / "fiche.txt"
    path.write_bytes("Titre : Santé des élèves à Lomé\nPays : Togo\n".encode("cp1252"))

    record = read(path, vocabulary, settings).record

    assert record is not None
    assert record.title == "Santé des élèves à Lomé"


def test_every_corpus_format_is_read_into_a_project(vocabulary, settings):
    for suffix in (".docx", ".odt", ".pdf", ".rtf", ".md", ".txt"):
        path = next(
            p for p in sorted(CORPUS.glob(f"*{suffix}")) if ".email." not in p.name
        )
        result = read(path, vocabulary, settings)
        assert result.record is not None, (path.name, result.refusal)
        assert result.record.fields.get("countries"), path.name


def test_free_prose_gives_countries_partners_domains_and_dates(vocabulary, settings):
    text = (
        "Renforcer la surveillance du choléra au Mozambique\n\n"
        "Avec l'Université Eduardo Mondlane et l'Institut national de santé de "
        "Maputo, le projet forme des techniciens de laboratoire à partir de "
        "janvier 2025 pour trois ans. Une mission aura lieu à Maputo."
    )

    result = read_text_submission(
        text, file_name="message.txt", vocabulary=vocabulary, settings=settings
    )

    record = result.record
    assert record is not None
    assert record.title == "Renforcer la surveillance du choléra au Mozambique"
    assert record.fields["countries"] == ["MZ"]
    assert [p["name"] for p in record.fields["partners"]] == [
        "Université Eduardo Mondlane",
        "Institut national de santé de Maputo",
    ]
    assert "veille-sanitaire" in record.fields["domains"]
    assert "formation" in record.fields["domains"]
    assert record.fields["start_date"] == "2025-01-01"
    assert record.fields["end_date"] == "2027-12-31"


def test_city_names_give_their_country(vocabulary, settings):
    result = read_text_submission(
        "Missions de chirurgie à Dakar et à Ouagadougou\n\n"
        "Des équipes opèrent à Dakar puis à Ouagadougou, de 2024 à 2025.",
        file_name="villes.txt",
        vocabulary=vocabulary,
        settings=settings,
    )

    assert result.record is not None
    assert result.record.fields["countries"] == ["SN", "BF"]


def test_french_organisations_named_in_prose_become_french_actors(vocabulary, settings):
    result = read_text_submission(
        "Projet ECHO-MALI\n\nL'Inserm et le CHU de Rouen travaillent avec "
        "l'Hôpital du Mali à Bamako.",
        file_name="echo.txt",
        vocabulary=vocabulary,
        settings=settings,
    )

    fields = result.record.fields
    assert fields["french_actors"] == ["Inserm", "CHU de Rouen"]
    assert [p["name"] for p in fields["partners"]] == ["Hôpital du Mali"]


def test_email_body_without_subject_takes_the_project_acronym_as_title(
    vocabulary, settings
):
    result = read_text_submission(
        "Bonjour,\n\nNous lançons le projet NEOSAN avec l'Université de Lomé.\n\n"
        "Cordialement,",
        file_name="message",
        vocabulary=vocabulary,
        settings=settings,
    )

    assert result.record is not None
    assert result.record.title == "NEOSAN"
    assert result.record.fields["countries"] == ["TG"]


def test_html_email_body_reads_bold_labels_and_subject(vocabulary, settings):
    html = (
        "<html><body><p>Bonjour,</p><p><b>Pays :</b> Bénin</p>"
        "<p><strong>Partenaires</strong> : Université d'Abomey-Calavi</p>"
        "<script>Titre : piège</script></body></html>"
    )

    result = read_text_submission(
        html,
        file_name="message.html",
        vocabulary=vocabulary,
        settings=settings,
        html=True,
        subject="TR: Formation des sages-femmes au Bénin",
    )

    record = result.record
    assert record is not None
    assert record.title == "Formation des sages-femmes au Bénin"
    assert record.fields["countries"] == ["BJ"]
    assert record.fields["partners"][0]["name"] == "Université d'Abomey-Calavi"


# Confidentiality


def test_confidential_page_header_makes_the_project_confidential(
    tmp_path, vocabulary, settings
):
    path = word_sheet(tmp_path / "fiche.docx", "Projet X", [("Pays", "Mali")])
    document = docx.Document(str(path))
    document.sections[0].header.paragraphs[0].text = "Confidentiel"
    document.save(str(path))

    result = read(path, vocabulary, settings)

    assert result.record is not None
    assert result.record.confidential is True
    assert any(item.field == "confidential" for item in result.evidence)


def test_confidential_label_makes_only_that_field_confidential(
    tmp_path, vocabulary, settings
):
    path = tmp_path / "fiche.md"
    path.write_text(
        "# Télésanté au Laos\n\n**Pays :** Laos\n\n"
        "**Partenaires (confidentiel) :** Hôpital Mahosot de Vientiane\n",
        encoding="utf-8",
    )

    record = read(path, vocabulary, settings).record

    assert record is not None
    assert record.confidential is False
    assert "partners" in record.confidential_fields


def test_not_confidential_line_does_not_hide_the_project(vocabulary, settings):
    result = read_text_submission(
        "Titre : Projet ouvert\nPays : Ghana\nNon confidentiel\n",
        file_name="m.txt",
        vocabulary=vocabulary,
        settings=settings,
    )

    assert result.record is not None
    assert result.record.confidential is False


# Refusals


def test_word_table_listing_several_projects_is_refused_asking_for_a_workbook(
    tmp_path, vocabulary, settings
):
    document = docx.Document()
    document.add_paragraph("Nos projets 2025")
    table = document.add_table(rows=0, cols=3)
    for row in (
        ("Titre", "Pays", "Partenaire"),
        ("Projet A", "Mali", "CHU du Point G"),
        ("Projet B", "Niger", "Hôpital national de Niamey"),
        ("Projet C", "Tchad", "Hôpital de la Mère et de l'Enfant"),
    ):
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    path = tmp_path / "projets.docx"
    document.save(str(path))

    result = read(path, vocabulary, settings)

    assert result.record is None
    assert result.refusal is not None
    assert "contient un tableau de 3 projets" in result.refusal
    assert "classeur Excel (.xlsx)" in result.refusal


def test_scanned_pdf_without_text_is_refused_saying_what_to_send(
    tmp_path, vocabulary, settings
):
    path = tmp_path / "scan.pdf"
    page = canvas.Canvas(str(path))
    page.rect(50, 50, 400, 600, fill=1)
    page.save()

    with pytest.raises(UnsupportedFile) as caught:
        read(path, vocabulary, settings)

    message = str(caught.value)
    assert "« scan.pdf » est un PDF sans texte" in message
    assert "Merci d'envoyer le fichier d'origine" in message


def test_encrypted_pdf_is_refused_asking_for_a_version_without_password(
    tmp_path, vocabulary, settings
):
    source = CORPUS / "haiti-cholera.pdf"
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt("secret")
    path = tmp_path / "protégé.pdf"
    with path.open("wb") as stream:
        writer.write(stream)

    with pytest.raises(EncryptedFile, match=r"« protégé\.pdf » est protégé par un"):
        read(path, vocabulary, settings)


def test_encrypted_word_document_is_refused_with_word_advice(
    tmp_path, vocabulary, settings
):
    plain = word_sheet(tmp_path / "plain.docx", "Projet", [("Pays", "Mali")])
    path = tmp_path / "fiche.docx"
    with plain.open("rb") as source, path.open("wb") as target:
        encrypted = io.BytesIO()
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", encrypted)
        target.write(encrypted.getvalue())

    with pytest.raises(EncryptedFile) as caught:
        read(path, vocabulary, settings)

    assert "« fiche.docx » est protégé par un mot de passe" in str(caught.value)
    assert "dans Word" in str(caught.value)


def test_legacy_word_document_is_refused_asking_for_docx(
    tmp_path, vocabulary, settings
):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice Writer is needed: see scripts/debian-packages.txt")
    source = word_sheet(tmp_path / "ancien.docx", "Projet", [("Pays", "Mali")])
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path / "out"),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    path = tmp_path / "out" / "ancien.doc"

    with pytest.raises(UnsupportedFile) as caught:
        read(path, vocabulary, settings)

    assert "format Word ancien (.doc)" in str(caught.value)
    assert "(.docx)" in str(caught.value)


def test_document_without_any_title_is_refused_saying_what_to_add(vocabulary, settings):
    result = read_text_submission(
        "Bonjour,\n\nPays : Mali\n\nCordialement,",
        file_name="m.txt",
        vocabulary=vocabulary,
        settings=settings,
    )

    assert result.record is None
    assert "Ajoutez une ligne « Titre : … »" in (result.refusal or "")


# The pipeline: report, versions, command line


def test_report_lists_each_field_with_the_quoted_passage(ingestor, tmp_path):
    path = tmp_path / "fiche.txt"
    path.write_text(
        "Titre : Dépistage du cancer du col à Dakar\nPays : Sénégal\n\n"
        "Le projet est mené avec l'Institut Pasteur de Dakar de 2025 à 2027.\n",
        encoding="utf-8",
    )

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    text = report.to_text()
    assert report.outcome == "accepted"
    assert "Ce qui a été compris du document" in text
    assert "pays : SN — d'après « Pays : Sénégal » (ligne 2, étiquette)" in text
    assert "partenaires : Institut Pasteur de Dakar (SN) — d'après « Le projet" in text
    assert "début : 2025-01-01" in text


def test_refused_document_is_rejected_with_its_reason_and_stores_nothing(
    ingestor, tmp_path
):
    path = tmp_path / "message.txt"
    path.write_text("Bonjour,\n\nPays : Mali\n\nCordialement,", encoding="utf-8")

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    assert report.outcome == "rejected"
    assert "Aucun titre de projet" in (report.reason or "")
    assert merged_projects(ingestor.warehouse, TODAY) == []


def test_new_version_of_the_same_document_replaces_the_project(ingestor, tmp_path):
    first = word_sheet(
        tmp_path / "Fiche PALU v1.docx", "x", [("Titre", "PALU"), ("Pays", "Mali")]
    )
    ingestor.ingest(first, actor="chu-lyon", source="test")
    second = word_sheet(
        tmp_path / "Fiche PALU v2.docx",
        "x",
        [("Titre", "PALU – paludisme au Sahel"), ("Pays", "Mali, Niger")],
    )

    ingestor.ingest(second, actor="chu-lyon", source="test")

    projects = merged_projects(ingestor.warehouse, TODAY)
    assert [p["title"] for p in projects] == ["PALU – paludisme au Sahel"]
    assert projects[0]["countries"] == ["ML", "NE"]


def test_renamed_document_with_the_same_title_replaces_the_earlier_version(
    ingestor, tmp_path
):
    pairs = [("Titre", "Télésanté au Tchad"), ("Pays", "Tchad")]
    ingestor.ingest(word_sheet(tmp_path / "a.docx", "x", pairs), actor="chu-lyon",
                    source="test")  # fmt: skip
    ingestor.ingest(
        word_sheet(
            tmp_path / "note pour la DGS.docx", "x", [*pairs, ("Début", "2025")]
        ),
        actor="chu-lyon",
        source="test",
    )
    third = word_sheet(tmp_path / "b.docx", "x", [*pairs, ("Début", "2026")])

    ingestor.ingest(third, actor="chu-lyon", source="test")

    projects = merged_projects(ingestor.warehouse, TODAY)
    assert len(projects) == 1
    assert projects[0]["start_date"] == "2026-01-01"
    history = ingestor.warehouse.record_history(projects[0]["id"])
    assert [row["withdrawn_by"] is None for row in history] == [False, False, True]


def test_two_documents_with_different_titles_are_two_projects(ingestor, tmp_path):
    for name, title in (("a.docx", "Projet Mali"), ("b.docx", "Projet Niger")):
        path = word_sheet(tmp_path / name, "x", [("Titre", title)])
        ingestor.ingest(path, actor="chu-lyon", source="test")

    titles = sorted(p["title"] for p in merged_projects(ingestor.warehouse, TODAY))
    assert titles == ["Projet Mali", "Projet Niger"]


def test_tab_separated_text_file_is_still_read_as_a_table(ingestor, tmp_path):
    path = tmp_path / "liste.txt"
    path.write_text("Titre\tPays\nProjet A\tMali\nProjet B\tNiger\n", encoding="utf-8")

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    assert len(report.projects) == 2
    assert report.evidence == []


def test_cli_ingests_a_folder_of_documents_and_exports_them_like_workbooks(
    tmp_path,
):
    config = write_settings(tmp_path)
    inbox = tmp_path / "inbox"
    (inbox / "inserm").mkdir(parents=True)
    (inbox / "chu-lyon").mkdir()
    for name in (
        "fiche-paluclim.docx",
        "note-dengue-cambodge.odt",
        "haiti-cholera.pdf",
        "note-togo.rtf",
        "sante-numerique-inde.md",
        "projet-hepatites.txt",
    ):
        shutil.copy(CORPUS / name, inbox / "inserm" / name)
    make_workbook(
        inbox / "chu-lyon" / "projets.xlsx",
        [["Titre", "Pays"], ["Jumelage avec Hanoï", "Vietnam"]],
    )
    runner = CliRunner()

    ingested = runner.invoke(main, ["--config", str(config), "ingest", str(inbox)])
    exported = runner.invoke(
        main, ["--config", str(config), "export", "--format", "json"]
    )

    assert ingested.exit_code == 0, ingested.output
    assert "Ce qui a été compris du document" in ingested.output
    projects = json.loads(exported.output)
    by_title = {project["title"]: project for project in projects}
    assert len(projects) == 7
    workbook_fields = set(by_title["Jumelage avec Hanoï"])
    assert all(set(project) == workbook_fields for project in projects)
    paluclim = by_title["PALUCLIM – Paludisme et variabilité climatique au Sahel"]
    assert paluclim["countries"] == ["ML", "BF"]
    assert paluclim["reported_by"] == ["inserm"]
    assert by_title["Eau, assainissement et prévention du choléra en Haïti"][
        "domains"
    ] == ["environnement", "veille-sanitaire"]


def test_confidential_document_is_left_out_of_the_public_export(ingestor):
    path = CORPUS / "projet-cohorte-vih-cameroun.docx"

    ingestor.ingest(path, actor="inserm", source="test")

    projects = merged_projects(ingestor.warehouse, TODAY)
    assert projects[0]["confidential"] is True
    assert visible_projects(projects, "public") == []
    assert len(visible_projects(projects, "restricted")) == 1


def test_reindex_gives_the_same_warehouse_for_documents(tmp_path):
    settings = load_settings(write_settings(tmp_path))
    ingestor = Ingestor(settings)
    for name in ("fiche-paluclim.docx", "note-togo.rtf", "haiti-cholera.pdf"):
        ingestor.ingest(CORPUS / name, actor="inserm", source="test")
    before = ingestor.warehouse.dump()

    ingestor.reindex()

    assert ingestor.warehouse.dump() == before
    ingestor.warehouse.close()

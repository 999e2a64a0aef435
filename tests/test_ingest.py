"""The pipeline from a received workbook to stored projects and a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.archive import file_sha256
from bot.ingest import Ingestor, read_and_understand
from bot.projects import merged_projects

from .conftest import TODAY

HEADER = [
    "Réf.",
    "Intitulé du projet",
    "Pays partenaire(s)",
    "Partenaires étrangers",
    "Domaine",
    "Date de début",
    "Date de fin",
    "Budget (confidentiel)",
    "Contact",
    "Confidentiel ?",
    "Commentaire interne",
]


def lyon_rows() -> list[list[object]]:
    return [
        HEADER,
        [
            "HCL-01",
            "Lutte contre la tuberculose à Dakar",
            "Sénégal",
            "Université Cheikh Anta Diop (Sénégal); OMS",
            "Recherche clinique et formation",
            dt.date(2025, 3, 1),
            "12/2027",
            "150 000 €",
            "jean.dupont@chu-lyon.fr",
            "non",
            "suivi par la DRI",
        ],
        [
            "HCL-02",
            "Télémédecine en Côte d'Ivoire",
            "Cote d'Ivoire",
            "CHU de Treichville",
            "e-santé",
            "mars 2027",
            "2029",
            "",
            "",
            "oui",
            "",
        ],
        [
            "HCL-03",
            "",
            "Mali",
            "",
            "Soins",
            "2024",
            "2026",
            "",
            "",
            "non",
            "",
        ],
        [
            "HCL-04",
            "Veille épidémiologique au Vietnam",
            "Viet Nam, Cambodge",
            "Institut Pasteur de Ho Chi Minh-Ville",
            "veille sanitaire",
            "S1 2025",
            "peut-être",
            "",
            "",
            "à voir",
            "",
        ],
    ]


def test_workbook_with_title_rows_becomes_located_projects(ingestor, workbook_factory):
    path = workbook_factory(
        "Coopérations 2025.xlsx", lyon_rows(), title_rows=["HCL – Coopérations"]
    )

    result = ingestor.ingest(path, actor="chu-lyon", source="test")

    report = result.report
    assert report.outcome == "partial"
    assert [p["title"] for p in report.projects] == [
        "Lutte contre la tuberculose à Dakar",
        "Télémédecine en Côte d'Ivoire",
        "Veille épidémiologique au Vietnam",
    ]
    assert report.projects[0]["location"] == "Projets!A4"
    assert report.rejected_rows == [
        {
            "location": "Projets!A6",
            "reason": "titre du projet manquant : la ligne n'est pas enregistrée. "
            "Ajoutez un intitulé dans la colonne du titre.",
        }
    ]
    assert [c["header"] for c in report.unmapped_columns] == ["Commentaire interne"]


def test_values_are_understood_into_canonical_fields(ingestor, workbook_factory):
    path = workbook_factory("projets.xlsx", lyon_rows())

    ingestor.ingest(path, actor="chu-lyon", source="test")
    projects = {p["title"]: p for p in merged_projects(ingestor.warehouse, TODAY)}

    dakar = projects["Lutte contre la tuberculose à Dakar"]
    assert dakar["countries"] == ["SN"]
    assert dakar["partners"][0] == {
        "name": "Université Cheikh Anta Diop",
        "country": "SN",
    }
    assert dakar["partners"][1]["name"] == "Organisation mondiale de la santé"
    assert dakar["domains"] == ["recherche-clinique", "formation"]
    assert (dakar["start_date"], dakar["end_date"]) == ("2025-03-01", "2027-12-31")
    assert dakar["status"] == "ongoing"
    assert dakar["funding"] == 150000
    assert dakar["french_actors"] == ["Hospices Civils de Lyon"]
    assert dakar["reported_by"] == ["chu-lyon"]
    assert dakar["extra"] == {"Commentaire interne": "suivi par la DRI"}
    assert dakar["confidential_fields"] == [
        "contact",
        "extra.Commentaire interne",
        "funding",
    ]

    ivory = projects["Télémédecine en Côte d'Ivoire"]
    assert ivory["countries"] == ["CI"]
    assert ivory["domains"] == ["numerique"]
    assert ivory["status"] == "planned"
    assert ivory["confidential"] is True

    vietnam = projects["Veille épidémiologique au Vietnam"]
    assert vietnam["countries"] == ["VN", "KH"]
    assert vietnam["end_date"] is None


def test_unclear_cells_are_reported_where_they_sit(ingestor, workbook_factory):
    path = workbook_factory("projets.xlsx", lyon_rows())

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    problems = {p.ref and str(p.ref): p for p in report.problems}
    assert problems["Projets!G5"].value == "peut-être"
    assert "Date non comprise" in problems["Projets!G5"].message
    # An unreadable confidentiality answer fails closed.
    assert "traité comme confidentiel" in problems["Projets!J5"].message
    text = report.to_text()
    assert "Projets!G5 — valeur « peut-être » : Date non comprise" in text
    assert "Colonnes non reconnues" in text and "« Commentaire interne »" in text


def test_unreadable_confidentiality_answer_makes_the_project_confidential(
    ingestor, workbook_factory
):
    path = workbook_factory("projets.xlsx", lyon_rows())

    ingestor.ingest(path, actor="chu-lyon", source="test")
    projects = {p["title"]: p for p in merged_projects(ingestor.warehouse, TODAY)}

    assert projects["Veille épidémiologique au Vietnam"]["confidential"] is True
    assert projects["Lutte contre la tuberculose à Dakar"]["confidential"] is False


def test_file_is_archived_before_it_is_read(ingestor, tmp_path):
    path = tmp_path / "Coopérations.xlsx"
    path.write_bytes(b"%PDF-1.7 this is not a workbook")

    result = ingestor.ingest(path, actor="chu-lyon", source="test")

    archived = ingestor.archive.object_path(file_sha256(path))
    assert archived.read_bytes() == path.read_bytes()
    assert result.receipt.file_name == "Coopérations.xlsx"
    assert result.report.outcome == "unreadable"
    assert "Coopérations.xlsx" in result.report.reason


def test_unreadable_file_leaves_the_warehouse_as_it_was(
    ingestor, workbook_factory, tmp_path
):
    good = workbook_factory("projets.xlsx", lyon_rows())
    ingestor.ingest(good, actor="chu-lyon", source="test")
    before = merged_projects(ingestor.warehouse, TODAY)

    broken = tmp_path / "projets v2.xlsx"
    broken.write_bytes(good.read_bytes()[:500])
    result = ingestor.ingest(broken, actor="chu-lyon", source="test")

    assert result.report.outcome == "unreadable"
    assert merged_projects(ingestor.warehouse, TODAY) == before
    outcomes = [row["outcome"] for row in ingestor.warehouse.submissions()]
    assert outcomes == ["partial", "unreadable"]


def test_same_file_twice_is_a_duplicate_that_changes_nothing(
    ingestor, workbook_factory
):
    path = workbook_factory("projets.xlsx", lyon_rows())
    ingestor.ingest(path, actor="chu-lyon", source="test")
    before = ingestor.warehouse.current_records()

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    assert report.outcome == "duplicate"
    assert "déjà été reçu" in report.to_text()
    assert ingestor.warehouse.current_records() == before


def test_workbook_without_any_project_table_is_rejected_with_a_reason(
    ingestor, workbook_factory
):
    path = workbook_factory("notes.xlsx", [["Bonjour"], ["Voici nos idées"]])

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    assert report.outcome == "rejected"
    assert "Aucun tableau de projets" in report.reason
    assert "notes.xlsx" in report.reason


def test_unknown_actor_is_created_from_its_slug(ingestor, workbook_factory):
    path = workbook_factory("projets.xlsx", lyon_rows())

    ingestor.ingest(path, actor="ong-sante-sud", source="test")

    names = ingestor.warehouse.actor_names()
    assert names["ong-sante-sud"] == "ong-sante-sud"


def test_report_is_stored_with_the_submission(ingestor, workbook_factory):
    path = workbook_factory("projets.xlsx", lyon_rows())

    result = ingestor.ingest(path, actor="chu-lyon", source="test")

    stored = ingestor.warehouse.submission_report(result.submission_id)
    assert stored["counts"]["projects"] == 3
    assert stored["counts"]["rejected_rows"] == 1
    assert stored["changes"]["added"] == [p["id"] for p in result.report.projects]


def test_rows_repeating_a_project_per_country_are_merged(ingestor, workbook_factory):
    rows = [
        ["Titre", "Pays"],
        ["Réseau régional de laboratoires", "Sénégal"],
        ["Réseau régional de laboratoires", "Mali"],
    ]
    path = workbook_factory("projets.xlsx", rows)

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report
    projects = merged_projects(ingestor.warehouse, TODAY)

    assert len(projects) == 1
    assert projects[0]["countries"] == ["SN", "ML"]
    assert any("fusionnées" in p.message for p in report.problems)


def test_ingestor_reads_csv_from_the_archive(ingestor, tmp_path: Path):
    path = tmp_path / "projets.csv"
    path.write_bytes(
        "Titre;Pays;Période\nVaccination au Bénin;Bénin;2025-2027\n".encode("cp1252")
    )

    ingestor.ingest(path, actor="chu-lyon", source="test")

    [project] = merged_projects(ingestor.warehouse, TODAY)
    assert project["countries"] == ["BJ"]
    assert (project["start_date"], project["end_date"]) == ("2025-01-01", "2027-12-31")


def test_settings_reach_the_pipeline(settings):
    ingestor = Ingestor(settings)
    try:
        assert ingestor.warehouse.path == settings.warehouse
        assert settings.warehouse.parent.name == "var"
    finally:
        ingestor.warehouse.close()


def test_disease_in_domain_column_becomes_a_keyword(ingestor, workbook_factory):
    rows = [
        ["Titre", "Thématique"],
        ["Paludisme chez l'enfant", "VIH/sida"],
        ["Essai vaccinal", "Recherche clinique; paludisme"],
    ]
    path = workbook_factory("projets.xlsx", rows)

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report
    projects = {p["title"]: p for p in merged_projects(ingestor.warehouse, TODAY)}

    assert projects["Paludisme chez l'enfant"]["domains"] == []
    assert projects["Paludisme chez l'enfant"]["keywords"] == ["vih"]
    assert projects["Essai vaccinal"]["domains"] == ["recherche-clinique"]
    assert projects["Essai vaccinal"]["keywords"] == ["paludisme"]
    assert [p.severity for p in report.problems] == ["info"]


def test_actor_known_as_an_organisation_gets_its_name(ingestor, workbook_factory):
    path = workbook_factory("projets.xlsx", [["Titre", "Pays"], ["Dengue", "Laos"]])

    ingestor.ingest(path, actor="inserm", source="test")

    [project] = merged_projects(ingestor.warehouse, TODAY)
    assert project["french_actors"] == ["Inserm"]


def test_ambiguous_congo_is_understood_and_the_other_reading_suggested(
    ingestor, workbook_factory
):
    rows = [["Titre", "Pays"], ["Hôpital de Pointe-Noire", "Congo"]]
    path = workbook_factory("projets.xlsx", rows)

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report

    [project] = merged_projects(ingestor.warehouse, TODAY)
    assert project["countries"] == ["CG"]
    [problem] = report.problems
    assert str(problem.ref) == "Projets!B2"
    assert problem.suggestion == (
        "Si vous pensiez à « République démocratique du Congo », écrivez « RDC »."
    )


def test_repeated_cell_text_is_reported_at_each_of_its_cells(
    ingestor, workbook_factory
):
    rows = [
        ["Titre", "Pays", "Partenaires"],
        ["Projet A", "Sengal; Atlantide", "Institut Pasteur de Dakar"],
        ["Projet B", "Sengal; Atlantide", "Institut Pasteur de Dakar"],
    ]
    path = workbook_factory("projets.xlsx", rows)

    report = ingestor.ingest(path, actor="chu-lyon", source="test").report
    projects = merged_projects(ingestor.warehouse, TODAY)

    located = sorted((str(p.ref), p.message[:30]) for p in report.problems)
    assert located == [
        ("Projets!B2", "Pays « Atlantide » non reconnu"),
        ("Projets!B2", "Pays « Sengal » compris par ap"),
        ("Projets!B3", "Pays « Atlantide » non reconnu"),
        ("Projets!B3", "Pays « Sengal » compris par ap"),
    ]
    assert [p["countries"] for p in projects] == [["SN"], ["SN"]]


def test_rows_with_the_same_partner_text_get_their_own_partner_records(
    ingestor, workbook_factory
):
    rows = [
        ["Titre", "Pays", "Partenaires"],
        ["Projet A", "Sénégal", "Hôpital régional"],
        ["Projet B", "Mali", "Hôpital régional"],
    ]
    path = workbook_factory("projets.xlsx", rows)

    _, understanding = read_and_understand(
        path, path.name, ingestor.vocabulary, ingestor.settings
    )

    # The partner gets each row's only country: one record must not leak into
    # the other through the text read once for both.
    first, second = (r.fields["partners"] for r in understanding.records)
    assert first == [{"name": "Hôpital régional", "country": "SN"}]
    assert second == [{"name": "Hôpital régional", "country": "ML"}]

"""Updates: newer versions replace an actor's projects; ids are stable; sharing."""

from __future__ import annotations

from bot.projects import merged_projects

from .conftest import TODAY

HEADER = ["Référence", "Titre", "Pays"]


def current_titles(ingestor) -> list[str]:
    return sorted(p["title"] for p in merged_projects(ingestor.warehouse, TODAY))


def test_newer_workbook_from_same_actor_withdraws_missing_projects(
    ingestor, workbook_factory
):
    first = workbook_factory(
        "Projets 2025.xlsx",
        [HEADER, ["A1", "Paludisme au Bénin", "Bénin"], ["A2", "VIH au Togo", "Togo"]],
    )
    second = workbook_factory(
        "projets_2026_v2.xlsx", [HEADER, ["A1", "Paludisme au Bénin", "Bénin"]]
    )

    ingestor.ingest(first, actor="chu-lyon", source="test")
    report = ingestor.ingest(second, actor="chu-lyon", source="test").report

    assert current_titles(ingestor) == ["Paludisme au Bénin"]
    assert report.changes["withdrawn"] == ["vih-au-togo"]
    assert report.changes["updated"] == ["paludisme-au-benin"]
    # Withdrawn projects stay in history.
    history = ingestor.warehouse.record_history("vih-au-togo")
    assert [row["withdrawn_by"] is not None for row in history] == [True]


def test_project_keeps_its_id_when_its_title_changes_under_the_same_reference(
    ingestor, workbook_factory
):
    first = workbook_factory("projets.xlsx", [HEADER, ["R-7", "Dépistage", "Mali"]])
    second = workbook_factory(
        "projets v2.xlsx", [HEADER, ["R-7", "Dépistage du cancer du col", "Mali"]]
    )

    ingestor.ingest(first, actor="chu-lyon", source="test")
    ingestor.ingest(second, actor="chu-lyon", source="test")

    [project] = merged_projects(ingestor.warehouse, TODAY)
    assert project["id"] == "depistage"
    assert project["title"] == "Dépistage du cancer du col"


def test_project_without_reference_keeps_its_id_by_normalised_title(
    ingestor, workbook_factory
):
    first = workbook_factory(
        "projets.xlsx", [["Titre", "Pays"], ["Santé mentale", "Liban"]]
    )
    second = workbook_factory(
        "projets v2.xlsx", [["Titre", "Pays"], ["SANTE  MENTALE", "Liban; Jordanie"]]
    )

    ingestor.ingest(first, actor="chu-lyon", source="test")
    ingestor.ingest(second, actor="chu-lyon", source="test")

    [project] = merged_projects(ingestor.warehouse, TODAY)
    assert project["id"] == "sante-mentale"
    assert project["countries"] == ["LB", "JO"]


def test_project_reported_by_two_actors_is_merged_not_overwritten(
    ingestor, workbook_factory
):
    lyon = workbook_factory(
        "lyon.xlsx",
        [["Titre", "Pays", "Partenaires"], ["Tuberculose Dakar", "Sénégal", "UCAD"]],
    )
    inserm = workbook_factory(
        "inserm.xlsx",
        [
            ["Project title", "Country", "Partner institutions"],
            ["Tuberculose  Dakar", "Senegal; Gambia", "Institut Pasteur de Dakar"],
        ],
    )

    ingestor.ingest(lyon, actor="chu-lyon", source="test")
    ingestor.ingest(inserm, actor="inserm", source="test")

    [project] = merged_projects(ingestor.warehouse, TODAY)
    assert project["reported_by"] == ["chu-lyon", "inserm"]
    assert project["countries"] == ["SN", "GM"]
    assert [p["name"] for p in project["partners"]] == [
        "Université Cheikh Anta Diop",
        "Institut Pasteur de Dakar",
    ]

    # The second actor's next version leaves the first actor's record alone.
    inserm_v2 = workbook_factory(
        "inserm v2.xlsx", [["Project title", "Country"], ["Autre projet", "Gambia"]]
    )
    ingestor.ingest(inserm_v2, actor="inserm", source="test")
    shared = {p["title"]: p for p in merged_projects(ingestor.warehouse, TODAY)}
    assert shared["Tuberculose Dakar"]["reported_by"] == ["chu-lyon"]
    assert shared["Tuberculose Dakar"]["countries"] == ["SN"]


def test_row_rejected_in_new_version_keeps_the_previous_record(
    ingestor, workbook_factory
):
    first = workbook_factory(
        "projets.xlsx", [HEADER, ["A1", "Paludisme", "Bénin"], ["A2", "VIH", "Togo"]]
    )
    # The title of A2 was erased by mistake in the new version.
    second = workbook_factory(
        "projets v2.xlsx", [HEADER, ["A1", "Paludisme", "Bénin"], ["A2", "", "Togo"]]
    )

    ingestor.ingest(first, actor="chu-lyon", source="test")
    report = ingestor.ingest(second, actor="chu-lyon", source="test").report

    assert report.outcome == "partial"
    assert report.changes["kept"] == ["vih"]
    assert current_titles(ingestor) == ["Paludisme", "VIH"]


def test_different_files_of_one_actor_are_versioned_separately(
    ingestor, workbook_factory
):
    africa = workbook_factory(
        "afrique.xlsx", [["Titre", "Pays"], ["Paludisme", "Bénin"]]
    )
    asia = workbook_factory("asie.xlsx", [["Titre", "Pays"], ["Dengue", "Laos"]])

    ingestor.ingest(africa, actor="chu-lyon", source="test")
    ingestor.ingest(asia, actor="chu-lyon", source="test")

    assert current_titles(ingestor) == ["Dengue", "Paludisme"]


def test_emptied_workbook_withdraws_every_project_of_that_file(
    ingestor, workbook_factory
):
    first = workbook_factory(
        "projets.xlsx", [["Titre", "Pays"], ["Paludisme", "Bénin"]]
    )
    empty = workbook_factory("projets v2.xlsx", [["Titre", "Pays"]])

    ingestor.ingest(first, actor="chu-lyon", source="test")
    report = ingestor.ingest(empty, actor="chu-lyon", source="test").report

    assert report.outcome == "empty"
    assert current_titles(ingestor) == []

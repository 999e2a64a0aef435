"""Exports: visibility, canonical fields, spreadsheet formula neutralisation."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
from click.testing import CliRunner

from bot.cli import main
from bot.model import PROJECT_FIELDS
from bot.projects import merged_projects, visible_projects
from render.exports import to_csv, write_xlsx

from .conftest import TODAY

ROWS = [
    ["Titre", "Pays", "Budget", "Contact", "Confidentiel", "Notes (confidentiel)"],
    ["Projet public", "Bénin", "10 000 €", "a@b.fr", "non", "note secrète"],
    ["Projet secret", "Togo", "", "", "oui", ""],
    ["@SUM(1+1)*cmd|' /C calc'!A0", "Mali", "", "", "", ""],
]


def ingest_rows(ingestor, workbook_factory):
    path = workbook_factory("projets.xlsx", ROWS)
    ingestor.ingest(path, actor="chu-lyon", source="test")
    return merged_projects(ingestor.warehouse, TODAY)


def test_public_view_leaves_out_confidential_projects_and_fields(
    ingestor, workbook_factory
):
    projects = ingest_rows(ingestor, workbook_factory)

    public = {p["title"]: p for p in visible_projects(projects, "public")}
    restricted = {p["title"]: p for p in visible_projects(projects, "restricted")}

    assert "Projet secret" not in public
    assert "Projet secret" in restricted
    assert public["Projet public"]["funding"] is None
    assert public["Projet public"]["contact"] is None
    assert public["Projet public"]["extra"] == {}
    assert restricted["Projet public"]["funding"] == 10000
    assert restricted["Projet public"]["extra"] == {
        "Notes (confidentiel)": "note secrète"
    }
    assert "note secrète" not in json.dumps(list(public.values()), ensure_ascii=False)


def test_csv_export_neutralises_formulas(ingestor, workbook_factory):
    projects = ingest_rows(ingestor, workbook_factory)

    rows = list(csv.DictReader(io.StringIO(to_csv(projects))))

    titles = [row["title"] for row in rows]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in titles
    assert list(rows[0]) == list(PROJECT_FIELDS)


def test_xlsx_export_holds_no_formula(ingestor, workbook_factory, tmp_path):
    projects = ingest_rows(ingestor, workbook_factory)
    target = tmp_path / "export.xlsx"

    write_xlsx(projects, target)

    sheet = openpyxl.load_workbook(target).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in [cell.value for cell in cells]


def test_cli_export_json_is_public_unless_asked(settings, workbook_factory, tmp_path):
    path = workbook_factory("projets.xlsx", ROWS)
    config = ["--config", str(settings.path)]
    runner = CliRunner()

    ingested = runner.invoke(
        main, [*config, "ingest", str(path), "--actor", "chu-lyon"]
    )
    public = runner.invoke(main, [*config, "export", "--format", "json"])
    everything = runner.invoke(
        main, [*config, "export", "--format", "json", "--include-confidential"]
    )

    assert ingested.exit_code == 0, ingested.output
    assert "Projets retenus : 3" in ingested.output
    public_titles = [p["title"] for p in json.loads(public.output)]
    all_titles = [p["title"] for p in json.loads(everything.output)]
    assert "Projet secret" not in public_titles
    assert "Projet secret" in all_titles
    assert set(json.loads(public.output)[0]) == set(PROJECT_FIELDS)


def test_cli_lists_submissions_with_their_outcome(settings, workbook_factory):
    path = workbook_factory("projets.xlsx", ROWS)
    config = ["--config", str(settings.path)]
    runner = CliRunner()
    runner.invoke(main, [*config, "ingest", str(path), "--actor", "chu-lyon"])

    listing = runner.invoke(main, [*config, "submissions", "--json"])

    [submission] = json.loads(listing.output)
    assert submission["outcome"] == "accepted"
    assert submission["file_name"] == "projets.xlsx"
    assert submission["accepted"] == 3


def test_cli_ingest_needs_an_actor_for_a_lone_file(settings, workbook_factory):
    path = workbook_factory("projets.xlsx", ROWS)

    result = CliRunner().invoke(
        main, ["--config", str(settings.path), "ingest", str(path)]
    )

    assert result.exit_code == 2
    assert "give --actor SLUG" in result.output


def test_cli_reports_every_configuration_mistake(tmp_path):
    config = tmp_path / "inbox_rules.yaml"
    config.write_text("warehouse: 3\nlimits: {max_rows: x}\n")

    result = CliRunner().invoke(main, ["--config", str(config), "submissions"])

    assert result.exit_code == 1
    assert "warehouse: must be a non-empty text" in result.output
    assert "limits.max_rows: must be a number" in result.output


def test_unrecognised_column_is_kept_but_not_published_by_default(
    ingestor, workbook_factory
):
    rows = [["Titre", "Pays", "Commentaire interne"], ["Projet", "Bénin", "à relancer"]]
    ingestor.ingest(workbook_factory("p.xlsx", rows), actor="chu-lyon", source="t")
    projects = merged_projects(ingestor.warehouse, TODAY)

    [public] = visible_projects(projects, "public")
    [restricted] = visible_projects(projects, "restricted")

    assert public["extra"] == {}
    assert restricted["extra"] == {"Commentaire interne": "à relancer"}


def test_settings_may_publish_unrecognised_columns(tmp_path, workbook_factory):
    from bot.config import load_settings
    from bot.ingest import Ingestor

    from .conftest import write_settings

    path = write_settings(tmp_path, "confidentiality:\n  always_confidential: []\n")
    ingestor = Ingestor(load_settings(path))
    rows = [["Titre", "Pays", "Observations"], ["Projet", "Bénin", "en cours"]]
    ingestor.ingest(workbook_factory("p.xlsx", rows), actor="chu-lyon", source="t")
    projects = merged_projects(ingestor.warehouse, TODAY)
    ingestor.warehouse.close()

    [public] = visible_projects(projects, "public")
    assert public["extra"] == {"Observations": "en cours"}

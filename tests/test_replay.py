"""A change to the synonyms is applied to every past submission by the bot."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bot.config import load_settings
from bot.warehouse import Warehouse

from .conftest import REPOSITORY
from .test_scheduler import running_bot, wait_for


def write_bot_settings(folder: Path) -> Path:
    """Settings with a private copy of the synonyms, which the test edits."""
    shutil.copytree(REPOSITORY / "synonyms", folder / "synonyms")
    (folder / "inbox").mkdir()
    path = folder / "inbox_rules.yaml"
    path.write_text(
        "folders:\n  - path: inbox\n    stable_seconds: 0.3\n", encoding="utf-8"
    )
    Warehouse(load_settings(path).warehouse).close()
    return path


def countries_by_title(settings_path: Path) -> dict[str, list[str]]:
    with Warehouse(load_settings(settings_path).warehouse) as warehouse:
        return {
            record["data"]["title"]: record["data"].get("countries", [])
            for record in warehouse.current_records()
        }


def test_new_header_synonym_is_applied_to_past_submissions(
    tmp_path: Path, workbook_factory
):
    settings_path = write_bot_settings(tmp_path)
    settings = load_settings(settings_path)
    workbook = workbook_factory(
        "projets.xlsx",
        [
            ["Titre", "Partenaires", "Terrain"],
            ["Vaccination à Dakar", "OMS", "Sénégal"],
        ],
    )

    with running_bot(settings):
        time.sleep(0.5)
        (tmp_path / "inbox" / "chu-lyon").mkdir()
        shutil.copy(workbook, tmp_path / "inbox" / "chu-lyon" / "projets.xlsx")

        def ingested() -> bool:
            """the project is in the warehouse"""
            return "Vaccination à Dakar" in countries_by_title(settings_path)

        wait_for(ingested)
        # Without the synonym the "Terrain" column is kept aside, unread.
        assert countries_by_title(settings_path)["Vaccination à Dakar"] == []

        # An administrator teaches Dr Cooper this contributor's column name.
        headers = tmp_path / "synonyms" / "headers.yaml"
        text = headers.read_text(encoding="utf-8")
        headers.write_text(
            text.replace("  countries:\n", "  countries:\n    - Terrain\n", 1),
            encoding="utf-8",
        )

        def replayed() -> bool:
            """the past submission was read again with the new synonym"""
            return countries_by_title(settings_path)["Vaccination à Dakar"] == ["SN"]

        wait_for(replayed, timeout=30)


def test_broken_dictionary_keeps_the_previous_one(tmp_path: Path, caplog):
    from bot.ingest import Ingestor
    from bot.replay import replay_with_new_synonyms

    settings = load_settings(write_bot_settings(tmp_path))
    ingestor = Ingestor(settings)
    previous = ingestor.vocabulary
    (tmp_path / "synonyms" / "headers.yaml").write_text("fields: [\n")

    try:
        assert replay_with_new_synonyms(ingestor) is False
    finally:
        ingestor.warehouse.close()

    assert ingestor.vocabulary is previous
    assert "the previous dictionaries stay in use" in caplog.text

"""The example inbox, as `make demo` runs it: ingested, then both sites built."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import load_settings
from bot.scheduler import run_bot
from bot.warehouse import Warehouse
from render.build import build_site

from .conftest import REPOSITORY, TODAY


def test_example_inbox_is_ingested_and_both_sites_are_published(tmp_path: Path):
    # The shipped settings, with the example inbox and var/ copied aside.
    shutil.copytree(REPOSITORY / "examples", tmp_path / "examples")
    shutil.copytree(REPOSITORY / "synonyms", tmp_path / "synonyms")
    shutil.copy(REPOSITORY / "inbox_rules.yaml", tmp_path / "inbox_rules.yaml")
    settings = load_settings(tmp_path / "inbox_rules.yaml")

    run_bot(settings, once=True)
    public = build_site(settings, "public", today=TODAY)
    restricted = build_site(settings, "restricted", today=TODAY)

    with Warehouse(settings.warehouse) as warehouse:
        outcomes = {row["file_name"]: row["outcome"] for row in warehouse.submissions()}
    assert outcomes == {
        "AP-HP cooperations.xlsx": "partial",
        "Coopérations internationales 2025.xlsx": "accepted",
        "Inserm_international_projects_v3.xlsx": "accepted",
        "projets.csv": "accepted",
    }
    assert (public / "index.html").exists()
    assert (restricted / "ministeres" / "index.html").exists()
    assert not (public / "ministeres").exists()

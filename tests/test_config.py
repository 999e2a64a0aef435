"""inbox_rules.yaml: defaults, validation of every key, documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import SETTINGS, load_settings
from bot.exceptions import ConfigError

from .conftest import REPOSITORY


def test_shipped_settings_use_the_example_inbox_and_var_folder():
    settings = load_settings(REPOSITORY / "inbox_rules.yaml")

    assert settings.warehouse == REPOSITORY / "var" / "warehouse.sqlite3"
    assert settings.archive == REPOSITORY / "var" / "archive"
    assert settings.public_build == REPOSITORY / "var" / "public"
    assert settings.restricted_build == REPOSITORY / "var" / "restricted"
    assert settings.folders[0].path == REPOSITORY / "examples" / "inbox"
    assert settings.always_confidential == ("contact", "funding", "extra")


def test_paths_are_relative_to_the_settings_folder(tmp_path: Path):
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "inbox_rules.yaml").write_text("warehouse: data/w.sqlite3\n")

    settings = load_settings(folder / "inbox_rules.yaml")

    assert settings.warehouse == folder / "data" / "w.sqlite3"
    assert settings.archive == folder / "var" / "archive"


def test_every_mistake_is_reported_at_once_with_its_key(tmp_path: Path):
    path = tmp_path / "inbox_rules.yaml"
    path.write_text(
        "warehose: x.sqlite3\n"
        "limits:\n  max_file_mb: beaucoup\n  max_rows: 0\n"
        "confidentiality:\n  always_confidential: [budget]\n"
        "actors:\n  CHU Lyon:\n    name: HCL\n"
        "builds:\n  public: site\n  restricted: site/restricted\n"
        "folders:\n"
        "  - path: inbox\n    actor_from: sender\n    accept: [pptx]\n"
        "  - actor_from: rules\n"
    )

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert caught.value.problems == [
        "warehose: unknown setting",
        "builds: the public and restricted builds must not nest",
        "confidentiality.always_confidential: 'budget' is not a field that can be "
        "confidential",
        "limits.max_file_mb: must be a number, not 'beaucoup'",
        "limits.max_rows: must be at least 1",
        "actors.CHU Lyon: 'CHU Lyon' is not a slug (lowercase letters, digits, -)",
        "folders[0].actor_from: must be `subfolder` or `rules`",
        "folders[0].accept: must be a list among xlsx, xlsm, xlsb, xls, ods, csv, "
        "docx, odt, pdf, rtf, txt, md, doc",
        "folders[1].rules: at least one rule is needed with `rules`",
        "folders[1].path: must be a non-empty text",
    ]


def test_invalid_yaml_is_reported_with_the_file(tmp_path: Path):
    path = tmp_path / "inbox_rules.yaml"
    path.write_text("folders: [\n")

    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_settings(path)


def test_readme_documents_every_setting():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))

    assert set(SETTINGS) <= documented, set(SETTINGS) - documented


def test_shipped_settings_file_uses_only_declared_keys():
    settings = load_settings(REPOSITORY / "inbox_rules.yaml")

    assert settings.actors["aphp"] == "Assistance Publique – Hôpitaux de Paris"

"""The bot's settings, read from `inbox_rules.yaml` and validated at start.

Every key is declared once in `SETTINGS` with its help text; the README
documents each of them and a test checks that it does. Validation collects
every mistake with its key path and raises one `ConfigError` listing them all.
Relative paths are resolved against the folder that holds the settings file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.exceptions import ConfigError
from bot.model import CONTRIBUTED_FIELDS

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FILE_KINDS = ("xlsx", "xlsm", "xlsb", "xls", "ods", "csv")

# Every key of inbox_rules.yaml, with its help text. `[]` marks a list item.
SETTINGS: dict[str, str] = {
    "warehouse": "SQLite file of the warehouse.",
    "archive": "Folder of the content-addressed archive of every received file.",
    "synonyms": "Folder of the synonyms dictionaries (headers, countries, ...).",
    "builds.public": "Output folder of the public build.",
    "builds.restricted": "Output folder of the restricted build.",
    "confidentiality.always_confidential": (
        "Fields that are confidential whatever the contributor says."
    ),
    "limits.max_file_mb": "Largest file accepted, in megabytes.",
    "limits.max_uncompressed_mb": "Largest size a workbook may expand to, in MB.",
    "limits.max_compression_ratio": "Highest compression ratio of a workbook part.",
    "limits.max_rows": "Most rows read from one file.",
    "schedule.rescan_minutes": "Minutes between two full rescans of the folders.",
    "actors": "Known actors: a map from actor slug to its details.",
    "actors.*.name": "Display name of the actor.",
    "folders": "Shared folders to watch, a list.",
    "folders[].path": "Folder to watch (contributors' files are never moved).",
    "folders[].actor_from": (
        "How a file is attributed: `subfolder` (first sub-folder is the actor "
        "slug) or `rules` (first matching rule)."
    ),
    "folders[].rules": "Ordered attribution rules, used when actor_from is rules.",
    "folders[].rules[].pattern": "Glob on the path relative to the folder.",
    "folders[].rules[].actor": "Actor slug given to a matching file.",
    "folders[].accept": "File kinds taken from this folder.",
    "folders[].stable_seconds": (
        "Seconds a file's size and time must stay unchanged before it is taken."
    ),
}


@dataclass(frozen=True)
class FolderRule:
    pattern: str
    actor: str


@dataclass(frozen=True)
class FolderSource:
    path: Path
    actor_from: str = "subfolder"
    rules: tuple[FolderRule, ...] = ()
    accept: tuple[str, ...] = FILE_KINDS
    stable_seconds: float = 3.0


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 20
    max_uncompressed_mb: float = 200
    max_compression_ratio: float = 100
    max_rows: int = 200_000


@dataclass
class Settings:
    path: Path
    warehouse: Path
    archive: Path
    synonyms: Path
    public_build: Path
    restricted_build: Path
    always_confidential: tuple[str, ...] = ("contact", "funding")
    limits: Limits = field(default_factory=Limits)
    rescan_minutes: float = 5.0
    actors: dict[str, str] = field(default_factory=dict)
    folders: list[FolderSource] = field(default_factory=list)


class _Checker:
    """Collects mistakes with their key paths while reading the YAML tree."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping")
            return {}
        return value

    def unknown_keys(self, value: dict[str, Any], key: str, allowed: set[str]) -> None:
        for name in sorted(set(value) - allowed):
            self.fail(f"{key}.{name}" if key else name, "unknown setting")

    def number(self, value: Any, key: str, default: float, minimum: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, not {value!r}")
            return default
        if value < minimum:
            self.fail(key, f"must be at least {minimum}")
            return default
        return float(value)

    def text(self, value: Any, key: str, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be a non-empty text")
            return default or ""
        return value

    def slug(self, value: Any, key: str) -> str:
        slug = self.text(value, key)
        if slug and not SLUG_PATTERN.match(slug):
            self.fail(key, f"{slug!r} is not a slug (lowercase letters, digits, -)")
        return slug


def _top_level_keys() -> set[str]:
    return {key.split(".")[0].split("[")[0] for key in SETTINGS}


def load_settings(path: Path) -> Settings:
    """Read and validate `inbox_rules.yaml`; raise ConfigError listing every mistake."""
    path = path.resolve()
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(str(path), [f"cannot be read: {err}"]) from err
    except yaml.YAMLError as err:
        raise ConfigError(str(path), [f"is not valid YAML: {err}"]) from err

    check = _Checker()
    tree = check.mapping(tree, "(top level)")
    check.unknown_keys(tree, "", _top_level_keys())
    base = path.parent

    def folder_path(key: str, default: str) -> Path:
        return base / check.text(tree.get(key), key, default)

    builds = check.mapping(tree.get("builds"), "builds")
    check.unknown_keys(builds, "builds", {"public", "restricted"})
    public = base / check.text(builds.get("public"), "builds.public", "var/public")
    restricted = base / check.text(
        builds.get("restricted"), "builds.restricted", "var/restricted"
    )
    if public.resolve().is_relative_to(
        restricted.resolve()
    ) or restricted.resolve().is_relative_to(public.resolve()):
        check.fail("builds", "the public and restricted builds must not nest")

    settings = Settings(
        path=path,
        warehouse=folder_path("warehouse", "var/warehouse.sqlite3"),
        archive=folder_path("archive", "var/archive"),
        synonyms=folder_path("synonyms", "synonyms"),
        public_build=public,
        restricted_build=restricted,
        always_confidential=_read_confidentiality(check, tree),
        limits=_read_limits(check, tree),
        rescan_minutes=_read_schedule(check, tree),
        actors=_read_actors(check, tree),
    )
    settings.folders = _read_folders(check, tree, base, settings.actors)

    if check.problems:
        raise ConfigError(str(path), check.problems)
    return settings


def _read_confidentiality(check: _Checker, tree: dict[str, Any]) -> tuple[str, ...]:
    section = check.mapping(tree.get("confidentiality"), "confidentiality")
    check.unknown_keys(section, "confidentiality", {"always_confidential"})
    names = section.get("always_confidential", ["contact", "funding"])
    key = "confidentiality.always_confidential"
    if not isinstance(names, list):
        check.fail(key, "must be a list of field names")
        return ("contact", "funding")
    for name in names:
        if name not in CONTRIBUTED_FIELDS or name in ("title", "confidential"):
            check.fail(key, f"{name!r} is not a field that can be confidential")
    return tuple(str(name) for name in names)


def _read_limits(check: _Checker, tree: dict[str, Any]) -> Limits:
    section = check.mapping(tree.get("limits"), "limits")
    defaults = Limits()
    check.unknown_keys(section, "limits", set(vars(defaults)))
    values: dict[str, Any] = {
        name: check.number(section.get(name), f"limits.{name}", default, 1)
        for name, default in vars(defaults).items()
    }
    values["max_rows"] = int(values["max_rows"])
    return Limits(**values)


def _read_schedule(check: _Checker, tree: dict[str, Any]) -> float:
    section = check.mapping(tree.get("schedule"), "schedule")
    check.unknown_keys(section, "schedule", {"rescan_minutes"})
    return check.number(
        section.get("rescan_minutes"), "schedule.rescan_minutes", 5, 0.1
    )


def _read_actors(check: _Checker, tree: dict[str, Any]) -> dict[str, str]:
    section = check.mapping(tree.get("actors"), "actors")
    actors: dict[str, str] = {}
    for slug, details in section.items():
        key = f"actors.{slug}"
        check.slug(slug, key)
        details = check.mapping(details, key)
        check.unknown_keys(details, key, {"name"})
        actors[slug] = check.text(details.get("name"), f"{key}.name", slug)
    return actors


def _read_folders(
    check: _Checker, tree: dict[str, Any], base: Path, actors: dict[str, str]
) -> list[FolderSource]:
    entries = tree.get("folders") or []
    if not isinstance(entries, list):
        check.fail("folders", "must be a list")
        return []
    allowed = {"path", "actor_from", "rules", "accept", "stable_seconds"}
    folders = []
    for index, entry in enumerate(entries):
        key = f"folders[{index}]"
        entry = check.mapping(entry, key)
        check.unknown_keys(entry, key, allowed)
        actor_from = entry.get("actor_from", "subfolder")
        if actor_from not in ("subfolder", "rules"):
            check.fail(f"{key}.actor_from", "must be `subfolder` or `rules`")
        rules = _read_folder_rules(check, entry.get("rules"), key, actors)
        if actor_from == "rules" and not rules:
            check.fail(f"{key}.rules", "at least one rule is needed with `rules`")
        accept = entry.get("accept", list(FILE_KINDS))
        if not isinstance(accept, list) or not set(accept) <= set(FILE_KINDS):
            check.fail(f"{key}.accept", f"must be a list among {', '.join(FILE_KINDS)}")
            accept = list(FILE_KINDS)
        folders.append(
            FolderSource(
                path=base / check.text(entry.get("path"), f"{key}.path"),
                actor_from=str(actor_from),
                rules=rules,
                accept=tuple(accept),
                stable_seconds=check.number(
                    entry.get("stable_seconds"), f"{key}.stable_seconds", 3, 0
                ),
            )
        )
    return folders


def _read_folder_rules(
    check: _Checker, entries: Any, key: str, actors: dict[str, str]
) -> tuple[FolderRule, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        check.fail(f"{key}.rules", "must be a list")
        return ()
    rules = []
    for index, entry in enumerate(entries):
        rule_key = f"{key}.rules[{index}]"
        entry = check.mapping(entry, rule_key)
        check.unknown_keys(entry, rule_key, {"pattern", "actor"})
        pattern = check.text(entry.get("pattern"), f"{rule_key}.pattern")
        actor = check.slug(entry.get("actor"), f"{rule_key}.actor")
        rules.append(FolderRule(pattern=pattern, actor=actor))
    return tuple(rules)

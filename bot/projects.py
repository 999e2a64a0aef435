"""The projects as everyone sees them: each actor's current records merged.

A project reported by several actors is the merge of each actor's current
record, never one actor's record overwriting another's. Visibility ("public" or
"restricted") is one parameter of `visible_projects`, the only place where
confidential projects and fields are left out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Literal

from bot.model import LIST_FIELDS, PROJECT_FIELDS
from bot.understand import derive_status
from bot.vocabulary import normalise
from bot.warehouse import Warehouse

Visibility = Literal["public", "restricted"]

# Fields whose latest non-empty value wins when actors disagree.
SCALAR_FIELDS = ("title", "description", "funding", "contact", "url", "status")


def merged_projects(warehouse: Warehouse, today: dt.date) -> list[dict[str, Any]]:
    """Return every current project with all its fields, confidential ones included."""
    records_by_project: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in warehouse.current_records():
        records_by_project[record["project_id"]].append(record)
    projects = [
        _merge(project_id, records, today)
        for project_id, records in records_by_project.items()
    ]
    return sorted(projects, key=lambda project: project["id"])


def _merge(project_id: str, records: list[dict[str, Any]], today: dt.date) -> dict:
    # Records come oldest first, so later values overwrite earlier ones.
    project: dict[str, Any] = dict.fromkeys(PROJECT_FIELDS)
    project.update({name: [] for name in LIST_FIELDS})
    project.update(id=project_id, extra={}, confidential=False)
    confidential_fields: set[str] = set()
    reported_by: dict[str, str] = {}

    for record in records:
        data = record["data"]
        reported_by[record["actor"]] = record["received_at"]
        _extend(project["french_actors"], [record["actor_name"]])
        for name in SCALAR_FIELDS:
            if data.get(name) not in (None, ""):
                project[name] = data[name]
        for name in LIST_FIELDS - {"partners"}:
            _extend(project[name], data.get(name) or [])
        for partner in data.get("partners") or []:
            names = [normalise(p["name"]) for p in project["partners"]]
            if normalise(partner["name"]) not in names:
                project["partners"].append(dict(partner))
        project["start_date"] = _earliest(project["start_date"], data.get("start_date"))
        project["end_date"] = _latest(project["end_date"], data.get("end_date"))
        project["extra"].update(data.get("extra") or {})
        project["confidential"] = project["confidential"] or data.get("confidential")
        confidential_fields |= set(data.get("confidential_fields") or [])

    if not project["status"]:
        project["status"] = derive_status(
            project["start_date"], project["end_date"], today
        )
    project["confidential"] = bool(project["confidential"])
    project["confidential_fields"] = sorted(confidential_fields)
    project["reported_by"] = sorted(reported_by)
    project["updated_at"] = max(reported_by.values())
    return project


def _extend(target: list[Any], values: list[Any]) -> None:
    target.extend(value for value in values if value not in target)


def _earliest(first: str | None, second: str | None) -> str | None:
    return min(filter(None, (first, second)), default=None)


def _latest(first: str | None, second: str | None) -> str | None:
    return max(filter(None, (first, second)), default=None)


def hide_confidential(project: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of a project with every confidential field emptied."""
    shown = dict(project, extra=dict(project["extra"]))
    for name in project["confidential_fields"]:
        if name.startswith("extra."):
            shown["extra"].pop(name.removeprefix("extra."), None)
        elif name in LIST_FIELDS:
            shown[name] = []
        else:
            shown[name] = None
    return shown


def visible_projects(
    projects: list[dict[str, Any]], visibility: Visibility
) -> list[dict[str, Any]]:
    """Return the projects a build of this visibility may show."""
    if visibility == "restricted":
        return projects
    return [hide_confidential(p) for p in projects if not p["confidential"]]

"""The report a contributor gets for each submission, as data and as French text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.model import Problem

OUTCOME_LABELS = {
    "accepted": "accepté",
    "partial": "accepté en partie",
    "rejected": "refusé",
    "unreadable": "illisible",
    "duplicate": "déjà reçu",
    "empty": "aucun projet",
}

SKIPPED_ROW_LABELS = {
    "total": "ligne de total",
    "note": "note",
    "subheading": "intertitre",
    "repeated-header": "en-tête répété",
}

SKIPPED_SHEET_LABELS = {
    "hidden": "feuille masquée",
    "empty": "feuille vide",
    "no-table": "aucun tableau de projets reconnu (en-têtes introuvables)",
}

# French names of the fields, for the evidence of a document.
FIELD_LABELS = {
    "reference": "référence",
    "title": "titre",
    "description": "description",
    "french_actors": "acteurs français",
    "partners": "partenaires",
    "countries": "pays",
    "domains": "domaines",
    "start_date": "début",
    "end_date": "fin",
    "period": "période",
    "status": "statut",
    "funding": "financement",
    "funders": "financeurs",
    "contact": "contact",
    "url": "site web",
    "keywords": "mots-clés",
    "confidential": "confidentiel",
}

CHANGE_LABELS = {
    "added": "nouveaux projets",
    "updated": "projets mis à jour",
    "kept": "projets conservés de la version précédente (ligne en erreur)",
    "withdrawn": "projets retirés (absents de cette version)",
}


@dataclass
class Report:
    """What happened to one submission, for the contributor and the warehouse."""

    file_name: str
    actor: str
    outcome: str = "accepted"
    reason: str | None = None
    projects: list[dict[str, Any]] = field(default_factory=list)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    skipped_rows: list[dict[str, Any]] = field(default_factory=list)
    skipped_sheets: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)
    # For a document: each understood field with the passage it came from.
    evidence: list[dict[str, str]] = field(default_factory=list)

    @property
    def unmapped_columns(self) -> list[dict[str, Any]]:
        return [column for column in self.columns if column["field"] is None]

    @property
    def confidential_projects(self) -> list[dict[str, Any]]:
        return [project for project in self.projects if project["confidential"]]

    def counts(self) -> dict[str, int]:
        return {
            "projects": len(self.projects),
            "rejected_rows": len(self.rejected_rows),
            "skipped_rows": len(self.skipped_rows),
            "skipped_sheets": len(self.skipped_sheets),
            "unmapped_columns": len(self.unmapped_columns),
            "confidential_projects": len(self.confidential_projects),
            "errors": sum(p.severity == "error" for p in self.problems),
            "warnings": sum(p.severity == "warning" for p in self.problems),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "actor": self.actor,
            "outcome": self.outcome,
            "reason": self.reason,
            "counts": self.counts(),
            "projects": self.projects,
            "rejected_rows": self.rejected_rows,
            "skipped_rows": self.skipped_rows,
            "skipped_sheets": self.skipped_sheets,
            "columns": self.columns,
            "problems": [problem.to_dict() for problem in self.problems],
            "changes": self.changes,
            "evidence": self.evidence,
        }

    def to_text(self) -> str:
        """Return the report as plain French text, as mailed to the contributor."""
        lines = [
            f"Fichier « {self.file_name} » (acteur : {self.actor}) : "
            f"{OUTCOME_LABELS.get(self.outcome, self.outcome)}."
        ]
        if self.reason:
            lines += ["", self.reason]
        if self.outcome in ("unreadable", "duplicate"):
            return "\n".join(lines) + "\n"

        counts = self.counts()
        lines += [
            "",
            f"Projets retenus : {counts['projects']}",
            f"Lignes refusées : {counts['rejected_rows']}",
            f"Lignes ignorées (totaux, notes, intertitres) : {counts['skipped_rows']}",
            f"Projets confidentiels : {counts['confidential_projects']}",
            f"Points à vérifier : {len(self.problems)}",
        ]
        lines += _section(
            "Ce qui a été compris du document",
            [
                f"{FIELD_LABELS.get(item['field'], item['field'])} : "
                f"{item['value']} — d'après « {item['passage']} » "
                f"({item['location']}, {item['how']})"
                for item in self.evidence
            ],
        )
        lines += _section(
            "Modifications dans l'entrepôt",
            [
                f"{CHANGE_LABELS[kind]} : {len(ids)}"
                for kind, ids in self.changes.items()
                if ids
            ],
        )
        lines += _section(
            "Lignes refusées",
            [f"{row['location']} : {row['reason']}" for row in self.rejected_rows],
        )
        lines += _section(
            "Points à vérifier", [_problem_line(p) for p in self.problems]
        )
        lines += _section(
            "Colonnes non reconnues (conservées telles quelles)",
            [
                f"{column['location']} « {column['header']} »"
                for column in self.unmapped_columns
            ],
        )
        lines += _section(
            "Confidentialité",
            [
                f"{project['location']} : projet « {project['title']} » confidentiel"
                for project in self.confidential_projects
            ]
            + [
                f"colonne « {column['header']} » ({column['location']}) : "
                "champ confidentiel"
                for column in self.columns
                if column.get("confidential")
            ],
        )
        lines += _section(
            "Lignes ignorées",
            [
                f"{row['location']} ({SKIPPED_ROW_LABELS[row['kind']]}) : "
                f"« {row['text']} »"
                for row in self.skipped_rows
            ],
        )
        lines += _section(
            "Feuilles ignorées",
            [
                f"« {sheet['sheet']} » : {SKIPPED_SHEET_LABELS[sheet['reason']]}"
                for sheet in self.skipped_sheets
            ],
        )
        return "\n".join(lines) + "\n"


def _section(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return ["", f"{title} :", *(f"  - {item}" for item in items)]


def _problem_line(problem: Problem) -> str:
    parts = [str(problem.ref) if problem.ref else "fichier"]
    if problem.value is not None:
        parts.append(f"valeur « {problem.value} »")
    line = f"{' — '.join(parts)} : {problem.message}"
    if problem.understood:
        line += f" Compris : {problem.understood}."
    if problem.suggestion:
        line += f" Suggestion : {problem.suggestion}"
    return line

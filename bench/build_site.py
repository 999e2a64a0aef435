"""Measure building the public and restricted sites, against plain Jinja2 + Pagefind.

Run from the repository root::

    .venv/bin/python bench/build_site.py [--projects 1000] [--stages public,...]

The first run for a number of projects writes generated workbooks (one per
French actor) into bench/out/site-<n>-v<version>/ and ingests them through the
real `Ingestor` into a warehouse kept there; later runs reuse it. Each stage
then runs in its own child process, which reports its wall time and its peak
resident memory, its own and that of the programs it waited for (Pagefind is a
separate binary). The floor is what a site of the same projects costs without
Dr Cooper: one plain Jinja2 page per public project, then Pagefind alone.

Adding a stage is one entry in `STAGES`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

# Bump when the generated projects change, so a stale warehouse is not reused.
GENERATOR_VERSION = 2
TODAY = dt.date(2026, 12, 3)
ACTORS = 20

# A child that cannot run its stage exits with this code and says why on stdout.
UNAVAILABLE = 3

HEADERS = (
    "Référence",
    "Intitulé du projet",
    "Description",
    "Pays",
    "Partenaires",
    "Domaine",
    "Date de début",
    "Date de fin",
    "Budget (€)",
    "Contact",
    "Confidentiel",
)

ACTIONS = (
    "Renforcement des capacités en",
    "Formation des soignants en",
    "Essai clinique sur",
    "Surveillance de",
    "Jumelage hospitalier :",
    "Appui aux laboratoires pour",
    "Cohorte de patients atteints de",
    "Télé-expertise en",
    "Réseau régional de",
)
THEMES = (
    "tuberculose",
    "paludisme",
    "VIH/sida",
    "santé maternelle",
    "chirurgie pédiatrique",
    "hygiène hospitalière",
    "cancers du col de l'utérus",
    "drépanocytose",
    "résistance aux antimicrobiens",
    "maladies tropicales négligées",
    "santé mentale",
    "dengue",
    "diabète",
    "urgences",
)
COUNTRIES = (
    "Sénégal",
    "Mali",
    "Côte d'Ivoire",
    "Burkina Faso",
    "Niger",
    "Guinée",
    "Bénin",
    "Togo",
    "Cameroun",
    "Gabon",
    "Madagascar",
    "Maroc",
    "Tunisie",
    "Algérie",
    "Égypte",
    "Liban",
    "Jordanie",
    "Viêt Nam",
    "Cambodge",
    "Laos",
    "Inde",
    "Chine",
    "Brésil",
    "Haïti",
    "Mexique",
    "Allemagne",
    "Espagne",
    "Italie",
    "Belgique",
    "Suisse",
    "Royaume-Uni",
    "Pologne",
    "Roumanie",
    "Ukraine",
    "Canada",
    "États-Unis",
    "Singapour",
    "Maurice",
    "Cap-Vert",
    "Comores",
)
PARTNER_KINDS = ("CHU", "Université", "Institut national de santé publique", "Hôpital")
DOMAINS = (
    "Recherche clinique",
    "Formation",
    "Soins",
    "Veille sanitaire",
    "Santé numérique",
    "Qualité des soins",
    "Recherche fondamentale",
)
SENTENCES = (
    "Le projet forme des équipes locales et appuie la mise en place de protocoles.",
    "Les partenaires partagent leurs données dans un registre commun.",
    "Des missions d'expertise alternent avec des formations à distance.",
    "Une cohorte suit les patients pendant trois ans.",
    "Le laboratoire partenaire est équipé pour le diagnostic moléculaire.",
    "Le financement couvre les bourses de deux doctorants.",
)


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    description: str
    run: Callable[[Path, int], int]


def workdir(projects: int) -> Path:
    return OUT / f"site-{projects}-v{GENERATOR_VERSION}"


# --- Projects into a warehouse ------------------------------------------------


def write_workbooks(folder: Path, projects: int) -> list[tuple[str, Path]]:
    """Write one workbook per actor; together they hold `projects` rows."""
    from openpyxl import Workbook

    rng = random.Random(projects)
    folder.mkdir(parents=True, exist_ok=True)
    workbooks = []
    for index in range(ACTORS):
        actor = f"operateur-{index + 1:02d}"
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Projets")
        sheet.append(list(HEADERS))
        for number in range(index, projects, ACTORS):
            sheet.append(project_row(rng, number))
        path = folder / f"projets-{actor}.xlsx"
        workbook.save(path)
        workbooks.append((actor, path))
    return workbooks


def project_row(rng: random.Random, number: int) -> list[Any]:
    """Make one project: a title, a description, one or two countries, partners."""
    countries = rng.sample(COUNTRIES, 1 if rng.random() < 0.8 else 2)
    partners = [
        f"{rng.choice(PARTNER_KINDS)} de {country} n° {rng.randrange(1, 40)}"
        for country in countries
    ]
    start = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(3650))
    end = start + dt.timedelta(days=rng.randrange(365, 2200))
    theme = rng.choice(THEMES)
    return [
        f"P{number:06d}",
        f"{rng.choice(ACTIONS)} {theme} ({number})",
        " ".join(rng.sample(SENTENCES, 3)),
        ", ".join(countries),
        "; ".join(partners),
        rng.choice(DOMAINS),
        start,
        end,
        # Budgets are confidential; round ones would also match numbers in the
        # XML of every workbook, which the leak scan reports.
        rng.randrange(100_000, 3_000_000),
        f"contact.{number}@example.org",
        "oui" if rng.random() < 0.1 else "non",
    ]


def write_settings(folder: Path) -> Path:
    """Write an inbox_rules.yaml keeping the warehouse and the builds in `folder`."""
    actors = "".join(
        f"  operateur-{i + 1:02d}:\n    name: Opérateur de santé n° {i + 1}\n"
        for i in range(ACTORS)
    )
    path = folder / "inbox_rules.yaml"
    path.write_text(
        f"warehouse: warehouse.sqlite3\narchive: archive\n"
        f"synonyms: {ROOT / 'synonyms'}\n"
        "builds:\n  public: public\n  restricted: restricted\n"
        f"actors:\n{actors}",
        encoding="utf-8",
    )
    return path


def stage_ingest(folder: Path, projects: int) -> int:
    """Generate the workbooks and ingest them: the warehouse the builds read."""
    from bot.config import load_settings
    from bot.ingest import Ingestor

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ingestor = Ingestor(load_settings(write_settings(folder)))
    for actor, path in write_workbooks(folder / "workbooks", projects):
        ingestor.ingest(path, actor=actor, source="bench")
    ingestor.warehouse.close()
    (folder / "READY").write_text(str(projects), encoding="utf-8")
    return current_project_count(folder)


def current_project_count(folder: Path) -> int:
    from bot.projects import merged_projects
    from bot.warehouse import Warehouse

    warehouse = Warehouse(folder / "warehouse.sqlite3")
    try:
        return len(merged_projects(warehouse, TODAY))
    finally:
        warehouse.close()


# --- The stages ---------------------------------------------------------------


def stage_build(visibility: str) -> Callable[[Path, int], int]:
    """Return a stage running the real build of one site, as the bot does."""

    def run(folder: Path, projects: int) -> int:
        try:
            from bot.config import load_settings
            from render.build import build_site
        except ImportError as err:
            raise StageUnavailableError(f"cannot import the build: {err}") from err

        # The build logs each of its steps with its time: keep those.
        steps = StepTimes()
        logging.getLogger("render").addHandler(steps)
        logging.getLogger("render").setLevel(logging.INFO)
        settings = load_settings(folder / "inbox_rules.yaml")
        build_site(settings, visibility, today=TODAY)  # type: ignore[arg-type]
        STEPS.update(steps.seconds)
        return sum(1 for _ in (folder / visibility).glob("projets/*/index.html"))

    return run


class StepTimes(logging.Handler):
    """Pick the duration of each build step out of the build's own log lines."""

    PATTERNS = (
        ("pages", re.compile(r"pages written in ([\d.]+) s")),
        ("mkdocs", re.compile(r"^mkdocs .*built in ([\d.]+) s")),
        ("pagefind", re.compile(r"^pagefind .*indexed in ([\d.]+) s")),
        ("leak scan", re.compile(r"^leak scan .* ([\d.]+) s$")),
    )

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for step, pattern in self.PATTERNS:
            if match := pattern.search(message):
                self.seconds[step] = float(match[1])


def stage_jinja2(folder: Path, projects: int) -> int:
    """Write one plain Jinja2 page per public project: the floor of page writing."""
    from jinja2 import Environment

    from bot.projects import merged_projects, visible_projects
    from bot.warehouse import Warehouse

    warehouse = Warehouse(folder / "warehouse.sqlite3")
    shown = visible_projects(merged_projects(warehouse, TODAY), "public")
    warehouse.close()
    template = Environment(autoescape=True).from_string(PLAIN_PAGE)
    site = folder / "plain"
    if site.exists():
        shutil.rmtree(site)

    started = time.perf_counter()
    for project in shown:
        page = site / "projets" / project["id"] / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(template.render(project=project), encoding="utf-8")
    TIMED[0] = time.perf_counter() - started
    return len(shown)


def stage_pagefind(folder: Path, projects: int) -> int:
    """Index the plain pages with Pagefind alone."""
    site = folder / "plain"
    if not site.exists():
        raise StageUnavailableError("run the jinja2 stage first")
    shutil.rmtree(site / "pagefind", ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(site), "--silent"],
        check=True,
    )
    TIMED[0] = time.perf_counter() - started
    return sum(1 for _ in (site / "pagefind").rglob("*.pf_fragment"))


PLAIN_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{ project.title }}</title></head>
<body><main data-pagefind-body><h1>{{ project.title }}</h1>
<p>{{ project.description or "" }}</p>
<dl><dt>Pays</dt><dd>{{ project.countries | join(", ") }}</dd>
<dt>Partenaires</dt><dd>{% for p in project.partners %}{{ p.name }}
({{ p.country }}){% if not loop.last %}, {% endif %}{% endfor %}</dd>
<dt>Domaines</dt><dd>{{ project.domains | join(", ") }}</dd>
<dt>Acteurs</dt><dd>{{ project.french_actors | join(", ") }}</dd>
<dt>Début</dt><dd>{{ project.start_date }}</dd>
<dt>Fin</dt><dd>{{ project.end_date }}</dd>
<dt>Statut</dt><dd>{{ project.status }}</dd></dl></main></body></html>
"""

# The time a stage measured itself, when setup must not count (None: whole run).
TIMED: list[float | None] = [None]
# The steps of a build and their times, from its log lines.
STEPS: dict[str, float] = {}

BUILDS = ("public", "restricted")
STAGES = (
    Stage(
        "public",
        "drcooper build --public (pages, MkDocs, Pagefind)",
        stage_build("public"),
    ),
    Stage("restricted", "drcooper build --restricted", stage_build("restricted")),
    Stage("jinja2", "one plain Jinja2 page per public project", stage_jinja2),
    Stage("pagefind", "python -m pagefind --site on those pages", stage_pagefind),
)


class StageUnavailableError(Exception):
    """The code a stage measures does not exist yet, or cannot be set up."""


# --- Child and parent ---------------------------------------------------------


def run_child(stage_name: str, projects: int) -> None:
    """Run one stage in this process and print its measures as one JSON line."""
    folder = workdir(projects)
    run = (
        stage_ingest
        if stage_name == "ingest"
        else next(stage.run for stage in STAGES if stage.name == stage_name)
    )
    started = time.perf_counter()
    try:
        items = run(folder, projects)
    except StageUnavailableError as err:
        print(json.dumps({"unavailable": str(err)}))
        sys.exit(UNAVAILABLE)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": TIMED[0] if TIMED[0] is not None else seconds,
                "own_mb": own,
                "children_mb": children,
                "items": items,
                "steps": STEPS,
            }
        )
    )


def measure(stage_name: str, projects: int, timeout: float) -> dict[str, Any]:
    """Run a stage in a child process and return what it measured."""
    try:
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                stage_name,
                "--projects",
                f"{projects}",
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"unavailable": f"stopped after {timeout:.0f} s"}
    lines = completed.stdout.strip().splitlines()
    if completed.returncode == UNAVAILABLE:
        return json.loads(lines[-1])
    if completed.returncode != 0 or not lines:
        return {"unavailable": f"failed: {completed.stderr.strip()[-400:]}"}
    return json.loads(lines[-1])


def count_site(folder: Path) -> tuple[int, float]:
    """Return the number of HTML pages and the size in MB of a built site."""
    if not folder.exists():
        return 0, 0.0
    pages = sum(1 for _ in folder.rglob("*.html"))
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return pages, size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--stages", default=",".join(s.name for s in STAGES))
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a stage is stopped"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        run_child(arguments.child, arguments.projects)
        return

    folder = workdir(arguments.projects)
    if not (folder / "READY").exists():
        ingest = measure("ingest", arguments.projects, arguments.timeout)
        print(
            f"ingested {ingest.get('items')} projects from {ACTORS} workbooks in "
            f"{ingest.get('seconds', 0):.1f} s "
            f"(peak {ingest.get('own_mb', 0):.0f} MB)",
            file=sys.stderr,
        )
        if "unavailable" in ingest:
            sys.exit(f"cannot ingest: {ingest['unavailable']}")

    wanted = arguments.stages.split(",")
    results = {
        s.name: measure(s.name, arguments.projects, arguments.timeout)
        for s in STAGES
        if s.name in wanted
    }
    print_table(arguments.projects, folder, results)


def print_table(
    projects: int, folder: Path, results: dict[str, dict[str, Any]]
) -> None:
    """Print each stage's time and peak memory, and the ratios to the floor."""
    floor = [results[name] for name in ("jinja2", "pagefind") if name in results]
    floor_seconds = sum(measured.get("seconds", 0) for measured in floor)
    floor_mb = max((peak(measured) for measured in floor), default=0)
    print(f"{projects} generated projects; floor = jinja2 + pagefind")
    print(
        f"{'stage':<12}{'wall s':>8}{'x floor':>8}{'peak MB':>9}{'x floor':>8}"
        f"{'projects':>9}{'pages':>7}{'MB':>6}  steps (s)"
    )
    for name, measured in results.items():
        if "unavailable" in measured:
            print(f"{name:<12} not measured: {measured['unavailable']}")
            continue
        pages, size = count_site(folder / name) if name in BUILDS else (0, 0.0)
        steps = ", ".join(f"{k} {v:.1f}" for k, v in measured.get("steps", {}).items())
        print(
            f"{name:<12}{measured['seconds']:>8.1f}"
            f"{_ratio(measured['seconds'], floor_seconds):>8}"
            f"{peak(measured):>9.0f}{_ratio(peak(measured), floor_mb):>8}"
            f"{measured['items']:>9}{pages or '':>7}{f'{size:.0f}' if size else '':>6}"
            f"  {steps}"
        )


def peak(measured: dict[str, Any]) -> float:
    """Return the larger of a stage's own peak memory and its children's."""
    return max(measured.get("own_mb", 0), measured.get("children_mb", 0))


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.1f}" if floor else "-"


if __name__ == "__main__":
    main()

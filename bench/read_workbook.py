"""Measure how long reading a large workbook takes, and how much memory it needs.

Run from the repository root::

    .venv/bin/python bench/read_workbook.py [--rows 50000] [--repeat 5]

The first run writes a workbook of `--rows` project rows into bench/out/ (kept
between runs). Each stage then runs in its own child process, so one stage's
imports and caches neither help nor burden another; the child times `--repeat`
runs, reads its peak resident memory, and makes one more run under tracemalloc.
The table compares every stage with python-calamine alone, the floor that our
reader is built on.

Adding a stage is one entry in `STAGES`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

# Bump when the generated workbook changes, so a stale cache is not reused.
GENERATOR_VERSION = 1

HEADERS = (
    "Intitulé du projet",
    "Pays",
    "Partenaires",
    "Domaine",
    "Date de début",
    "Date de fin",
    "Budget (€)",
    "Contact",
    "Observations",
)

# A child that cannot run its stage exits with this code and says why on stdout.
UNAVAILABLE = 3

Runner = Callable[[], Any]


class StageUnavailableError(Exception):
    """The code a stage measures does not exist yet, or cannot be set up."""


# --- The workbook -------------------------------------------------------------

ACTIONS = (
    "Renforcement des capacités en",
    "Formation continue en",
    "Recherche clinique sur",
    "Surveillance épidémiologique de",
    "Jumelage hospitalier en",
    "Appui technique en",
    "Cohorte de patients :",
    "Télé-expertise en",
)
THEMES = (
    "tuberculose",
    "paludisme",
    "VIH/sida",
    "santé maternelle et néonatale",
    "chirurgie pédiatrique",
    "hygiène hospitalière",
    "oncologie",
    "santé numérique",
    "résistance aux antimicrobiens",
    "maladies tropicales négligées",
    "santé mentale",
    "dengue et arboviroses",
)
PLACES = (
    ("Sénégal", "Dakar", "Hôpital Principal de Dakar"),
    ("SEN", "Saint-Louis", "Université Gaston Berger"),
    ("Mali", "Bamako", "CHU du Point G"),
    ("Cote d'Ivoire", "Abidjan", "CHU de Treichville"),
    ("Madagascar", "Antananarivo", "Institut Pasteur de Madagascar"),
    ("Viêt Nam", "Hanoï", "Hôpital Bach Mai"),
    ("Cambodge", "Phnom Penh", "Hôpital Calmette"),
    ("RDC", "Kinshasa", "Cliniques universitaires de Kinshasa"),
    ("Tunisie", "Tunis", "Hôpital Charles-Nicolle"),
    ("Allemagne", "Berlin", "Charité – Universitätsmedizin Berlin"),
    ("Burkina Faso", "Ouagadougou", "CHU Yalgado Ouédraogo"),
    ("Liban", "Beyrouth", "Hôtel-Dieu de France"),
)
DOMAINS = (
    "Recherche clinique",
    "Formation",
    "Soins",
    "Veille sanitaire",
    "Numérique en santé",
    "Qualité des soins",
    "One Health",
)
NOTES = (
    "",
    "",
    "Convention signée",
    "En attente de financement",
    "Prolongation envisagée",
    "Missions suspendues, reprise à distance",
)


def workbook_path(rows: int) -> Path:
    return OUT / f"projects-{rows}-v{GENERATOR_VERSION}.xlsx"


def ensure_workbook(rows: int) -> Path:
    """Return the cached benchmark workbook, writing it first if missing."""
    path = workbook_path(rows)
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    write_workbook(partial, rows)
    partial.replace(path)
    print(
        f"wrote {path.name} ({rows} rows, {path.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


def write_workbook(path: Path, rows: int) -> None:
    """Write a title, a blank row, the header, then `rows` varied project rows."""
    # Seeded, so every machine measures the same workbook.
    rng = random.Random(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Projets")
    assert isinstance(sheet, WriteOnlyWorksheet)
    sheet.append(["Coopérations internationales – export complet"])
    sheet.append([])
    sheet.append(list(HEADERS))
    for number in range(1, rows + 1):
        sheet.append(project_row(sheet, rng, number))
    workbook.save(path)


def project_row(sheet: WriteOnlyWorksheet, rng: random.Random, number: int) -> list:
    """Make one project row mixing Excel dates, text periods and text amounts."""
    country, city, partner = rng.choice(PLACES)
    second_country, _, second_partner = rng.choice(PLACES)
    title = f"{rng.choice(ACTIONS)} {rng.choice(THEMES)} à {city} (réf. {number:06d})"
    countries = country if rng.random() < 0.8 else f"{country}, {second_country}"
    partners = partner if rng.random() < 0.6 else f"{partner}; {second_partner}"

    start = dt.datetime(2018, 1, 1) + dt.timedelta(days=rng.randrange(4000))
    end = start + dt.timedelta(days=rng.randrange(365, 1800))
    start_cell: Any = date_cell(sheet, start)
    end_cell: Any = date_cell(sheet, end)
    shape = rng.random()
    if shape < 0.15:
        start_cell, end_cell = f"{start:%m/%Y}", f"{end:%m/%Y}"
    elif shape < 0.25:
        start_cell, end_cell = f"S{1 + (start.month > 6)} {start.year}", None
    elif shape < 0.30:
        start_cell, end_cell = f"{start.year}-{end.year}", None

    budget: Any = rng.randrange(10, 2000) * 1000
    if rng.random() < 0.1:
        budget = f"{budget / 1e6:.1f} M€".replace(".", ",")
    return [
        title,
        countries,
        partners,
        rng.choice(DOMAINS),
        start_cell,
        end_cell,
        budget,
        f"Dr {chr(65 + number % 26)}. Martin",
        rng.choice(NOTES) or None,
    ]


def date_cell(sheet: WriteOnlyWorksheet, moment: dt.datetime) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=moment)
    cell.number_format = "DD/MM/YYYY"
    return cell


# --- The stages ---------------------------------------------------------------


def bench_is_header(text: str) -> bool:
    """Recognise this workbook's own header cells, accents and case aside."""
    # The reader asks about every text cell of every row (to spot a repeated
    # header), so a long cell, which no header is, must cost next to nothing.
    if len(text) > LONGEST_HEADER:
        return False
    return fold(text) in FOLDED_HEADERS


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return decomposed.encode("ascii", "ignore").decode("ascii")


FOLDED_HEADERS = frozenset(fold(header) for header in HEADERS)
LONGEST_HEADER = max(len(header) for header in HEADERS) + 8


def calamine_alone(path: Path) -> Runner:
    from python_calamine import CalamineWorkbook

    return lambda: (
        CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    )


def read_with_bot(
    path: Path, is_header: Callable[[str], bool] = bench_is_header
) -> Runner:
    try:
        from bot.safety import ReadLimits
        from bot.workbook import read_workbook
    except ImportError as err:
        raise StageUnavailableError(f"bot.workbook.read_workbook: {err}") from err
    limits = ReadLimits(max_rows=1_000_000)
    return lambda: read_workbook(
        path, file_name=path.name, is_header=is_header, limits=limits
    )


def read_and_understand(path: Path) -> Runner:
    """Read and understand as bot.ingest does, with the project's vocabulary."""
    try:
        from bot.understand import UnderstandingSettings, understand_workbook
        from bot.vocabulary import Vocabulary
    except ImportError as err:
        raise StageUnavailableError(f"bot.understand: {err}") from err

    # Setup is not timed: the bot loads its vocabulary once per run, not per file.
    try:
        vocabulary = Vocabulary.load(ROOT / "synonyms")
    except Exception as err:
        raise StageUnavailableError(
            f"Vocabulary.load(synonyms/) failed: {type(err).__name__}: {err}"
        ) from err
    settings = UnderstandingSettings()
    read = read_with_bot(
        path, is_header=lambda text: vocabulary.match_header(text) is not None
    )
    return lambda: understand_workbook(read(), vocabulary, settings)


# (name, what it measures, factory returning the callable to time)
STAGES: list[tuple[str, str, Callable[[Path], Runner]]] = [
    ("calamine", "python-calamine to_python() of sheet 1", calamine_alone),
    ("read", "bot.workbook.read_workbook", read_with_bot),
    (
        "read+understand",
        "read_workbook + understand_workbook, header test from the vocabulary",
        read_and_understand,
    ),
]


# --- Measuring ----------------------------------------------------------------


@dataclasses.dataclass
class Measure:
    stage: str
    seconds: list[float]
    baseline_rss_mb: float
    peak_rss_mb: float
    traced_peak_mb: float
    items: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def run_rss_mb(self) -> float:
        """Resident memory the runs added over the process after its setup."""
        return self.peak_rss_mb - self.baseline_rss_mb


def max_rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes (macOS in bytes; not supported here).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def count_items(result: Any) -> int:
    """Count what a stage produced: rows read, or projects understood."""
    if isinstance(result, list):
        return len(result)
    if hasattr(result, "tables"):
        return sum(len(table.rows) for table in result.tables)
    if hasattr(result, "records"):
        return len(result.records)
    return -1


def measure_in_child(stage: str, path: Path, repeat: int) -> None:
    """Time one stage in this process and print the measure as JSON."""
    factory = next(factory for name, _, factory in STAGES if name == stage)
    try:
        run = factory(path)
    except StageUnavailableError as err:
        print(json.dumps({"unavailable": str(err)}))
        sys.exit(UNAVAILABLE)

    gc.collect()
    baseline = max_rss_mb()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds.append(time.perf_counter() - started)
        del result
        gc.collect()
    peak = max_rss_mb()

    # tracemalloc slows Python allocation down, so it gets a run of its own;
    # it sees Python objects only, not calamine's own (Rust) buffers.
    tracemalloc.start()
    result = run()
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    measure = Measure(
        stage, seconds, baseline, peak, traced_peak / 2**20, count_items(result)
    )
    print(json.dumps(dataclasses.asdict(measure)))


def measure_stage(stage: str, path: Path, repeat: int) -> Measure | str:
    """Run one stage in a fresh interpreter; return its measure or why it could not."""
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            *("--child", stage),
            *("--path", str(path)),
            *("--repeat", str(repeat)),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    last_line = completed.stdout.strip().splitlines()[-1:] or ["{}"]
    if completed.returncode == UNAVAILABLE:
        return str(json.loads(last_line[0])["unavailable"])
    if completed.returncode != 0:
        error = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        return f"failed (exit {completed.returncode}): {error[0]}"
    return Measure(**json.loads(last_line[0]))


COLUMNS = (
    ("stage", 16),
    ("median s", 9),
    ("min s", 7),
    ("x (a)", 6),
    ("peak RSS MB", 12),
    ("+run MB", 8),
    ("x (a)", 6),
    ("traced MB", 10),
    ("items", 7),
)


def print_table(results: list[tuple[str, str, Measure | str]]) -> None:
    """Print one line per stage, time and memory compared with the first stage."""
    print(format_line([title for title, _ in COLUMNS] + ["what"]))
    floor = next((result for *_, result in results if isinstance(result, Measure)))
    for name, description, result in results:
        if not isinstance(result, Measure):
            dashes = ["-"] * (len(COLUMNS) - 1)
            print(format_line([name, *dashes, f"not measured: {result}"]))
            continue
        print(
            format_line(
                [
                    name,
                    f"{result.median:.2f}",
                    f"{min(result.seconds):.2f}",
                    f"{result.median / floor.median:.1f}",
                    f"{result.peak_rss_mb:.0f}",
                    f"{result.run_rss_mb:.0f}",
                    f"{result.run_rss_mb / max(floor.run_rss_mb, 1):.1f}",
                    f"{result.traced_peak_mb:.0f}",
                    str(result.items),
                    description,
                ]
            )
        )


def format_line(cells: list[str]) -> str:
    name, *numbers, last = cells
    widths = [width for _, width in COLUMNS]
    aligned = [name.ljust(widths[0])]
    aligned += [
        cell.rjust(width) for cell, width in zip(numbers, widths[1:], strict=True)
    ]
    return " ".join(aligned) + "  " + last


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="project rows")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per stage")
    parser.add_argument(
        "--stages",
        default=",".join(name for name, _, _ in STAGES),
        help="comma-separated stages to run (default: all)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    if arguments.child:
        measure_in_child(arguments.child, arguments.path, arguments.repeat)
        return

    path = ensure_workbook(arguments.rows)
    wanted = arguments.stages.split(",")
    print(
        f"{path.name}: {arguments.rows} rows, {path.stat().st_size / 1e6:.1f} MB; "
        f"median of {arguments.repeat} runs; Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    results: list[tuple[str, str, Measure | str]] = []
    for name, description, _ in STAGES:
        if name in wanted:
            results.append(
                (name, description, measure_stage(name, path, arguments.repeat))
            )
    print_table(results)


if __name__ == "__main__":
    main()

"""Plots drawn on the server as inline SVG: bars by category, columns over time.

No script and no request to another site: a plot is a `<figure>` holding an
SVG with a title and a description for screen readers, and the same figures
as a `<table>` in a `<details>` element. Labels come from contributors' data,
so every one is escaped. Numbers are written the French way ("1 234").

`STYLESHEET` holds the few CSS rules the site adds for the map and the plots;
the SVG carries its own colours, so it reads correctly without them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from babel.numbers import format_decimal
from markupsafe import Markup, escape

BAR_FILL = "#2a788e"
GRID = "#bbbbbb"
WIDTH = 640
FONT = 'font-family="sans-serif" font-size="13"'
LONGEST_LABEL = 70

# Statuses whose start dates the timeline counts: the service looks forward.
FORWARD_STATUSES = ("ongoing", "planned")

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[QT]([1-4])$")

STYLESHEET = """\
.drc-worldmap svg.drc-worldmap-svg { max-width: 100%; height: auto; }
.drc-worldmap a.has-projects:hover path,
.drc-worldmap a.has-projects:focus path { stroke: #222; stroke-width: 1; }
.drc-worldmap a.has-projects:hover circle { stroke-width: 1.5; }
.drc-legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap;
  gap: .3em 1.2em; font-size: .8rem; }
.drc-legend li { margin: 0; }
.drc-chart svg { max-width: 100%; height: auto; }
.drc-chart a:hover rect, .drc-chart a:focus rect { fill: #414487; }
.drc-chart details { font-size: .8rem; }
"""


def format_number(number: int) -> str:
    """Write an integer the French way, thousands set apart by a narrow space."""
    return format_decimal(number, locale="fr_FR")


def count_label(count: int) -> str:
    """Say a number of projects in French: "1 projet", "1 234 projets"."""
    noun = "projet" if count <= 1 else "projets"
    return f"{format_number(count)} {noun}"


def bar_chart_svg(
    items: list[tuple[str, int]],
    *,
    title: str,
    href: Callable[[str], str] | None = None,
) -> str:
    """Draw one horizontal bar per (label, count), in the order given.

    With `href`, each bar and its label link to `href(label)`.
    """
    if not items:
        return _empty_figure(title)
    row_height, bar_height, count_room = 36, 14, 72
    longest = max(count for _, count in items) or 1
    height = row_height * len(items) + 4

    rows = []
    for index, (label, count) in enumerate(items):
        top = index * row_height
        length = (WIDTH - count_room) * count / longest
        shown_label = _shorten(label)
        row = (
            f"<title>{escape(label)}\u00a0: {escape(count_label(count))}</title>"
            f'<text x="0" y="{top + 14}" fill="currentColor">'
            f"{escape(shown_label)}</text>"
            f'<rect x="0" y="{top + 19}" width="{max(length, 1):.1f}" '
            f'height="{bar_height}" fill="{BAR_FILL}"/>'
            f'<text x="{length + 6:.1f}" y="{top + 31}" fill="currentColor">'
            f"{escape(format_number(count))}</text>"
        )
        if href is None:
            rows.append(f'<g class="bar">{row}</g>')
        else:
            rows.append(f'<a class="bar" href="{escape(href(label))}">{row}</a>')

    # Screen readers read the description: the first figures, in words.
    description = " ; ".join(
        f"{label}\u00a0: {count_label(count)}" for label, count in items[:10]
    ) + (" ; …" if len(items) > 10 else ".")
    table = _table(title, items, "Libellé")
    return _figure(
        "drc-bar-chart",
        title,
        description,
        height,
        "".join(rows),
        table,
        interactive=href is not None,
    )


def timeline_svg(counts_by_year_or_quarter: Mapping[str, int], *, title: str) -> str:
    """Draw one column per year ("2025") or quarter ("2025-Q1" or "2025-T1").

    Periods missing between the first and the last are drawn as empty columns,
    so that the time axis is even.
    """
    periods = _even_periods(counts_by_year_or_quarter)
    if not periods:
        return _empty_figure(title)
    values = [counts_by_year_or_quarter.get(key, 0) for key, _ in periods]
    top_value = _nice_ceiling(max(values))
    plot_top, plot_height, axis_room = 18, 180, 44
    height = plot_top + plot_height + axis_room
    column = WIDTH / len(periods)
    label_every = math.ceil(len(periods) / 10)

    # Grid lines at zero, half and the top of the scale, labelled on the left.
    parts = []
    for fraction in (0, 0.5, 1):
        y = plot_top + plot_height * (1 - fraction)
        parts.append(
            f'<line x1="0" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="0.6"/>'
        )
        # Half of an odd top would be a fraction: only the line is drawn.
        if fraction == 1 or (fraction and top_value % 2 == 0):
            parts.append(
                f'<text x="2" y="{y - 3:.1f}" font-size="11" fill="currentColor">'
                f"{escape(format_number(round(top_value * fraction)))}</text>"
            )

    for index, ((_, label), value) in enumerate(zip(periods, values, strict=True)):
        left = index * column
        bar = plot_height * value / top_value
        middle = left + column / 2
        piece = [f"<title>{escape(label)}\u00a0: {escape(count_label(value))}</title>"]
        bottom = plot_top + plot_height
        piece.append(
            f'<rect x="{left + column * 0.15:.1f}" y="{bottom - bar:.1f}" '
            f'width="{column * 0.7:.1f}" height="{bar:.1f}" fill="{BAR_FILL}"/>'
        )
        if value and len(periods) <= 24:
            piece.append(
                f'<text x="{middle:.1f}" y="{plot_top + plot_height - bar - 4:.1f}" '
                f'text-anchor="middle" font-size="11" fill="currentColor">'
                f"{escape(format_number(value))}</text>"
            )
        if index % label_every == 0:
            piece.append(
                f'<text x="{middle:.1f}" y="{plot_top + plot_height + 18}" '
                f'text-anchor="middle" font-size="11" fill="currentColor">'
                f"{escape(label)}</text>"
            )
        parts.append(f'<g class="period">{"".join(piece)}</g>')

    first, last = periods[0][1], periods[-1][1]
    description = (
        f"Nombre de projets par période de début, de {first} à {last} ; "
        f"le maximum est {count_label(max(values))}."
    )
    labels = [label for _, label in periods]
    table = _table(title, list(zip(labels, values, strict=True)), "Période")
    return _figure("drc-timeline", title, description, height, "".join(parts), table)


def start_date_counts(
    projects: Iterable[Mapping[str, Any]],
    *,
    period: Literal["year", "quarter"] = "year",
    statuses: Iterable[str] = FORWARD_STATUSES,
) -> dict[str, int]:
    """Count projects of these statuses by the year or quarter they start."""
    wanted = set(statuses)
    counts: Counter[str] = Counter()
    for project in projects:
        start = project.get("start_date")
        if project.get("status") not in wanted or not start:
            continue
        try:
            day = dt.date.fromisoformat(str(start)[:10])
        except ValueError:
            continue
        if period == "year":
            counts[f"{day.year}"] += 1
        else:
            counts[f"{day.year}-Q{(day.month - 1) // 3 + 1}"] += 1
    return dict(sorted(counts.items()))


def _even_periods(counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """Return (key, French label) for every period from the first to the last."""
    years = [int(m[1]) for key in counts if (m := _YEAR.match(key))]
    quarters = [
        (int(m[1]), int(m[2])) for key in counts if (m := _QUARTER.match(key.upper()))
    ]
    if quarters and not years:
        first, last = min(quarters), max(quarters)
        spelling = "T" if any("T" in key.upper() for key in counts) else "Q"
        periods = []
        year, quarter = first
        while (year, quarter) <= last:
            periods.append((f"{year}-{spelling}{quarter}", f"T{quarter} {year}"))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
        return periods
    if years:
        return [(str(year), str(year)) for year in range(min(years), max(years) + 1)]
    return []


def _nice_ceiling(value: int) -> int:
    """Round up to 1, 2 or 5 times a power of ten, for an even scale."""
    if value <= 0:
        return 1
    magnitude = 10 ** int(math.log10(value))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= value)


def _shorten(label: str) -> str:
    if len(label) <= LONGEST_LABEL:
        return label
    return label[: LONGEST_LABEL - 1].rstrip() + "…"


def _figure(
    kind: str,
    title: str,
    description: str,
    height: float,
    body: str,
    table: str,
    *,
    interactive: bool = False,
) -> str:
    # Links inside role="img" would be hidden from screen readers.
    role = "group" if interactive else "img"
    # A stable id, so that two builds of the same data are the same bytes.
    ident = kind + "-" + hashlib.sha256((title + body).encode()).hexdigest()[:8]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" '
        f'width="{WIDTH}" height="{height:g}" '
        f'role="{role}" aria-labelledby="{ident}-title {ident}-desc" {FONT}>'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{body}</svg>'
    )
    return Markup(
        f'<figure class="drc-chart {kind}" data-pagefind-ignore="all">'
        f"<figcaption>{escape(title)}</figcaption>{svg}{table}</figure>"
    )


def _empty_figure(title: str) -> str:
    return Markup(
        f'<figure class="drc-chart drc-empty" data-pagefind-ignore="all">'
        f"<figcaption>{escape(title)}</figcaption><p>Aucune donnée.</p></figure>"
    )


def _table(title: str, rows: list[tuple[str, int]], heading: str) -> str:
    body = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(format_number(count))}</td></tr>"
        for label, count in rows
    )
    return (
        "<details><summary>Voir les données</summary><table>"
        f'<caption>{escape(title)}</caption><thead><tr><th scope="col">'
        f'{escape(heading)}</th><th scope="col">Projets</th></tr>'
        f"</thead><tbody>{body}</tbody></table></details>"
    )

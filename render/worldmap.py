"""The world map: countries coloured by their number of projects, as inline SVG.

The map is drawn on the server from `data/world.json` (Natural Earth shapes,
see `data/README.md`), so it needs no script, no tile server and no request to
another site, in the public build as in the restricted one.

Each country with projects is a link to its page, coloured on a five-step
sequential scale (viridis, readable with every common colour-vision
deficiency) and titled with its count, which browsers show on hover. Countries
too small to see at this scale get a dot marker inside the same link. Every
value that comes from data (names, links) is escaped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from render.charts import count_label, format_number

logger = logging.getLogger(__name__)

WORLD_FILE = Path(__file__).resolve().parent / "data" / "world.json"

# Viridis, light to dark: sequential and safe for colour-blind readers.
PALETTE = ("#fde725", "#7ad151", "#22a884", "#2a788e", "#414487")
NO_PROJECT_FILL = "#d9d9d9"
BORDER = "#ffffff"
MARKER_RADIUS = 3.5

# Class bounds are rounded to these mantissas, so the legend reads "5 à 9".
_NICE_MANTISSAS = (1, 2, 3, 5)


@dataclass(frozen=True)
class World:
    """The map's geometry: a view box, a path per country, a dot per small one."""

    view_box: str
    countries: dict[str, str]
    markers: dict[str, tuple[float, float]]


@functools.cache
def load_world(path: Path = WORLD_FILE) -> World:
    """Read the committed geometry file once per process."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return World(
        view_box=document["viewBox"],
        countries=document["countries"],
        markers={code: (x, y) for code, (x, y) in document["markers"].items()},
    )


def class_bounds(counts: list[int], steps: int = len(PALETTE)) -> list[int]:
    """Return the lower bound of each colour class for these counts.

    Bounds are quantiles of the counts rounded down to 1, 2, 3 or 5 times a
    power of ten, so that the legend has round numbers and each class holds
    about as many countries as the others.
    """
    positive = sorted(count for count in counts if count > 0)
    if not positive:
        return [1]
    if positive[-1] <= steps:
        return list(range(1, positive[-1] + 1))
    bounds = {1}
    for step in range(1, steps):
        quantile = positive[(len(positive) * step) // steps]
        bounds.add(_round_down_nicely(quantile))
    return sorted(bounds)


def _round_down_nicely(value: int) -> int:
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    return max(m * magnitude for m in _NICE_MANTISSAS if m * magnitude <= value)


def class_fill(count: int, bounds: list[int]) -> str:
    """Return the colour of the class `count` falls in."""
    if len(bounds) == 1:
        return PALETTE[len(PALETTE) // 2]
    index = max(i for i, bound in enumerate(bounds) if bound <= count)
    # Fewer classes than colours spread over the whole palette, for contrast.
    return PALETTE[round(index * (len(PALETTE) - 1) / (len(bounds) - 1))]


def legend_entries(bounds: list[int], highest: int) -> list[tuple[str, str]]:
    """Return (colour, French text) for each class, then for "no project"."""
    entries = []
    for index, low in enumerate(bounds):
        high = bounds[index + 1] - 1 if index + 1 < len(bounds) else highest
        if high > low and index + 1 == len(bounds):
            text = f"{count_label(low)} et plus"
        elif high <= low:
            text = count_label(low)
        else:
            text = f"{format_number(low)} à {count_label(high)}"
        entries.append((class_fill(low, bounds), text))
    entries.append((NO_PROJECT_FILL, "aucun projet"))
    return entries


def world_map_svg(
    counts: Mapping[str, int],
    *,
    href: Callable[[str], str],
    label: Callable[[str], str],
    title: str = "",
) -> str:
    """Draw the world with each country in `counts` coloured and linked.

    `counts` maps ISO 3166-1 alpha-2 codes to numbers of projects; `href(code)`
    gives the link to a country's page and `label(code)` its French name.
    Returns a `<figure>` holding the SVG and its legend, safe to insert as is.
    """
    world = load_world()
    shown = {code.upper(): n for code, n in counts.items() if n > 0}
    bounds = class_bounds(list(shown.values()))
    ident = (
        "drc-map-"
        + hashlib.sha256(
            json.dumps([title, sorted(shown.items())]).encode()
        ).hexdigest()[:8]
    )
    heading = title or "Carte des projets par pays"
    mapped = {c for c in shown if c in world.countries or c in world.markers}
    verb = "a" if len(shown) == 1 else "ont"
    description = (
        f"{len(shown)} pays {verb} au moins un projet ; chacun est un lien vers sa "
        "page, et son nom s’affiche au survol avec le nombre de projets."
    )

    # Grey countries first, then linked ones, the dotted ones last: a dot is
    # drawn over its neighbours, never under them.
    shapes = [
        f'<path class="no-projects" d="{world.countries[code]}" '
        f'fill="{NO_PROJECT_FILL}"/>'
        for code in sorted(world.countries)
        if code not in shown
    ]
    linked = sorted(mapped, key=lambda code: (code in world.markers, label(code)))
    shapes += [
        _country_link(
            code,
            shown[code],
            world,
            href=href,
            label=label,
            fill=class_fill(shown[code], bounds),
        )
        for code in linked
    ]

    # An intrinsic size: in a shrink-wrapped <figure> (Material's) a map without
    # one collapses; stylesheets scale it down to the column with max-width.
    width, height = world.view_box.split()[2:]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="drc-worldmap-svg" '
        f'viewBox="{world.view_box}" width="{width}" height="{height}" role="group" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        f'stroke="{BORDER}" stroke-width="0.4" stroke-linejoin="round">'
        f'<title id="{ident}-title">{escape(heading)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(shapes)
        + "</svg>"
    )
    caption = _legend(bounds, max(shown.values(), default=0)) + _off_map(
        shown, mapped, href=href, label=label
    )
    return Markup(
        f'<figure class="drc-worldmap" data-pagefind-ignore="all">{svg}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _country_link(
    code: str,
    count: int,
    world: World,
    *,
    href: Callable[[str], str],
    label: Callable[[str], str],
    fill: str,
) -> str:
    hover = f"{label(code)}\u00a0: {count_label(count)}"
    parts = [f'<a href="{escape(href(code))}" class="has-projects" ']
    parts.append(f'data-country="{escape(code)}" data-count="{count}">')
    parts.append(f"<title>{escape(hover)}</title>")
    if code in world.countries:
        parts.append(f'<path d="{world.countries[code]}" fill="{fill}"/>')
    if code in world.markers:
        x, y = world.markers[code]
        parts.append(
            f'<circle class="marker" cx="{x:g}" cy="{y:g}" r="{MARKER_RADIUS:g}" '
            f'fill="{fill}" stroke="#333333" stroke-width="0.6"/>'
        )
    parts.append("</a>")
    return "".join(parts)


def _legend(bounds: list[int], highest: int) -> str:
    items = "".join(
        '<li><svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">'
        f'<rect width="14" height="14" fill="{colour}" stroke="#777777"/></svg> '
        f"{escape(text)}</li>"
        for colour, text in legend_entries(bounds, highest)
    )
    return f'<ul class="drc-legend" aria-label="Légende">{items}</ul>'


def _off_map(
    shown: Mapping[str, int],
    mapped: set[str],
    *,
    href: Callable[[str], str],
    label: Callable[[str], str],
) -> str:
    # Limitation: a code with neither a shape nor a marker (a territory missing
    # from Natural Earth) is listed under the map instead of drawn on it.
    missing = sorted(set(shown) - mapped, key=label)
    if not missing:
        return ""
    logger.debug("world map: %s countries have no shape: %s", len(missing), missing)
    links = ", ".join(
        f'<a href="{escape(href(code))}" data-country="{escape(code)}">'
        f"{escape(label(code))}</a> ({escape(count_label(shown[code]))})"
        for code in missing
    )
    return f'<p class="drc-offmap">Hors de la carte : {links}</p>'

"""Make render/data/world.json, the country shapes of the offline world map.

Run from the repository root, once, when the source or the projection changes::

    cd /tmp && npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python render/data/make_world.py /tmp/package

The source is Natural Earth (public domain) as TopoJSON, from the npm package
`world-atlas` 2.0.2: `countries-110m.json` for the shapes and
`countries-50m.json` to place markers on the small countries that the 1:110m
scale leaves out. The TopoJSON format is described at
https://github.com/topojson/topojson-specification.

Countries are keyed by ISO 3166-1 alpha-2 (pycountry, from the numeric ids).
Three Natural Earth features have no numeric id: Kosovo becomes `XK` (the
user-assigned code the vocabulary uses), northern Cyprus is drawn with `CY` and
Somaliland with `SO`, as the United Nations and France recognise these states.
Antarctica is left out: no cooperation is mapped there and it would take a
fifth of the height.

Output: `{"viewBox": "x y w h", "countries": {alpha2: path d},
"markers": {alpha2: [x, y]}}`, where a marker is given for every country too
small to see or click at this scale.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pycountry

OUTPUT = Path(__file__).resolve().parent / "world.json"

# Width of the map in SVG units; heights follow from the projection.
WIDTH = 1000.0
LEFT_OUT = {"AQ"}
UNNUMBERED = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}

# A country whose projected box is smaller than this (in SVG units) gets a marker.
SMALL_COUNTRY = 6.0

# Countries that neither scale of Natural Earth draws separately (the French
# overseas departments are part of France there): longitude, latitude.
EXTRA_MARKERS = {
    "BQ": (-68.27, 12.18),
    "CC": (96.87, -12.17),
    "CX": (105.62, -10.49),
    "GF": (-53.13, 3.93),
    "GI": (-5.35, 36.14),
    "GP": (-61.55, 16.25),
    "MQ": (-61.02, 14.64),
    "RE": (55.54, -21.12),
    "SJ": (15.65, 78.22),
    "TK": (-171.85, -9.2),
    "TV": (179.2, -8.52),
    "YT": (45.17, -12.83),
}

Point = tuple[float, float]
Ring = list[Point]


def natural_earth(longitude: float, latitude: float) -> Point:
    """Project degrees with the Natural Earth projection (Šavrič et al., 2011)."""
    lam, phi = math.radians(longitude), math.radians(latitude)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (
        0.8707
        - 0.131979 * phi2
        + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4))
    )
    y = phi * (
        1.007226
        + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))
    )
    return x, y


def decode_arcs(topology: dict[str, Any]) -> list[Ring]:
    """Turn the quantised, delta-encoded arcs into lists of longitude, latitude."""
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    arcs = []
    for encoded in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in encoded:
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def ring_points(arc_indexes: list[int], arcs: list[Ring]) -> Ring:
    """Join a ring's arcs; a negative index ~i means arc i reversed."""
    points: Ring = []
    for index in arc_indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their end point.
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict[str, Any], arcs: list[Ring]) -> Iterator[list[Ring]]:
    """Yield each polygon of a geometry as its rings, exterior first."""
    if geometry["type"] == "Polygon":
        yield [ring_points(ring, arcs) for ring in geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["arcs"]:
            yield [ring_points(ring, arcs) for ring in polygon]


def split_at_antimeridian(ring: Ring) -> list[Ring]:
    """Cut a ring that crosses longitude 180 into one piece on each side.

    TopoJSON rings are spherical: a ring crossing the antimeridian jumps from
    179 to -179 degrees, which a flat map would draw as a line across the world.
    """
    unwrapped = [ring[0]]
    for longitude, latitude in ring[1:]:
        previous = unwrapped[-1][0]
        while longitude - previous > 180:
            longitude -= 360
        while longitude - previous < -180:
            longitude += 360
        unwrapped.append((longitude, latitude))
    low = min(longitude for longitude, _ in unwrapped)
    high = max(longitude for longitude, _ in unwrapped)
    if low >= -180 and high <= 180:
        return [ring]
    edge = 180.0 if high > 180 else -180.0
    inside = clip_ring(unwrapped, edge, keep_below=edge > 0)
    outside = clip_ring(unwrapped, edge, keep_below=edge < 0)
    shift = -360.0 if edge > 0 else 360.0
    pieces = [inside, [(longitude + shift, lat) for longitude, lat in outside]]
    return [piece for piece in pieces if len(piece) >= 3]


def clip_ring(ring: Ring, edge: float, *, keep_below: bool) -> Ring:
    """Keep the part of a ring on one side of a meridian (Sutherland-Hodgman)."""

    def kept(point: Point) -> bool:
        return point[0] <= edge if keep_below else point[0] >= edge

    clipped: Ring = []
    for start, end in zip(ring, ring[1:] + ring[:1], strict=True):
        if kept(start):
            clipped.append(start)
        if kept(start) != kept(end):
            share = (edge - start[0]) / (end[0] - start[0])
            clipped.append((edge, start[1] + share * (end[1] - start[1])))
    return clipped


def country_code(geometry: dict[str, Any]) -> str | None:
    """Return the alpha-2 code of a feature, or None for one we do not draw."""
    name = geometry.get("properties", {}).get("name", "")
    if "id" not in geometry:
        return UNNUMBERED.get(name)
    country = pycountry.countries.get(numeric=geometry["id"])
    return country.alpha_2 if country else None


def ring_area_centroid(ring: Ring) -> tuple[float, Point]:
    """Return the absolute area and the centroid of a ring (shoelace formula)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return 0.0, (sum(xs) / len(xs), sum(ys) / len(ys))
    return abs(area) / 2, (cx / (3 * area), cy / (3 * area))


def ring_size(ring: Ring) -> float:
    """Return the larger side of a ring's bounding box."""
    xs = [x for x, _ in ring]
    ys = [y for _, y in ring]
    return max(max(xs) - min(xs), max(ys) - min(ys))


def largest_centroid(rings: Iterable[Ring]) -> Point:
    """Return the centroid of the largest exterior ring: where a marker goes."""
    return max((ring_area_centroid(ring) for ring in rings), key=lambda a: a[0])[1]


class Canvas:
    """The projection scaled to WIDTH, with y growing downwards as in SVG."""

    def __init__(self) -> None:
        left, _ = natural_earth(-180, 0)
        right, _ = natural_earth(180, 0)
        _, top = natural_earth(0, 84)
        _, bottom = natural_earth(0, -58)
        self.scale = WIDTH / (right - left)
        self.left, self.top = left, top
        self.height = round((top - bottom) * self.scale, 1)

    def point(self, longitude: float, latitude: float) -> Point:
        x, y = natural_earth(longitude, latitude)
        return (x - self.left) * self.scale, (self.top - y) * self.scale


def path_data(rings: list[Ring]) -> str:
    """Write rings as a compact SVG path: relative moves, one decimal."""
    commands = []
    for ring in rings:
        rounded = [(round(x * 10), round(y * 10)) for x, y in ring]
        kept = [rounded[0]]
        for point in rounded[1:]:
            if point != kept[-1]:
                kept.append(point)
        if len(kept) < 3:
            continue
        steps = [f"M{_decimal(kept[0][0])} {_decimal(kept[0][1])}"]
        deltas = [
            f"{_decimal(x1 - x0)} {_decimal(y1 - y0)}"
            for (x0, y0), (x1, y1) in pairwise(kept)
        ]
        steps.append("l" + " ".join(deltas) + "z")
        commands.append("".join(steps))
    return "".join(commands)


def _decimal(tenths: int) -> str:
    """Write a number of tenths as a short decimal: 15 -> 1.5, -3 -> -.3."""
    text = f"{tenths / 10:g}"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def make_world(source: Path) -> dict[str, Any]:
    """Read the TopoJSON files in `source` and return the world.json document."""
    canvas = Canvas()
    shapes: dict[str, list[Ring]] = {}

    # The 1:110m shapes: every country large enough to draw.
    topology = json.loads((source / "countries-110m.json").read_text("utf-8"))
    arcs = decode_arcs(topology)
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = country_code(geometry)
        if code is None or code in LEFT_OUT:
            continue
        for polygon in polygons(geometry, arcs):
            for ring in polygon:
                shapes.setdefault(code, []).extend(
                    [canvas.point(lon, lat) for lon, lat in piece]
                    for piece in split_at_antimeridian(ring)
                )

    # Markers: tiny drawn countries, then those only the 1:50m scale has.
    markers: dict[str, Point] = {}
    for code, rings in shapes.items():
        # Ring by ring: Fiji's islands lie on both edges of the map.
        if max(ring_size(ring) for ring in rings) < SMALL_COUNTRY:
            markers[code] = largest_centroid(rings)
    detailed = json.loads((source / "countries-50m.json").read_text("utf-8"))
    detailed_arcs = decode_arcs(detailed)
    for geometry in detailed["objects"]["countries"]["geometries"]:
        code = country_code(geometry)
        if code is None or code in shapes or code in LEFT_OUT:
            continue
        exteriors = [polygon[0] for polygon in polygons(geometry, detailed_arcs)]
        markers.setdefault(code, canvas.point(*largest_centroid(exteriors)))
    for code, (longitude, latitude) in EXTRA_MARKERS.items():
        markers.setdefault(code, canvas.point(longitude, latitude))

    return {
        "source": "Natural Earth 1:110m and 1:50m via world-atlas 2.0.2",
        "viewBox": f"0 0 {WIDTH:g} {canvas.height:g}",
        "countries": {code: path_data(shapes[code]) for code in sorted(shapes)},
        "markers": {
            code: [round(x, 1), round(y, 1)] for code, (x, y) in sorted(markers.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of the world-atlas package")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args()
    world = make_world(arguments.source)
    arguments.output.write_text(
        json.dumps(world, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8"
    )
    print(
        f"{arguments.output}: {len(world['countries'])} countries, "
        f"{len(world['markers'])} markers, {arguments.output.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()

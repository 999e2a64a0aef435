"""The offline world map: shapes, links, colours, hover titles, escaping."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from render.data.make_world import (
    clip_ring,
    natural_earth,
    path_data,
    split_at_antimeridian,
)
from render.worldmap import (
    NO_PROJECT_FILL,
    PALETTE,
    WORLD_FILE,
    class_bounds,
    class_fill,
    legend_entries,
    load_world,
    world_map_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {"SN": "Sénégal", "CI": "Côte d’Ivoire", "SG": "Singapour", "FR": "France"}


def draw(counts: dict[str, int], **options: object) -> ET.Element:
    markup = world_map_svg(
        counts,
        href=lambda code: f"../pays/{code.lower()}/",
        label=lambda code: NAMES.get(code, code),
        **options,  # type: ignore[arg-type]
    )
    return ET.fromstring(markup)


def linked(figure: ET.Element) -> list[ET.Element]:
    return [a for a in figure.iter(f"{SVG}a") if a.get("class") == "has-projects"]


def test_geometry_file_is_small_and_covers_the_countries_of_the_world() -> None:
    world = load_world()

    assert WORLD_FILE.stat().st_size < 250_000
    assert len(world.countries) >= 170
    for code in ("SN", "CI", "BR", "FR", "CN", "RU", "FJ", "XK"):
        assert code in world.countries, code
    assert "AQ" not in world.countries
    assert re.fullmatch(r"0 0 1000 [\d.]+", world.view_box)


def test_every_path_stays_inside_the_view_box() -> None:
    world = load_world()
    width, height = (float(n) for n in world.view_box.split()[2:])

    for code, path in world.countries.items():
        for ring in path.split("M")[1:]:
            start, _, moves = ring.partition("l")
            x, y = (float(n) for n in start.split())
            numbers = [float(n) for n in moves.rstrip("z").split()]
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                x, y = x + dx, y + dy
                # Rounding to a tenth may step a hair outside.
                assert -0.5 <= x <= width + 0.5, code
                assert -0.5 <= y <= height + 0.5, code


def test_small_countries_have_markers_where_the_map_cannot_show_them() -> None:
    world = load_world()

    for code in ("SG", "MT", "BH", "MU", "CV", "KM", "LU", "RE", "FJ"):
        assert code in world.markers, code
    assert "BR" not in world.markers


def test_each_country_with_projects_is_one_coloured_link_to_its_page() -> None:
    figure = draw({"SN": 12, "CI": 1, "BR": 3, "SG": 2})

    links = {a.get("data-country"): a for a in linked(figure)}
    assert set(links) == {"SN", "CI", "BR", "SG"}
    assert links["SN"].get("href") == "../pays/sn/"
    shape = links["SN"].find(f"{SVG}path")
    assert shape is not None
    assert shape.get("fill") in PALETTE


def test_hover_title_gives_the_french_name_and_count() -> None:
    figure = draw({"SN": 12, "CI": 1, "BR": 1234})

    titles = {a.get("data-country"): a.findtext(f"{SVG}title") for a in linked(figure)}
    assert titles["SN"] == "Sénégal\u00a0: 12 projets"
    assert titles["CI"] == "Côte d’Ivoire\u00a0: 1 projet"
    assert titles["BR"] == "BR\u00a0: 1\u202f234 projets"


def test_countries_without_projects_are_grey_and_not_links() -> None:
    figure = draw({"SN": 2})

    grey = [p for p in figure.iter(f"{SVG}path") if p.get("class") == "no-projects"]
    assert len(grey) == len(load_world().countries) - 1
    assert all(p.get("fill") == NO_PROJECT_FILL for p in grey)
    assert len(list(figure.iter(f"{SVG}a"))) == 1


def test_country_too_small_to_see_is_drawn_as_a_clickable_dot() -> None:
    figure = draw({"SG": 4})

    (link,) = linked(figure)
    marker = link.find(f"{SVG}circle")
    assert marker is not None
    assert marker.get("fill") in PALETTE


def test_country_missing_from_the_geometry_is_listed_under_the_map() -> None:
    figure = draw({"SN": 1, "ZZ": 3})

    assert [a.get("data-country") for a in linked(figure)] == ["SN"]
    caption = ET.tostring(figure.find("figcaption"), encoding="unicode")  # type: ignore[arg-type]
    assert "Hors de la carte" in caption
    assert 'href="../pays/zz/"' in caption
    assert "3 projets" in caption


def test_more_projects_get_a_darker_colour() -> None:
    counts = {"SN": 1, "CI": 3, "BR": 12, "FR": 40, "CN": 200, "IN": 900}
    figure = draw(counts)

    fills = {
        a.get("data-country"): a.find(f"{SVG}path").get("fill")  # type: ignore[union-attr]
        for a in linked(figure)
    }
    ranks = [PALETTE.index(fills[code]) for code in sorted(counts, key=counts.get)]  # type: ignore[arg-type]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0
    assert ranks[-1] == len(PALETTE) - 1


def test_class_bounds_are_round_numbers_and_at_most_five() -> None:
    bounds = class_bounds([1, 2, 3, 7, 8, 13, 27, 45, 61, 130, 480, 950])

    assert bounds[0] == 1
    assert len(bounds) <= len(PALETTE)
    assert bounds == sorted(set(bounds))
    assert all(str(b).strip("0") in {"1", "2", "3", "5"} for b in bounds)


def test_small_counts_get_one_class_each() -> None:
    assert class_bounds([1, 2, 2, 3]) == [1, 2, 3]
    assert class_fill(1, [1, 2, 3]) == PALETTE[0]
    assert class_fill(3, [1, 2, 3]) == PALETTE[-1]


def test_legend_says_each_class_in_french_then_no_project() -> None:
    entries = legend_entries([1, 3, 10], highest=40)

    assert [text for _, text in entries] == [
        "1 à 2 projets",
        "3 à 9 projets",
        "10 projets et plus",
        "aucun projet",
    ]
    assert entries[-1][0] == NO_PROJECT_FILL
    assert legend_entries([1], highest=1)[0][1] == "1 projet"


def test_map_is_labelled_for_screen_readers_and_ignored_by_search() -> None:
    figure = draw({"SN": 2}, title="Où sont les projets")

    assert figure.get("data-pagefind-ignore") == "all"
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    titles = {e.get("id"): e.text for e in svg if e.get("id")}
    assert titles[title_id] == "Où sont les projets"
    assert "1 pays a au moins un projet" in titles[desc_id]  # type: ignore[operator]
    assert figure.find("figcaption/ul[@class='drc-legend']") is not None


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "a & b"],
)
def test_names_and_links_from_data_are_escaped(hostile: str) -> None:
    markup = world_map_svg(
        {"SN": 1, "ZZ": 1},
        href=lambda code: f"../pays/{hostile}/",
        label=lambda code: hostile,
        title=hostile,
    )

    figure = ET.fromstring(markup)  # still well-formed XML
    assert "<script" not in markup
    assert "<img" not in markup
    (link,) = linked(figure)
    assert link.get("href") == f"../pays/{hostile}/"
    assert link.findtext(f"{SVG}title") == f"{hostile}\u00a0: 1 projet"


def test_same_counts_give_the_same_bytes() -> None:
    first = world_map_svg({"SN": 2, "CI": 5}, href=str, label=str)
    second = world_map_svg({"CI": 5, "SN": 2}, href=str, label=str)

    assert first == second
    assert json.loads(WORLD_FILE.read_text("utf-8"))["source"].startswith("Natural")


def test_projection_keeps_the_equator_straight_and_the_poles_narrower() -> None:
    west, equator = natural_earth(-180, 0)
    east, _ = natural_earth(180, 0)
    north_west, north = natural_earth(-180, 80)

    assert equator == 0
    assert west == -east
    assert north > 0
    assert abs(north_west) < abs(west)


def test_ring_crossing_the_antimeridian_is_cut_into_one_piece_per_side() -> None:
    fiji_like = [(178.0, -17.0), (-179.0, -17.0), (-179.0, -16.0), (178.0, -16.0)]

    pieces = split_at_antimeridian(fiji_like)

    assert len(pieces) == 2
    for piece in pieces:
        longitudes = [longitude for longitude, _ in piece]
        assert max(longitudes) - min(longitudes) <= 3
    assert {round(abs(lon)) for piece in pieces for lon, _ in piece} >= {180}


def test_ring_away_from_the_antimeridian_is_left_whole() -> None:
    ring = [(-10.0, 10.0), (10.0, 10.0), (10.0, 20.0)]

    assert split_at_antimeridian(ring) == [ring]
    assert clip_ring(ring, 0.0, keep_below=True)[0] == (-10.0, 10.0)


def test_path_data_is_relative_rounded_and_skips_repeated_points() -> None:
    square = [(1.0, 1.0), (2.04, 1.0), (2.04, 1.0), (2.0, 2.0), (1.0, 2.0)]

    assert path_data([square]) == "M1 1l1 0 0 1 -1 0z"
    assert path_data([[(0.0, 0.0), (0.01, 0.0)]]) == ""

"""Server-side plots: bars, the timeline of start dates, French numbers, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from render.charts import (
    bar_chart_svg,
    count_label,
    format_number,
    start_date_counts,
    timeline_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def bars(figure: ET.Element) -> list[ET.Element]:
    return list(figure.iter(f"{SVG}rect"))


def test_bar_lengths_are_proportional_to_counts() -> None:
    figure = ET.fromstring(
        bar_chart_svg([("Soins", 40), ("Formation", 20), ("Autre", 10)], title="T")
    )

    widths = [float(rect.get("width", 0)) for rect in bars(figure)]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    assert widths[1] == pytest.approx(2 * widths[2], rel=0.01)


def test_bars_show_labels_and_french_counts_in_the_given_order() -> None:
    markup = bar_chart_svg([("Afrique de l’Ouest", 1234), ("Europe", 5)], title="T")
    figure = ET.fromstring(markup)

    texts = [t.text for t in figure.iter(f"{SVG}text")]
    assert texts == ["Afrique de l’Ouest", "1\u202f234", "Europe", "5"]
    titles = [g.findtext(f"{SVG}title") for g in figure.iter(f"{SVG}g")]
    assert titles == [
        "Afrique de l’Ouest\u00a0: 1\u202f234 projets",
        "Europe\u00a0: 5 projets",
    ]


def test_bars_link_to_their_pages_when_asked() -> None:
    figure = ET.fromstring(
        bar_chart_svg(
            [("Soins", 3), ("Formation", 1)],
            title="Par domaine",
            href=lambda label: f"../domaines/{label.lower()}/",
        )
    )

    links = [a.get("href") for a in figure.iter(f"{SVG}a")]
    assert links == ["../domaines/soins/", "../domaines/formation/"]
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert svg.get("role") == "group"


def test_long_label_is_shortened_on_the_bar_but_whole_in_its_title() -> None:
    label = "Programme " + "très long " * 20
    figure = ET.fromstring(bar_chart_svg([(label, 2)], title="T"))

    shown = next(figure.iter(f"{SVG}text")).text or ""
    assert shown.endswith("…")
    assert len(shown) <= 70
    assert figure.findtext(f".//{SVG}g/{SVG}title") == f"{label}\u00a0: 2 projets"


def test_chart_has_a_title_a_description_and_a_data_table() -> None:
    figure = ET.fromstring(bar_chart_svg([("Soins", 3)], title="Par domaine"))

    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    ids = {element.get("id"): element.text for element in svg}
    assert ids[title_id] == "Par domaine"
    assert ids[desc_id] == "Soins\u00a0: 3 projets."
    assert figure.get("data-pagefind-ignore") == "all"
    rows = [
        [cell.text for cell in row] for row in figure.iterfind("details/table/tbody/tr")
    ]
    assert rows == [["Soins", "3"]]


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}"],
)
def test_labels_and_links_from_data_are_escaped(hostile: str) -> None:
    markup = bar_chart_svg(
        [(hostile, 1)], title=hostile, href=lambda label: f"x/{label}"
    ) + timeline_svg({"2025": 1}, title=hostile)

    assert "<script" not in markup
    assert "<img" not in markup
    figure = ET.fromstring(str(markup).split("</figure>")[0] + "</figure>")
    assert next(figure.iter(f"{SVG}a")).get("href") == f"x/{hostile}"
    assert next(figure.iter(f"{SVG}text")).text == hostile


def test_timeline_fills_missing_years_with_empty_columns() -> None:
    figure = ET.fromstring(timeline_svg({"2027": 2, "2024": 5}, title="Débuts"))

    periods = [g.findtext(f"{SVG}title") for g in figure.iter(f"{SVG}g")]
    assert periods == [
        "2024\u00a0: 5 projets",
        "2025\u00a0: 0 projet",
        "2026\u00a0: 0 projet",
        "2027\u00a0: 2 projets",
    ]
    heights = [float(r.get("height", 0)) for r in figure.iter(f"{SVG}rect")]
    assert heights[1] == heights[2] == 0
    assert heights[0] == pytest.approx(heights[3] * 5 / 2)


def test_timeline_by_quarter_is_labelled_in_french() -> None:
    figure = ET.fromstring(timeline_svg({"2025-Q4": 1, "2026-Q2": 3}, title="T"))

    rows = [[c.text for c in row] for row in figure.iterfind("details/table/tbody/tr")]
    assert rows == [["T4 2025", "1"], ["T1 2026", "0"], ["T2 2026", "3"]]


def test_empty_data_says_so_instead_of_an_empty_plot() -> None:
    for markup in (bar_chart_svg([], title="Rien"), timeline_svg({}, title="Rien")):
        figure = ET.fromstring(markup)
        assert figure.find(f"{SVG}svg") is None
        assert figure.findtext("p") == "Aucune donnée."


def test_start_dates_are_counted_for_ongoing_and_planned_projects_only() -> None:
    projects: list[dict[str, str | None]] = [
        {"status": "ongoing", "start_date": "2024-03-01"},
        {"status": "planned", "start_date": "2027-11-15"},
        {"status": "planned", "start_date": "2027-01-15"},
        {"status": "ended", "start_date": "2019-01-01"},
        {"status": "ongoing", "start_date": None},
        {"status": "ongoing", "start_date": "pas une date"},
    ]

    assert start_date_counts(projects) == {"2024": 1, "2027": 2}
    assert start_date_counts(projects, period="quarter") == {
        "2024-Q1": 1,
        "2027-Q1": 1,
        "2027-Q4": 1,
    }


def test_numbers_and_plurals_are_french() -> None:
    assert format_number(1234567) == "1\u202f234\u202f567"
    assert count_label(0) == "0 projet"
    assert count_label(1) == "1 projet"
    assert count_label(2) == "2 projets"


def test_same_data_gives_the_same_bytes() -> None:
    assert bar_chart_svg([("a", 1)], title="t") == bar_chart_svg([("a", 1)], title="t")

"""The public site in a real browser: Debian's headless Chromium, driven by Playwright.

The site is built from workbooks through the whole pipeline (ingestion, the
warehouse, `render.build.build_site`) and served over HTTP on loopback. The
browser may reach nothing else: every request to another host is refused and
recorded, and the tests check that there was none, so the map, the plots and
the search are proven to work offline.

Screenshots of the home page, a project and a search are written to the folder
named by `DRCOOPER_SCREENSHOTS`, else to a temporary folder printed by the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Route,
    expect,
    sync_playwright,
)

from bot.config import Settings, load_settings
from bot.ingest import Ingestor
from bot.projects import merged_projects, visible_projects
from bot.warehouse import Warehouse
from render.build import build_site
from render.search import SYNONYM_MARK
from tests.conftest import TODAY, make_workbook, write_settings
from tests.sitetools import served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The page's own content, where Pagefind indexes (Material wraps it in another article).
BODY = "article[data-pagefind-body]"
# Pagefind loads its index in the browser; allow for a slow machine.
SEARCH_TIMEOUT_MS = 15_000

HEADER = [
    "Titre",
    "Description",
    "Pays",
    "Partenaires",
    "Domaines",
    "Date de début",
    "Date de fin",
    "Confidentiel",
]
# Each project's words are chosen so that only a synonym can find it.
PROJECTS = [
    [
        "Lutte contre le paludisme à Dakar",
        "Moustiquaires et diagnostic rapide du paludisme chez l'enfant.",
        "Sénégal",
        "Université Cheikh Anta Diop",
        "Veille sanitaire",
        "2025-01-01",
        "2028-12-31",
        "non",
    ],
    [
        "Appui normatif à Genève",
        "Rédaction de lignes directrices sur la chirurgie pédiatrique.",
        "Suisse",
        "Organisation mondiale de la santé",
        "Qualité des soins",
        "2026-03-01",
        "2029-01-01",
        "non",
    ],
    [
        "Cohorte d'Abidjan",
        "A cohort of adults living with HIV in Ivory Coast.",
        "Ivory Coast",
        "Centre hospitalier universitaire de Treichville",
        "Recherche clinique",
        "2026-02-01",
        "2029-01-01",
        "non",
    ],
    [
        "Prévention à Yaoundé",
        "Dépistage du sida chez les jeunes et accompagnement des familles.",
        "Cameroun",
        "Hôpital central de Yaoundé",
        "Soins",
        "2027-01-01",
        "2030-06-30",
        "non",
    ],
    [
        "Télé-expertise en oncologie",
        "Avis à distance sur les dossiers de cancérologie pédiatrique.",
        "Singapour",
        "National University Hospital",
        "Santé numérique",
        "2026-06-01",
        "2028-06-01",
        "non",
    ],
    [
        "Projet réservé aux ministères",
        "Texte confidentiel sur la coopération.",
        "Brésil",
        "Fiocruz",
        "Soins",
        "2026-01-01",
        "2027-06-30",
        "oui",
    ],
    [
        "Ancien jumelage à Lima",
        "Projet achevé de formation des infirmiers.",
        "Pérou",
        "Hospital Nacional Dos de Mayo",
        "Formation",
        "2012-01-01",
        "2016-12-31",
        "non",
    ],
]
# The countries the public map must colour: not the confidential project's
# (Brazil), not the ended one's (Peru).
MAPPED = {"SN", "CH", "CI", "CM", "SG"}

SYNONYM_SEARCHES = [
    ("malaria", ["Lutte contre le paludisme à Dakar"]),
    ("OMS", ["Appui normatif à Genève"]),
    ("VIH", ["Cohorte d'Abidjan", "Prévention à Yaoundé"]),
    ("Côte d'Ivoire", ["Cohorte d'Abidjan"]),
    ("senegal", ["Lutte contre le paludisme à Dakar"]),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    """Build the public site from a workbook, through the whole pipeline."""
    folder = tmp_path_factory.mktemp("browser")
    settings = load_settings(write_settings(folder, "  inserm:\n    name: Inserm\n"))
    ingestor = Ingestor(settings)
    workbook = make_workbook(folder / "projets.xlsx", [HEADER, *PROJECTS])
    result = ingestor.ingest(workbook, actor="chu-lyon", source="test")
    ingestor.warehouse.close()
    assert result.report.to_dict()["outcome"] == "accepted", result.report.to_text()

    build_site(settings, "public", today=TODAY)
    return settings, settings.public_build.resolve()


@pytest.fixture(scope="module")
def server(site: tuple[Settings, Path]) -> Iterator[str]:
    with served(site[1]) as address:
        yield address


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        "Debian's chromium is missing: run scripts/install-system-packages"
    )
    with sync_playwright() as playwright:
        yield playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page that may only talk to loopback; other requests are recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    elsewhere: list[str] = []

    def route(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert elsewhere == [], f"requests to other sites: {elsewhere}"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("DRCOOPER_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder


def public_countries(settings: Settings) -> set[str]:
    """Return the countries of the projects the public map shows."""
    with Warehouse(settings.warehouse) as warehouse:
        projects = visible_projects(merged_projects(warehouse, TODAY), "public")
    return {
        code
        for project in projects
        if project["status"] != "ended"
        for code in project["countries"]
    }


def search(page: Page, server: str, query: str) -> list[str]:
    """Type a query in Pagefind's UI and return the titles of the results."""
    page.goto(f"{server}recherche/")
    box = page.locator(".pagefind-ui__search-input")
    box.fill(query)
    results = page.locator(".pagefind-ui__result-link")
    expect(results.first).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    # The message is written once the results for this very query are in.
    expect(page.locator(".pagefind-ui__message")).to_contain_text(
        query, timeout=SEARCH_TIMEOUT_MS
    )
    return [text.strip() for text in results.all_inner_texts()]


def test_map_colours_one_shape_per_country_with_public_projects(
    page: Page, server: str, site: tuple[Settings, Path], screenshots: Path
) -> None:
    page.goto(server)

    countries = page.locator("svg.drc-worldmap-svg a.has-projects")
    expect(countries.first).to_be_visible()
    drawn = {link.get_attribute("data-country") for link in countries.all()}
    assert drawn == public_countries(site[0]) == MAPPED
    for link in countries.all():
        box = link.bounding_box()
        assert box is not None
        assert box["width"] > 0
        assert box["height"] > 0
        fill = link.locator("path, circle").first.evaluate(
            "shape => getComputedStyle(shape).fill"
        )
        assert fill not in ("none", "rgb(217, 217, 217)"), fill
    page.screenshot(path=screenshots / "accueil.png", full_page=True)


def test_hovering_a_country_names_it_with_its_count(page: Page, server: str) -> None:
    page.goto(server)

    senegal = page.locator('svg.drc-worldmap-svg a[data-country="SN"]')
    assert senegal.locator("title").text_content() == "Sénégal\u00a0: 1 projet"


def test_clicking_a_country_opens_its_page(page: Page, server: str) -> None:
    page.goto(server)

    page.locator('svg.drc-worldmap-svg a[data-country="SN"]').click()

    expect(page).to_have_url(f"{server}pays/sn/")
    expect(page.locator(f"{BODY} h1")).to_contain_text("Sénégal")
    expect(page.locator(BODY)).to_contain_text("Lutte contre le paludisme à Dakar")


def test_small_country_is_a_dot_that_opens_its_page(page: Page, server: str) -> None:
    page.goto(server)

    dot = page.locator('svg.drc-worldmap-svg a[data-country="SG"] circle')
    expect(dot).to_be_visible()
    dot.click()

    expect(page).to_have_url(f"{server}pays/sg/")


@pytest.mark.parametrize(("query", "expected"), SYNONYM_SEARCHES)
def test_search_finds_projects_by_synonym(
    page: Page, server: str, query: str, expected: list[str]
) -> None:
    titles = search(page, server, query)

    for title in expected:
        assert title in titles, f"{query!r} did not find {title!r}: {titles}"
    excerpts = page.locator(".pagefind-ui__result-excerpt").all_inner_texts()
    assert not [text for text in excerpts if SYNONYM_MARK in text]


def test_search_and_project_pages_show_no_hidden_synonym(
    page: Page, server: str, screenshots: Path
) -> None:
    search(page, server, "malaria")
    page.screenshot(path=screenshots / "recherche.png", full_page=True)

    page.locator(".pagefind-ui__result-link").first.click()
    expect(page.locator(f"{BODY} h1")).to_contain_text("paludisme")
    shown = page.locator(BODY).inner_text()
    assert "malaria" not in shown.casefold()
    assert SYNONYM_MARK not in shown
    page.screenshot(path=screenshots / "projet.png", full_page=True)

    for name in ("accueil.png", "recherche.png", "projet.png"):
        if (screenshots / name).exists():
            assert (screenshots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_restricted_build_draws_its_map_offline_too(
    page: Page, site: tuple[Settings, Path]
) -> None:
    settings = site[0]
    build_site(settings, "restricted", today=TODAY)

    with served(settings.restricted_build.resolve()) as address:
        page.goto(address)
        countries = page.locator("svg.drc-worldmap-svg a.has-projects")
        expect(countries.first).to_be_visible()
        drawn = {link.get_attribute("data-country") for link in countries.all()}

    # The confidential project's country is on the ministries' map.
    assert drawn == MAPPED | {"BR"}


def test_search_shows_ended_projects_only_when_asked(page: Page, server: str) -> None:
    page.goto(f"{server}recherche/")
    page.locator(".pagefind-ui__search-input").fill("Lima")
    message = page.locator(".pagefind-ui__message")
    expect(message).to_contain_text("Lima", timeout=SEARCH_TIMEOUT_MS)
    results = page.locator(".pagefind-ui__result-link")
    assert "Ancien jumelage à Lima" not in results.all_inner_texts()

    # Unticking the current period, ticked when the page opens, brings the
    # archived project back.
    page.locator("summary", has_text="période").click()
    page.get_by_label(re.compile("En cours ou prévus")).uncheck()

    expect(results.first).to_have_text(
        "Ancien jumelage à Lima", timeout=SEARCH_TIMEOUT_MS
    )

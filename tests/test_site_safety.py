"""Contributor text is shown as text on the site, never run as markup or code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.ingest import Ingestor
from render.build import build_site, json_script
from render.pages import safe_url
from tests.conftest import TODAY, make_workbook, write_settings
from tests.sitetools import article, parse_page, query_pagefind

SCRIPT_TITLE = '<script>alert("titre")</script> Vaccination'
IMAGE = "<img src=x onerror=alert(2)>"
LINK = "[cliquez](javascript:alert(3))"
TEMPLATE = "{{ 7*7 }} {% raw %} {%"
HEADING = "# Titre piégé"

DESCRIPTION = f"{HEADING}\n\n{LINK}\n{TEMPLATE}\n</div></article><b>gras</b>\n{IMAGE}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("safety")
    # Contacts and unrecognised columns are public here, so that their text
    # is rendered too.
    settings = load_settings(
        write_settings(folder, "confidentiality:\n  always_confidential: []\n")
    )
    header = ["Titre", "Description", "Pays", "Partenaires", "Domaines"]
    header += ["Date de début", "Date de fin", "Site web", "Contact", "<i>Note</i>"]
    rows = [
        header,
        [
            SCRIPT_TITLE,
            DESCRIPTION,
            "Sénégal",
            IMAGE,
            "Soins",
            "2026-01-01",
            "2028-01-01",
            "javascript:alert(4)",
            "javascript:alert(5)",
            "{{ config }} <svg onload=alert(6)>",
        ],
    ]
    ingestor = Ingestor(settings)
    ingestor.ingest(
        make_workbook(folder / "piege.xlsx", rows), actor="chu-lyon", source="test"
    )
    ingestor.warehouse.close()
    build_site(settings, "public", today=TODAY)
    return settings.public_build


@pytest.fixture(scope="module")
def project_page(site: Path) -> Path:
    pages = [
        path
        for path in (site / "projets").glob("*/index.html")
        if "Vaccination" in path.read_text(encoding="utf-8")
    ]
    assert len(pages) == 1
    return pages[0]


def _all_tags(site: Path) -> list[tuple[Path, str, dict[str, str | None]]]:
    return [
        (page, tag, attrs)
        for page in site.rglob("*.html")
        for tag, attrs in parse_page(page).tags
    ]


def test_no_contributor_markup_becomes_an_element(site: Path) -> None:
    for page, tag, attrs in _all_tags(site):
        assert not any(name.startswith("on") for name in attrs), (page, tag, attrs)
        assert tag not in ("img", "svg") or "onerror" not in attrs
        if tag == "script":
            assert attrs.get("src") is None or "alert" not in str(attrs["src"])
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html, page
        assert "<b>gras</b>" not in html, page
        assert "<i>Note</i>" not in html, page


def test_links_are_only_http_https_or_mailto(site: Path) -> None:
    for page, _tag, attrs in _all_tags(site):
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:")), page


def test_contributor_text_is_shown_literally(project_page: Path) -> None:
    collector = parse_page(project_page)
    text = "".join(collector.text)
    for literal in [SCRIPT_TITLE, IMAGE, LINK, "{{ 7*7 }} {% raw %} {%", HEADING]:
        assert literal in text, literal
    assert "{{ config }} <svg onload=alert(6)>" in text
    assert "<i>Note</i>" in text
    headings = [tag for tag, _ in collector.tags if tag in ("h1", "h2", "h3")]
    assert headings.count("h1") == 1
    assert "Titre piégé" not in [
        piece.strip() for piece in collector.text if piece.strip() == "Titre piégé"
    ]


def test_the_article_is_not_closed_by_contributor_text(project_page: Path) -> None:
    body = article(project_page)
    assert "&lt;/div&gt;&lt;/article&gt;&lt;b&gt;gras&lt;/b&gt;" in body
    assert "Déclaré par" in body


def test_page_title_is_escaped_in_the_head(project_page: Path) -> None:
    html = project_page.read_text(encoding="utf-8")
    assert "<title>&lt;script&gt;alert(&#34;titre&#34;)&lt;/script&gt;" in html or (
        "<title>&lt;script&gt;alert(&quot;titre&quot;)&lt;/script&gt;" in html
    )


def test_pagefind_keeps_contributor_text_as_data(site: Path, tmp_path: Path) -> None:
    answer = query_pagefind(site, ["Vaccination"], tmp_path)
    results = answer["results"]["Vaccination"]
    project = next(r for r in results if r["url"].count("/projets/"))
    assert project["meta"]["title"] == SCRIPT_TITLE
    assert "<script>" not in project["excerpt"]
    assert answer["filters"]["statut"] == {"En cours": 1}


def test_json_in_a_script_cannot_end_it() -> None:
    value = {"text": "</script><script>alert(1)</script>\u2028&"}
    text = str(json_script(value))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text
    assert json.loads(text) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("HTTP://example.org", "HTTP://example.org"),
        ("jean.dupont@chu.fr", "mailto:jean.dupont@chu.fr"),
        ("mailto:jean.dupont@chu.fr", "mailto:jean.dupont@chu.fr"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,<b>", None),
        ("//evil.example.org", None),
        ("https://exa mple.org", None),
        ("", None),
    ],
)
def test_only_http_https_and_mail_addresses_become_links(
    value: str, expected: str | None
) -> None:
    assert safe_url(value) == expected

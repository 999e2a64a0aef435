"""The leak scan: which values are secret, and finding them in every file kind."""

from __future__ import annotations

import gzip
import html
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.projects import merged_projects, visible_projects
from render.exceptions import LeakFound
from render.exports import to_csv, to_json, write_xlsx
from render.leakscan import confidential_values, find_leaks

from .conftest import TODAY

# Canaries: values that exist nowhere else, so a hit can only be a leak.
SECRET_TITLE = "Vaccin Zorglubium au Kivu"
SECRET_PARTNER = "Clinique Orbitale de Bukavu"
SECRET_CONTACT = "jeanne.canari@example.org"
SHARED_PARTNER = "Institut Pasteur de Dakar"

ROWS = [
    [
        "Titre",
        "Description",
        "Pays",
        "Partenaires",
        "Budget",
        "Contact",
        "Confidentiel",
    ],
    [
        "Dépistage du paludisme",
        "Formation des équipes de Thiès au dépistage rapide.",
        "Sénégal",
        SHARED_PARTNER,
        "987 654 €",
        SECRET_CONTACT,
        "non",
    ],
    [
        SECRET_TITLE,
        "Essai d'un vaccin l'hôpital général, phase II, avec des équipes locales.",
        "RDC",
        f"{SECRET_PARTNER}; {SHARED_PARTNER}",
        "",
        "",
        "oui",
    ],
]


def project(**fields: Any) -> dict[str, Any]:
    """Return a merged project with every canonical field."""
    base: dict[str, Any] = {
        "id": "projet",
        "title": "Projet",
        "description": None,
        "french_actors": ["CHU de Lyon"],
        "partners": [],
        "countries": [],
        "domains": [],
        "start_date": None,
        "end_date": None,
        "status": "ongoing",
        "funding": None,
        "funders": [],
        "contact": None,
        "url": None,
        "keywords": [],
        "confidential": False,
        "confidential_fields": [],
        "reported_by": ["chu-lyon"],
        "updated_at": "2026-12-01",
        "extra": {},
    }
    return base | fields


SECRET_PROJECT = project(
    id="vaccin-zorglubium-au-kivu",
    title=SECRET_TITLE,
    description="Essai clinique. Les équipes de Goma recrutent 400 enfants.",
    partners=[
        {"name": SECRET_PARTNER, "country": "CD"},
        {"name": SHARED_PARTNER, "country": "SN"},
    ],
    countries=["CD"],
    domains=["recherche-clinique"],
    keywords=["vaccin", "paludisme"],
    confidential=True,
)
PUBLIC_PROJECT = project(
    id="depistage",
    title="Dépistage du paludisme",
    partners=[{"name": SHARED_PARTNER, "country": "SN"}],
    countries=["SN"],
    keywords=["paludisme"],
    funding=987654.0,
    contact=SECRET_CONTACT,
    extra={"Notes (confidentiel)": "Négociation avec le bailleur en cours"},
    confidential_fields=["contact", "funding", "extra.Notes (confidentiel)"],
)


def test_confidential_project_gives_its_texts_and_id() -> None:
    values = confidential_values([SECRET_PROJECT, PUBLIC_PROJECT])

    assert SECRET_TITLE in values
    assert SECRET_PARTNER in values
    assert "vaccin-zorglubium-au-kivu" in values
    assert "Les équipes de Goma recrutent 400 enfants" in values


def test_confidential_fields_of_a_public_project_are_secret() -> None:
    values = confidential_values([SECRET_PROJECT, PUBLIC_PROJECT])

    assert SECRET_CONTACT in values
    assert {"987654", "987 654", "987,654"} <= values
    assert "Négociation avec le bailleur en cours" in values
    assert "Dépistage du paludisme" not in values


def test_values_shown_by_public_projects_are_not_secrets() -> None:
    values = confidential_values([SECRET_PROJECT, PUBLIC_PROJECT])

    # A partner shared with a public project, a keyword a public project has,
    # country and domain codes, and words too short to mean a project.
    assert SHARED_PARTNER not in values
    assert "paludisme" not in values
    assert not {"CD", "SN", "recherche-clinique", "CHU de Lyon"} & values
    assert "vaccin" in values
    assert all(len(value) >= 5 for value in values)


def test_values_of_hand_written_public_pages_are_not_secrets() -> None:
    values = confidential_values(
        [SECRET_PROJECT], public_texts=[f"Nos partenaires : {SECRET_PARTNER}."]
    )

    assert SECRET_PARTNER not in values
    assert SECRET_TITLE in values


def write_site(folder: Path, pages: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def page(body: str) -> str:
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Projet</title></head><body><main data-pagefind-body>{body}"
        "</main></body></html>"
    )


def clean_site(folder: Path) -> Path:
    """Write a public build of the public project only, with a Pagefind index."""
    public = visible_projects([SECRET_PROJECT, PUBLIC_PROJECT], "public")
    site = write_site(
        folder,
        {
            "index.html": page(
                f"<h1>{html.escape(PUBLIC_PROJECT['title'])}</h1>"
                f'<p data-pagefind-filter="partenaire">{SHARED_PARTNER}</p>'
            ),
            "projets.json": to_json(public),
            "projets.csv": to_csv(public),
            "sitemap.xml": "<urlset><url><loc>https://x.fr/depistage/</loc></url>"
            "</urlset>",
        },
    )
    write_xlsx(public, site / "projets.xlsx")
    (site / "sitemap.xml.gz").write_bytes(
        gzip.compress((site / "sitemap.xml").read_bytes())
    )
    run_pagefind(site)
    return site


def run_pagefind(site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(site)],
        check=True,
        capture_output=True,
    )


def leaked(site: Path) -> dict[str, set[str]]:
    """Return the leaked values by file (zip parts as `file!part`)."""
    found: dict[str, set[str]] = {}
    values = confidential_values([SECRET_PROJECT, PUBLIC_PROJECT])
    for leak in find_leaks(site, values):
        name = f"{leak.path}!{leak.part}" if leak.part else str(leak.path)
        found.setdefault(name, set()).add(leak.value)
    return found


def test_clean_public_build_has_no_leak(tmp_path: Path) -> None:
    site = clean_site(tmp_path / "site")

    assert any(site.glob("pagefind/fragment/*.pf_fragment"))
    assert leaked(site) == {}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("projet.html", page(f"<p>{SECRET_TITLE.upper()}</p>")),
        ("carte.js", f"const partners = ['{SECRET_PARTNER}'];"),
        ("data.json", json.dumps({"contact": SECRET_CONTACT})),
        ("sitemap.xml", "<loc>https://x.fr/vaccin-zorglubium-au-kivu/</loc>"),
        ("projets.csv", f"title,contact\r\nA,{SECRET_CONTACT}\r\n"),
        ("budget.html", page("<td>987\u202f654,00\u00a0€</td>")),
    ],
)
def test_scan_finds_a_canary_planted_in_each_text_file_kind(
    tmp_path: Path, name: str, text: str
) -> None:
    site = clean_site(tmp_path / "site")
    (site / name).write_text(text, encoding="utf-8")

    assert set(leaked(site)) == {name}


@pytest.mark.parametrize(
    "escaped",
    [
        html.escape("Essai d'un vaccin", quote=True).replace("&#x27;", "&#39;"),
        "Essai d&rsquo;un vaccin",
        json.dumps("Clinique Orbitale de Bukavu é")[1:-1].replace(" ", "\\u0020"),
        json.dumps(f"{SECRET_PARTNER}", ensure_ascii=True),
        "Clinique%20Orbitale%20de%20Bukavu",
        "Clinique&nbsp;Orbitale&#160;de  Bukavu",
    ],
)
def test_scan_finds_html_json_and_url_escaped_forms(
    tmp_path: Path, escaped: str
) -> None:
    values = ["Essai d'un vaccin", SECRET_PARTNER]
    site = write_site(tmp_path / "site", {"page.html": f"<p>{escaped}</p>"})

    leaks = find_leaks(site, values)

    assert [leak.path for leak in leaks] == [Path("page.html")]


def test_scan_finds_a_json_escaped_accent(tmp_path: Path) -> None:
    site = write_site(
        tmp_path / "site",
        {"carte.js": "var p = " + json.dumps({"t": "Négociation secrète"}) + ";"},
    )

    [leak] = find_leaks(site, ["Négociation secrète"])

    assert "\\u00e9" in (site / "carte.js").read_text()
    assert leak.value == "Négociation secrète"


def test_scan_finds_a_canary_in_the_compressed_sitemap(tmp_path: Path) -> None:
    site = clean_site(tmp_path / "site")
    (site / "sitemap.xml.gz").write_bytes(
        gzip.compress(b"<loc>https://x.fr/vaccin-zorglubium-au-kivu/</loc>")
    )

    assert leaked(site) == {"sitemap.xml.gz": {"vaccin-zorglubium-au-kivu"}}


def test_scan_finds_a_canary_inside_an_xlsx_part(tmp_path: Path) -> None:
    site = clean_site(tmp_path / "site")
    write_xlsx([SECRET_PROJECT], site / "projets.xlsx")

    found = leaked(site)

    [(name, values)] = found.items()
    assert name.startswith("projets.xlsx!xl/worksheets/")
    assert {SECRET_TITLE, SECRET_PARTNER} <= values


def test_scan_finds_canaries_inside_pagefind_compressed_files(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(
        site,
        {
            "secret.html": page(
                f"<h1>{SECRET_TITLE}</h1>"
                f'<p data-pagefind-filter="partenaire">{SECRET_PARTNER}</p>'
            )
        },
    )
    run_pagefind(site)
    # Only Pagefind's gzip files still hold the canaries once the page is gone.
    (site / "secret.html").write_text(page("<p>Rien.</p>"), encoding="utf-8")
    assert SECRET_TITLE.encode() not in b"".join(
        path.read_bytes() for path in site.rglob("*") if path.is_file()
    )

    found = leaked(site)

    fragments = [name for name in found if name.endswith(".pf_fragment")]
    filters = [name for name in found if name.endswith(".pf_filter")]
    indexes = [name for name in found if name.endswith(".pf_index")]
    assert len(fragments) == 1
    assert {SECRET_TITLE, SECRET_PARTNER} <= found[fragments[0]]
    assert found[filters[0]] == {SECRET_PARTNER}
    # The index holds single words: the one-word id part is found there.
    assert indexes, found
    assert not [name for name in found if name.endswith(".html")]


def test_leak_found_message_names_file_value_and_context(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {"a.html": f"<p>Voir {SECRET_TITLE}.</p>"})

    error = LeakFound(find_leaks(site, [SECRET_TITLE]))

    assert "a.html" in str(error)
    assert f"« {SECRET_TITLE} »" in str(error)
    assert "n'est pas publiée" in str(error)


def test_ingested_confidential_rows_give_the_canaries(
    ingestor: Any, workbook_factory: Any
) -> None:
    path = workbook_factory("projets.xlsx", ROWS)
    ingestor.ingest(path, actor="chu-lyon", source="test")
    projects = merged_projects(ingestor.warehouse, TODAY)

    values = confidential_values(projects)

    assert {SECRET_TITLE, SECRET_PARTNER, SECRET_CONTACT, "987654"} <= values
    assert SHARED_PARTNER not in values


def test_real_public_build_holds_no_canary_and_restricted_build_does(
    settings: Any, ingestor: Any, workbook_factory: Any
) -> None:
    from render.build import build_site

    ingestor.ingest(
        workbook_factory("projets.xlsx", ROWS), actor="chu-lyon", source="test"
    )
    projects = merged_projects(ingestor.warehouse, TODAY)
    values = confidential_values(projects)

    public = build_site(settings, "public", today=TODAY)
    restricted = build_site(settings, "restricted", today=TODAY)

    assert find_leaks(public, values) == []
    in_restricted = {leak.value for leak in find_leaks(restricted, values)}
    assert {SECRET_TITLE, SECRET_PARTNER, SECRET_CONTACT} <= in_restricted
    assert any(public.glob("pagefind/fragment/*.pf_fragment"))


def test_real_public_build_with_a_planted_canary_is_not_published(
    settings: Any,
    ingestor: Any,
    workbook_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from render import build

    ingestor.ingest(
        workbook_factory("projets.xlsx", ROWS), actor="chu-lyon", source="test"
    )
    first = build.build_site(settings, "public", today=TODAY)
    render_site = build.render_site

    def render_with_leak(*args: Any, **kwargs: Any) -> Path:
        site = render_site(*args, **kwargs)
        (site / "index.html").write_text(
            page(f"<p>{SECRET_CONTACT}</p>"), encoding="utf-8"
        )
        return site

    # The real renderer, then one contact planted in the home page.
    monkeypatch.setattr(build, "render_site", render_with_leak)
    with pytest.raises(LeakFound, match=re.escape(SECRET_CONTACT)):
        build.build_site(settings, "public", today=TODAY)

    assert settings.public_build.resolve() == first.resolve()


def test_round_confidential_budgets_do_not_block_publishing(
    settings: Any, ingestor: Any, workbook_factory: Any
) -> None:
    from render.build import build_site

    budgets = [50000, 15000, 300000, 100000, 20000, 10000]
    rows: list[list[Any]] = [["Titre", "Pays", "Budget", "Date de début"]]
    rows += [[f"Projet santé {n}", "Sénégal", b, "2026"] for n, b in enumerate(budgets)]
    ingestor.ingest(
        workbook_factory("budgets.xlsx", rows), actor="chu-lyon", source="t"
    )

    public = build_site(settings, "public", today=TODAY)

    assert {"50000", "300000"} <= confidential_values(
        merged_projects(ingestor.warehouse, TODAY)
    )
    assert any(public.glob("donnees/pays/*.xlsx"))


def test_confidential_cells_holding_the_sites_own_words_do_not_block_publishing(
    settings: Any, ingestor: Any, workbook_factory: Any
) -> None:
    from render.build import build_site

    rows: list[list[Any]] = [
        ["Titre", "Pays", "Date de début", "Date de fin", "Commentaire interne"],
        ["Ancien jumelage", "Sénégal", "2015", "2018", "Terminé"],
        ["Nouveau jumelage", "Mali", "2026", "2028", "Sénégal"],
    ]
    ingestor.ingest(workbook_factory("p.xlsx", rows), actor="chu-lyon", source="t")

    public = build_site(settings, "public", today=TODAY)

    assert "Terminé" in (public / "archives" / "index.html").read_text("utf-8")

"""The public and restricted sites, built from real workbooks through the pipeline."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings, load_settings
from bot.exceptions import ConfigError
from bot.ingest import Ingestor
from bot.mailbox import MailLog
from bot.vocabulary import Vocabulary
from render.build import build_site
from render.leakscan import find_leaks
from tests.conftest import REPOSITORY, TODAY, make_workbook, write_settings
from tests.sitetools import article, parse_page, query_pagefind, result_paths

HEADER = [
    "Titre",
    "Description",
    "Pays",
    "Partenaires",
    "Domaines",
    "Date de début",
    "Date de fin",
    "Budget (confidentiel)",
    "Contact",
    "Confidentiel",
    "Site web",
]

# Values that must never reach the public build.
SECRET_TITLE = "Projet canari Zorglub"
SECRET_PARTNER = "Partenaire Xylophage"
SECRET_CONTACT = "canari.zorglub@example.org"

QUARANTINED_SENDER = "inconnu@pirate.example"

SITE_SETTINGS = (
    "site:\n"
    "  title: Carte des coopérations\n"
    "  contact_address: projets@sante.example.org\n"
    "  shared_folder: /srv/partage/drcooper\n"
    "  url: https://carte.example.org/\n"
    "actors:\n"
    "  chu-lyon:\n"
    "    name: Hospices Civils de Lyon\n"
    "  inserm:\n"
    "    name: Inserm\n"
    "  pasteur:\n"
    "    name: Institut Pasteur\n"
)


def _ingest_examples(settings: Settings, folder: Path) -> None:
    ingestor = Ingestor(settings)
    rows_lyon = [
        HEADER,
        [
            "Lutte contre le paludisme",
            "Renforcer la prise en charge du paludisme chez l'enfant.",
            "Sénégal",
            "Université Cheikh Anta Diop",
            "Veille sanitaire",
            "2025-01-01",
            "2028-12-31",
            987654,
            SECRET_CONTACT,
            "non",
            "https://example.org/palu",
        ],
        [
            "Cohorte Abidjan",
            "A cohort on HIV and sida in Ivory Coast.",
            "Ivory Coast",
            "Organisation mondiale de la santé",
            "Recherche clinique",
            "2026-02-01",
            "2029-01-01",
            None,
            None,
            "non",
            None,
        ],
        [
            "Dispensaire de Garoua",
            "Projet achevé de soins primaires.",
            "Cameroun",
            "Hôpital régional de Garoua",
            "Soins",
            "2015-01-01",
            "2020-12-31",
            None,
            None,
            "non",
            None,
        ],
        [
            SECRET_TITLE,
            "Texte confidentiel.",
            "Mali",
            SECRET_PARTNER,
            "Soins",
            "2026-01-01",
            "2027-06-30",
            None,
            None,
            "oui",
            None,
        ],
    ]
    ingestor.ingest(
        make_workbook(folder / "projets-lyon.xlsx", rows_lyon),
        actor="chu-lyon",
        source="test",
    )
    rows_inserm = [
        HEADER[:7],
        [
            "Lutte contre le paludisme",
            "",
            "Sénégal",
            "",
            "Veille sanitaire",
            "2025-01-01",
            "2028-12-31",
        ],
    ]
    ingestor.ingest(
        make_workbook(folder / "inserm.xlsx", rows_inserm),
        actor="inserm",
        source="test",
    )
    rows_pasteur = [
        HEADER[:7],
        [
            "Surveillance des arboviroses",
            "Réseau de laboratoires.",
            "Sénégal",
            "Institut Pasteur de Dakar",
            "Veille sanitaire",
            "2027-03-01",
            "2030-01-01",
        ],
    ]
    ingestor.ingest(
        make_workbook(folder / "pasteur.xlsx", rows_pasteur),
        actor="pasteur",
        source="test",
    )
    MailLog(ingestor.warehouse).add(
        account="projets",
        uidvalidity=1,
        uid=7,
        eml_sha256="0" * 64,
        sender=QUARANTINED_SENDER,
        subject="Nos projets <b>2026</b>",
        received_at="2026-12-01T09:00:00+00:00",
        state="done",
        verdict="quarantined",
        reason="aucune règle n'autorise cet expéditeur",
    )
    ingestor.warehouse.close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    folder = tmp_path_factory.mktemp("site")
    settings = load_settings(write_settings(folder, SITE_SETTINGS))
    _ingest_examples(settings, folder)
    build_site(settings, "public", today=TODAY)
    build_site(settings, "restricted", today=TODAY)
    yield {
        "public": settings.public_build,
        "restricted": settings.restricted_build,
        "folder": folder,
    }


@pytest.fixture(scope="module")
def public(sites: dict[str, Path]) -> Path:
    return sites["public"]


@pytest.fixture(scope="module")
def restricted(sites: dict[str, Path]) -> Path:
    return sites["restricted"]


@pytest.fixture(scope="module")
def searches(sites: dict[str, Path]) -> dict:
    queries = ["malaria", "OMS", "VIH", "Côte d'Ivoire", "senegal", "Garoua"]
    return query_pagefind(sites["public"], queries, sites["folder"])


def _text(path: Path) -> str:
    return " ".join("".join(parse_page(path).text).split())


def test_project_page_shows_fields_partners_reporters_and_peers(public: Path) -> None:
    page = public / "projets" / "lutte-contre-le-paludisme" / "index.html"
    text = _text(page)
    assert "Renforcer la prise en charge du paludisme chez l'enfant." in text
    assert "Université Cheikh Anta Diop (Sénégal)" in text
    assert "Hospices Civils de Lyon — dernière mise à jour le 3 déc. 2026" in text
    assert "Inserm — dernière mise à jour le 3 déc. 2026" in text
    peers = text.split("dans le même pays et le même domaine")[1]
    assert "Institut Pasteur" in peers
    assert "https://example.org/palu" in text
    links = {attrs.get("href") for tag, attrs in parse_page(page).tags if tag == "a"}
    assert {"../../pays/sn/", "../../domaines/veille-sanitaire/"} <= links


def test_public_build_holds_no_confidential_project_or_field(public: Path) -> None:
    secrets = [SECRET_TITLE, SECRET_PARTNER, SECRET_CONTACT, "987654", "987 654"]
    assert find_leaks(public.resolve(), secrets) == []
    assert not (public / "projets" / "projet-canari-zorglub").exists()
    palu = _text(public / "projets" / "lutte-contre-le-paludisme" / "index.html")
    assert "Financement" not in palu
    assert "Confidentiel" not in palu


def test_public_downloads_hold_only_public_projects_and_fields(public: Path) -> None:
    data = public / "donnees"
    projects = json.loads((data / "projets.json").read_text(encoding="utf-8"))
    titles = {project["title"] for project in projects}
    assert "Lutte contre le paludisme" in titles
    assert "Dispensaire de Garoua" in titles
    assert SECRET_TITLE not in titles
    palu = next(p for p in projects if p["title"] == "Lutte contre le paludisme")
    assert palu["funding"] is None
    assert palu["contact"] is None
    csv_text = (data / "projets.csv").read_text(encoding="utf-8-sig")
    assert SECRET_TITLE not in csv_text
    assert SECRET_CONTACT not in csv_text
    sheet = openpyxl.load_workbook(data / "projets.xlsx").active
    cells = {str(cell) for row in sheet.iter_rows(values_only=True) for cell in row}
    assert "Cohorte Abidjan" in cells
    assert SECRET_TITLE not in cells
    senegal = json.loads((data / "pays" / "sn.json").read_text(encoding="utf-8"))
    assert sorted(p["title"] for p in senegal) == [
        "Lutte contre le paludisme",
        "Surveillance des arboviroses",
    ]
    assert (data / "pays" / "sn.csv").exists()
    assert (data / "pays" / "sn.xlsx").exists()
    downloads = parse_page(public / "telechargements" / "index.html").tags
    links = {attrs.get("href") for tag, attrs in downloads if tag == "a"}
    assert {"../donnees/projets.xlsx", "../donnees/pays/sn.csv"} <= links


def test_restricted_build_marks_confidential_values(restricted: Path) -> None:
    secret = restricted / "projets" / "projet-canari-zorglub" / "index.html"
    assert "Projet confidentiel" in _text(secret)
    palu = _text(restricted / "projets" / "lutte-contre-le-paludisme" / "index.html")
    assert "987 654,00 € Confidentiel" in palu
    assert f"{SECRET_CONTACT} Confidentiel" in palu
    projects = json.loads(
        (restricted / "donnees" / "projets.json").read_text(encoding="utf-8")
    )
    assert SECRET_TITLE in {project["title"] for project in projects}


def test_restricted_build_has_a_ministries_page(restricted: Path, public: Path) -> None:
    text = _text(restricted / "ministeres" / "index.html")
    assert "Qualité des données" in text
    assert "projets-lyon.xlsx" in text
    assert "Accepté" in text
    quarantine = text.split("Expéditeurs en quarantaine")[1]
    assert QUARANTINED_SENDER in quarantine
    assert "« Nos projets <b>2026</b> », reçu le 1 déc. 2026" in quarantine
    assert "aucune règle n'autorise cet expéditeur" in quarantine
    # Every configured actor sent a file today: none is six months late.
    assert "Tous les acteurs ont envoyé des données depuis moins de six mois." in text
    assert not (public / "ministeres").exists()
    assert find_leaks(public.resolve(), [QUARANTINED_SENDER]) == []
    nav = parse_page(restricted / "index.html").tags
    assert any(attrs.get("href") == "ministeres/" for tag, attrs in nav if tag == "a")


def test_ended_projects_are_listed_only_on_the_archive_page(public: Path) -> None:
    ended = "Dispensaire de Garoua"
    assert ended in _text(public / "archives" / "index.html")
    assert (public / "projets" / "dispensaire-de-garoua" / "index.html").exists()
    for listing in ["index.html", "acteurs/hospices-civils-de-lyon/index.html"]:
        assert ended not in _text(public / listing)
    assert not (public / "pays" / "cm").exists()
    assert "Cameroun" not in _text(public / "pays" / "index.html")


def test_home_shows_figures_map_plots_and_latest_updates(public: Path) -> None:
    home = public / "index.html"
    text = _text(home)
    assert "3 projets en cours ou prévus" in text
    assert "2 pays" in text
    assert "1 projets terminés" in text
    html = home.read_text(encoding="utf-8")
    assert html.count("<svg") >= 4
    links = {attrs.get("href") for tag, attrs in parse_page(home).tags if tag == "a"}
    assert "pays/sn/" in links
    assert "pays/ci/" in links
    latest = text.split("Dernières mises à jour")[1]
    assert "Surveillance des arboviroses" in latest


def test_pages_carry_pagefind_filters_on_the_article_only(public: Path) -> None:
    page = public / "projets" / "cohorte-abidjan" / "index.html"
    tags = parse_page(page).tags
    bodies = [attrs for tag, attrs in tags if "data-pagefind-body" in attrs]
    assert len(bodies) == 1
    filters = article(page)
    for expected in [
        '<span data-pagefind-filter="pays">Côte d’Ivoire</span>',
        '<span data-pagefind-filter="région">Afrique occidentale</span>',
        '<span data-pagefind-filter="domaine">Recherche clinique</span>',
        '<span data-pagefind-filter="acteur">Hospices Civils de Lyon</span>',
        '<span data-pagefind-filter="statut">En cours</span>',
    ]:
        assert expected in filters
    assert "data-pagefind-body" not in (public / "index.html").read_text()


def test_pagefind_index_counts_projects_by_filter(searches: dict) -> None:
    filters = searches["filters"]
    assert filters["type"]["Projet"] == 4
    assert filters["pays"]["Sénégal"] >= 2
    assert filters["statut"] == {"En cours": 2, "Prévu": 1, "Terminé": 1}
    assert filters["région"]["Afrique occidentale"] >= 3
    assert "Institut Pasteur" in filters["acteur"]


@pytest.mark.parametrize(
    ("query", "project"),
    [
        ("malaria", "lutte-contre-le-paludisme"),
        ("OMS", "cohorte-abidjan"),
        ("VIH", "cohorte-abidjan"),
        ("Côte d'Ivoire", "cohorte-abidjan"),
        ("senegal", "surveillance-des-arboviroses"),
    ],
)
def test_search_understands_synonyms(searches: dict, query: str, project: str) -> None:
    assert f"/projets/{project}/" in result_paths(searches, query)


def test_search_indexes_only_articles_and_hides_synonyms(
    searches: dict, public: Path
) -> None:
    assert "/projets/dispensaire-de-garoua/" in result_paths(searches, "Garoua")
    page = public / "projets" / "lutte-contre-le-paludisme" / "index.html"
    hidden = re.search(
        r'<div class="drc-synonyms" hidden[^>]*>([^<]*)</div>', article(page)
    )
    assert hidden is not None
    assert "malaria" in hidden.group(1)
    malaria = searches["results"]["malaria"][0]
    assert malaria["meta"]["resume"].startswith("Renforcer la prise en charge")
    search_page = (public / "recherche" / "index.html").read_text(encoding="utf-8")
    assert "processResult" in search_page
    assert "drcsynonyme" in search_page


def test_contribuer_page_tells_how_to_send_data(public: Path) -> None:
    text = _text(public / "contribuer" / "index.html")
    assert "projets@sante.example.org" in text
    assert "/srv/partage/drcooper" in text
    assert "Intitulé du projet" in text
    assert "Budget" in text
    template = openpyxl.load_workbook(public / "donnees" / "modele-projets.xlsx")
    headers = next(template.active.iter_rows(max_row=1, values_only=True))
    vocabulary = Vocabulary.load(REPOSITORY / "synonyms")
    fields = [vocabulary.match_header(str(header)) for header in headers]
    assert all(match is not None and match.exact for match in fields)


def test_site_makes_no_request_to_another_site(public: Path, restricted: Path) -> None:
    for site in (public, restricted):
        for page in site.rglob("*.html"):
            for tag, attrs in parse_page(page).tags:
                # A canonical link names the page's address; it loads nothing.
                loads = tag == "link" and attrs.get("rel") != "canonical"
                source = attrs.get("src") or (attrs.get("href") if loads else None)
                if source:
                    assert not re.match(r"^(https?:)?//", source), (page, source)


def test_site_ui_is_french(public: Path) -> None:
    html = (public / "projets" / "cohorte-abidjan" / "index.html").read_text()
    assert '<html lang="fr"' in html
    assert "<title>Cohorte Abidjan - Carte des coopérations</title>" in html


def test_build_command_publishes_a_new_release(sites: dict[str, Path]) -> None:
    config = sites["folder"] / "inbox_rules.yaml"
    releases = sites["folder"] / "var" / "public.releases"
    before = {path.name for path in releases.iterdir()}
    result = CliRunner().invoke(
        main, ["--config", str(config), "build", "--public", "--today", "2026-12-03"]
    )
    assert result.exit_code == 0, result.output
    assert "Site public publié" in result.output
    after = {path.name for path in releases.iterdir()}
    assert len(after - before) == 1


def test_site_settings_report_every_mistake_at_once(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        "site:\n  contact_address: pas-une-adresse\n  url: ftp://x\n  colour: red\n",
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    problems = "\n".join(raised.value.problems)
    assert "site.contact_address" in problems
    assert "site.url" in problems
    assert "site.colour: unknown setting" in problems

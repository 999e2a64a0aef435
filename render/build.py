"""Building a site: warehouse -> Markdown sources -> MkDocs -> Pagefind -> publish.

One function, `build_site`, makes the public or the restricted build; the
visibility is its one parameter and goes through the same code path. The
sources and the built site live in a staging folder beside the live site, so
a failed build (a MkDocs error, a leak found in the public build) never
touches what readers see.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from openpyxl import Workbook

from bot.config import Settings
from bot.projects import Visibility, merged_projects, visible_projects
from bot.vocabulary import Vocabulary
from bot.warehouse import Warehouse
from render.charts import bar_chart_svg, timeline_svg
from render.exceptions import LeakFound, RenderError
from render.exports import write_export
from render.leakscan import confidential_values, find_leaks
from render.pages import (
    CURRENT_PERIOD,
    DOMAIN_LABELS,
    ENDED_PERIOD,
    FIELD_LABELS,
    STATUS_LABELS,
    Page,
    SiteModel,
    load_regions,
    ministries_page,
    quarantined_senders,
    root_of,
    site_pages,
)
from render.publish import publish, staging_folder
from render.search import SYNONYM_MARK, SearchSynonyms
from render.worldmap import world_map_svg

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent
SITE_FOLDER = REPOSITORY / "site"
TEMPLATES = Path(__file__).resolve().parent / "templates"

OUTCOME_LABELS = {
    "accepted": "Accepté",
    "partial": "Accepté en partie",
    "rejected": "Refusé",
    "unreadable": "Illisible",
    "duplicate": "Déjà reçu",
    "empty": "Vide",
}

# Fields of the optional template workbook, in column order.
TEMPLATE_FIELDS = (
    "title",
    "description",
    "countries",
    "partners",
    "domains",
    "start_date",
    "end_date",
    "funding",
    "funders",
    "contact",
    "url",
    "confidential",
)
TEMPLATE_EXAMPLE = (
    "Exemple : renforcement d'un laboratoire de référence",
    "Formation des équipes et appui à la surveillance du paludisme.",
    "Sénégal",
    "Institut Pasteur de Dakar",
    "Veille sanitaire ; Formation",
    dt.date(2026, 1, 1),
    dt.date(2028, 12, 31),
    None,
    "Agence française de développement",
    "prenom.nom@example.org",
    "https://example.org/projet",
    "non",
)

# Characters that end a <script> or break JavaScript string literals.
_JSON_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def json_script(value: Any) -> Markup:
    """Return JSON safe to place inside an HTML <script> element."""
    text = json.dumps(value, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return Markup(text)


def build_site(settings: Settings, visibility: Visibility, *, today: dt.date) -> Path:
    """Build one site from the warehouse, check it, publish it; return the release."""
    started = time.perf_counter()
    live = (
        settings.public_build if visibility == "public" else settings.restricted_build
    )

    # Everything from the warehouse is read once, in one connection.
    with Warehouse(settings.warehouse) as warehouse:
        all_projects = merged_projects(warehouse, today)
        report_dates = last_report_dates(warehouse.current_records())
        submissions = warehouse.submissions()
        actor_names = warehouse.actor_names()
        quarantined = (
            quarantined_senders(warehouse) if visibility == "restricted" else []
        )
    projects = visible_projects(all_projects, visibility)

    staging = staging_folder(live)
    try:
        site_dir = render_site(
            settings,
            visibility,
            projects,
            staging,
            today=today,
            report_dates=report_dates,
            submissions=submissions,
            actor_names=actor_names,
            quarantined=quarantined,
        )

        # The public build may not hold one confidential value, anywhere.
        if visibility == "public":
            check_for_leaks(site_dir, all_projects)

        release = publish(site_dir, live, keep=settings.publish.keep)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info(
        "site %s (%s): %s projects published in %.1f s",
        live,
        visibility,
        len(projects),
        time.perf_counter() - started,
    )
    return release


def render_site(
    settings: Settings,
    visibility: Visibility,
    projects: list[dict[str, Any]],
    workdir: Path,
    *,
    today: dt.date,
    report_dates: dict[str, dict[str, str]],
    submissions: list[dict[str, Any]],
    actor_names: dict[str, str],
    quarantined: list[dict[str, Any]],
) -> Path:
    """Write the sources into `workdir`, build them; return the built site folder."""
    docs_dir, site_dir = workdir / "docs", workdir / "site"
    vocabulary = Vocabulary.load(settings.synonyms)
    model = SiteModel.build(
        projects,
        visibility=visibility,
        today=today,
        vocabulary=vocabulary,
        regions=load_regions(settings.synonyms),
        report_dates=report_dates,
        reporter_names=actor_names,
    )

    # Markdown sources: generated pages, then the hand-written ones.
    started = time.perf_counter()
    synonyms = SearchSynonyms.load(settings.synonyms, vocabulary)
    environment = template_environment(settings, model, synonyms)
    pages = list(site_pages(model))
    pages += extra_pages(settings, model, projects)
    if visibility == "restricted":
        pages.append(ministries_page(model, submissions, actor_names, quarantined))
    for page in pages:
        write_page(environment, page, docs_dir)
    shutil.copytree(SITE_FOLDER / "assets", docs_dir / "assets")
    logger.info(
        "site %s: %s pages written in %.1f s",
        visibility,
        len(pages),
        time.perf_counter() - started,
    )

    config_path = write_mkdocs_config(settings, visibility, workdir, docs_dir, site_dir)
    run_mkdocs(config_path)
    write_downloads(projects, site_dir / "donnees", settings)
    run_pagefind(site_dir)
    return site_dir


def template_environment(
    settings: Settings,
    model: SiteModel,
    synonyms: SearchSynonyms,
) -> Environment:
    """Return the Jinja2 environment of the pages, escaping every value."""
    environment = Environment(
        loader=FileSystemLoader([TEMPLATES, SITE_FOLDER / "pages"]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        number=_number,
        euros=_euros,
        date_fr=_date_fr,
        json_script=json_script,
    )
    domain_codes = {label: code for code, label in DOMAIN_LABELS.items()}
    vocabulary = model.vocabulary

    # A project's row is the same in every listing at one depth: render it once.
    row_template = environment.get_template("row.html.j2")
    rows: dict[tuple[str, str], str] = {}

    @pass_context
    def project_rows(context: Context, project_ids: list[str]) -> Markup:
        root = context.get("root", "")
        html_rows = []
        for project_id in project_ids:
            row = rows.get((project_id, root))
            if row is None:
                summary = model.summary(project_id)
                row = row_template.render(project=summary, root=root)
                rows[project_id, root] = row
            html_rows.append(row)
        return Markup("".join(html_rows))

    @pass_context
    def world_map(context: Context, counts: Mapping[str, int], title: str) -> Markup:
        root = context.get("root", "")
        return Markup(
            world_map_svg(
                counts,
                href=lambda code: f"{root}pays/{code.lower()}/",
                label=vocabulary.country_name,
                title=title,
            )
        )

    @pass_context
    def bar_chart(
        context: Context, counts: Mapping[str, int], title: str, section: str = ""
    ) -> Markup:
        root = context.get("root", "")
        items = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        href: Callable[[str], str] | None = None
        if section == "domaines":

            def href(label: str) -> str:
                return f"{root}domaines/{domain_codes.get(label, 'autre')}/"

        return Markup(bar_chart_svg(items, title=title, href=href))

    anchors: dict[tuple[str, str, str], str] = {}

    @pass_context
    def name_links(
        context: Context, section: str, items: list[tuple[str, str]]
    ) -> Markup:
        root = context.get("root", "")
        html_links = []
        for slug, name in items:
            anchor = anchors.get((section, slug, root))
            if anchor is None:
                anchor = str(
                    Markup('<a href="{}{}/{}/">{}</a>').format(
                        root, section, slug, name
                    )
                )
                anchors[section, slug, root] = anchor
            html_links.append(anchor)
        return Markup(", ".join(html_links))

    environment.globals.update(
        name_links=name_links,
        site_title=settings.site.title,
        visibility=model.visibility,
        world_map=world_map,
        project_rows=project_rows,
        bar_chart=bar_chart,
        timeline=lambda counts, title: Markup(timeline_svg(counts, title=title)),
        synonyms=synonyms.hidden_block,
        outcome_label=lambda outcome: OUTCOME_LABELS.get(outcome, outcome),
        current_period=CURRENT_PERIOD,
        ended_period=ENDED_PERIOD,
        ended_label=STATUS_LABELS["ended"],
    )
    return environment


@functools.lru_cache(maxsize=4096)
def _number(value: int) -> str:
    return str(format_decimal(value, locale="fr_FR"))


def _euros(value: Any) -> str:
    if isinstance(value, int | float):
        return str(format_currency(value, "EUR", locale="fr_FR"))
    return str(value)


@functools.lru_cache(maxsize=8192)
def _date_fr(value: Any) -> str:
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return str(format_date(day, "d MMM y", locale="fr_FR"))


def write_page(environment: Environment, page: Page, docs_dir: Path) -> None:
    """Render one page into its Markdown file."""
    # MkDocs writes the title into <title> and the header without escaping it.
    front_title = Markup(json.dumps(html.escape(page.title)))
    text = environment.get_template(page.template).render(
        page.context,
        root=root_of(page.path),
        front_title=front_title,
        in_search=page.in_search,
        page_title=page.title,
    )
    target = docs_dir / page.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def extra_pages(
    settings: Settings, model: SiteModel, projects: list[dict[str, Any]]
) -> list[Page]:
    """Return the search, downloads and "Contribuer" pages."""
    countries = sorted(
        {code for project in projects for code in project["countries"]},
        key=lambda code: model.country_name(code),
    )
    per_country: dict[str, int] = defaultdict(int)
    for project in projects:
        for code in project["countries"]:
            per_country[code] += 1
    return [
        Page(
            "recherche.md",
            "search.md.j2",
            "Recherche",
            {
                "search_settings": {
                    "root": "../",
                    "mark": SYNONYM_MARK,
                    "current": {"période": [CURRENT_PERIOD]},
                }
            },
            in_search=False,
        ),
        Page(
            "telechargements.md",
            "downloads.md.j2",
            "Téléchargements",
            {
                "total": len(projects),
                "countries": [
                    (code.lower(), model.country_name(code), per_country[code])
                    for code in countries
                ],
            },
            in_search=False,
        ),
        Page(
            "contribuer.md",
            "contribuer.md",
            "Contribuer",
            {
                "contact_address": settings.site.contact_address,
                "shared_folder": settings.site.shared_folder,
                "headers": understood_headers(settings.synonyms),
            },
            in_search=False,
        ),
    ]


def understood_headers(synonyms: Path) -> list[tuple[str, list[str]]]:
    """Return each field's French label with the column names that name it."""
    with (synonyms / "headers.yaml").open(encoding="utf-8") as handle:
        fields = yaml.safe_load(handle)["fields"]
    return [
        (FIELD_LABELS.get(name, name), [str(header) for header in headers])
        for name, headers in fields.items()
    ]


def write_mkdocs_config(
    settings: Settings,
    visibility: Visibility,
    workdir: Path,
    docs_dir: Path,
    site_dir: Path,
) -> Path:
    """Write this build's mkdocs.yml from the base one in site/."""
    with (SITE_FOLDER / "mkdocs.yml").open(encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    config.update(
        site_name=html.escape(settings.site.title),
        docs_dir=str(docs_dir),
        site_dir=str(site_dir),
    )
    config["theme"]["custom_dir"] = str(SITE_FOLDER / "overrides")
    if visibility == "public" and settings.site.url:
        config["site_url"] = settings.site.url
    if visibility == "restricted":
        config["nav"].append({"Suivi ministères": "ministeres.md"})
        # Every page says it holds confidential data, so that nobody copies
        # from it believing it public.
        config["site_name"] += " — version restreinte"
        config["theme"]["palette"] = {"primary": "red"}
    path = workdir / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run_mkdocs(config_path: Path) -> None:
    """Build the Markdown sources into HTML with MkDocs Material."""
    # MkDocs prints a notice about its next major version on every build.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    started = time.perf_counter()
    try:
        config = load_config(config_file=str(config_path))
        build(config)
    except (MkDocsException, OSError) as err:
        raise RenderError(f"MkDocs n'a pas pu construire le site : {err}") from err
    logger.info(
        "mkdocs %s: built in %.1f s", config_path, time.perf_counter() - started
    )


def run_pagefind(site_dir: Path) -> None:
    """Index the built site with Pagefind (the binary of the `pagefind` package)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(site_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(
            f"Pagefind n'a pas pu indexer {site_dir} : {result.stderr.strip()}"
        )
    logger.info(
        "pagefind %s: indexed in %.1f s", site_dir, time.perf_counter() - started
    )


def write_downloads(
    projects: list[dict[str, Any]], folder: Path, settings: Settings
) -> None:
    """Write the build's projects as CSV, XLSX and JSON, whole and per country."""
    by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for project in projects:
        for code in project["countries"]:
            by_country[code.lower()].append(project)
    (folder / "pays").mkdir(parents=True, exist_ok=True)
    for export_format in ("csv", "xlsx", "json"):
        write_export(projects, export_format, folder / f"projets.{export_format}")
        for code, country_projects in by_country.items():
            target = folder / "pays" / f"{code}.{export_format}"
            write_export(country_projects, export_format, target)
    write_template_workbook(folder / "modele-projets.xlsx", settings.synonyms)


def write_template_workbook(target: Path, synonyms: Path) -> None:
    """Write the optional template workbook, with column names the bot knows."""
    with (synonyms / "headers.yaml").open(encoding="utf-8") as handle:
        fields = yaml.safe_load(handle)["fields"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projets"
    sheet.append([str(fields[name][0]) for name in TEMPLATE_FIELDS])
    sheet.append(list(TEMPLATE_EXAMPLE))
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 24
    workbook.save(target)


def last_report_dates(records: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Return, per project, the date of each actor's latest current record."""
    dates: dict[str, dict[str, str]] = defaultdict(dict)
    for record in records:
        known = dates[record["project_id"]].get(record["actor"], "")
        dates[record["project_id"]][record["actor"]] = max(known, record["received_at"])
    return dict(dates)


def check_for_leaks(site_dir: Path, all_projects: list[dict[str, Any]]) -> None:
    """Raise LeakFound when the built site holds any confidential value."""
    started = time.perf_counter()
    # Texts every build shows whatever the data: a value equal to one of them
    # is no secret (the template workbook's example row, the column names).
    public_texts = [
        path.read_text(encoding="utf-8")
        for folder in (SITE_FOLDER / "pages", TEMPLATES)
        for path in folder.glob("*")
    ]
    public_texts += [str(value) for value in TEMPLATE_EXAMPLE if value is not None]
    # The site's own words: a confidential cell saying "Terminé" or "Sénégal"
    # tells nothing the labels and the country names do not already show.
    public_texts += [
        *STATUS_LABELS.values(),
        *DOMAIN_LABELS.values(),
        *FIELD_LABELS.values(),
        CURRENT_PERIOD,
        ENDED_PERIOD,
        *Locale("fr").territories.values(),
    ]
    values = confidential_values(all_projects, public_texts=public_texts)
    leaks = find_leaks(site_dir, values)
    logger.info(
        "leak scan %s: %s values, %s leaks, %.1f s",
        site_dir,
        len(values),
        len(leaks),
        time.perf_counter() - started,
    )
    if leaks:
        raise LeakFound(leaks)

"""The site's pages as data: what each page shows, from the visible projects.

`SiteModel.build` indexes the projects a build may show (see
`bot.projects.visible_projects`) by country, domain, region, French actor and
foreign partner; `site_pages` then yields one `Page` per file of the site, each
naming its template and holding the values it renders. Nothing here writes
files or HTML: `render.build` does, with autoescaping templates.

Ended projects keep their own page but are left out of every listing, map and
plot; the archive page lists them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel import Locale

from bot.mailbox import MailLog
from bot.projects import Visibility
from bot.vocabulary import Vocabulary, normalise
from bot.warehouse import Warehouse
from render.charts import start_date_counts

logger = logging.getLogger(__name__)

STATUS_LABELS = {"planned": "Prévu", "ongoing": "En cours", "ended": "Terminé"}
# The search's "période" filter: current pages are selected when it opens.
CURRENT_PERIOD = "En cours ou prévus"
ENDED_PERIOD = "Projets terminés"

DOMAIN_LABELS = {
    "recherche-fondamentale": "Recherche fondamentale",
    "recherche-clinique": "Recherche clinique",
    "soins": "Soins",
    "numerique": "Santé numérique",
    "veille-sanitaire": "Veille sanitaire",
    "qualite-des-soins": "Qualité des soins",
    "medico-social": "Médico-social",
    "organisation-des-soins": "Organisation des soins",
    "alimentation": "Alimentation",
    "environnement": "Santé environnementale",
    "assurance-maladie": "Assurance maladie",
    "formation": "Formation",
    "autre": "Autre",
}

FIELD_LABELS = {
    "reference": "Référence",
    "title": "Titre",
    "description": "Description",
    "french_actors": "Acteurs français",
    "partners": "Partenaires",
    "countries": "Pays",
    "domains": "Domaines",
    "start_date": "Début",
    "end_date": "Fin",
    "period": "Période",
    "status": "Statut",
    "funding": "Financement",
    "funders": "Financeurs",
    "contact": "Contact",
    "url": "Site web",
    "keywords": "Mots-clés",
    "confidential": "Confidentialité",
}

# How many items a listing shows before "and N more"; pages stay light at scale.
PEERS_SHOWN = 30
LATEST_SHOWN = 10

# An actor is "not updated" when its latest submission is older than this.
STALE_AFTER = dt.timedelta(days=183)

_URL_SCHEMES = ("http://", "https://")
_EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


def slugify(text: str) -> str:
    """Return a file-name-safe slug of a name; a hash when nothing is left."""
    slug = "-".join(normalise(text).split())[:80].strip("-")
    if slug:
        return slug
    return "n-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def safe_url(value: str | None) -> str | None:
    """Return a link target only when it is http, https or a mail address."""
    if not value:
        return None
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith(_URL_SCHEMES) and not any(c.isspace() for c in text):
        return text
    if lowered.startswith("mailto:"):
        text = text[len("mailto:") :]
    if _EMAIL.match(text):
        return f"mailto:{text}"
    return None


def root_of(path: str) -> str:
    """Return the relative prefix from a page's URL to the site root.

    With MkDocs' directory URLs, `a.md` is served at `/a/` and `a/b.md` at
    `/a/b/`; the home `index.md` at `/`.
    """
    if path == "index.md":
        return ""
    return "../" * (path.count("/") + 1)


def load_regions(directory: Path) -> dict[str, str]:
    """Return the UN M49 sub-region code of each country code (`regions.yaml`)."""
    with (directory / "regions.yaml").open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    return {
        str(country): str(region)
        for region, countries in document["regions"].items()
        for country in countries
    }


@dataclass(frozen=True)
class Page:
    """One Markdown file of the site: where it goes and what it renders."""

    path: str
    template: str
    title: str
    context: dict[str, Any]
    in_search: bool = True


@dataclass
class Partner:
    slug: str
    name: str
    country: str | None
    project_ids: list[str] = field(default_factory=list)


@dataclass
class SiteModel:
    """The visible projects and every index the pages need."""

    visibility: Visibility
    today: dt.date
    vocabulary: Vocabulary
    regions: dict[str, str]
    projects: dict[str, dict[str, Any]]
    active: list[str]
    archived: list[str]
    by_country: dict[str, list[str]]
    by_domain: dict[str, list[str]]
    by_region: dict[str, list[str]]
    by_actor: dict[str, list[str]]
    actor_names: dict[str, str]
    partners: dict[str, Partner]
    actors_by_country_domain: dict[tuple[str, str], set[str]]
    report_dates: dict[str, dict[str, str]]
    reporter_names: dict[str, str]
    _title_keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        projects: list[dict[str, Any]],
        *,
        visibility: Visibility,
        today: dt.date,
        vocabulary: Vocabulary,
        regions: dict[str, str],
        report_dates: dict[str, dict[str, str]],
        reporter_names: dict[str, str],
    ) -> SiteModel:
        """Index the visible projects.

        `report_dates` maps project -> actor slug -> date of its latest current
        record; `reporter_names` maps actor slugs to display names.
        """
        model = cls(
            visibility=visibility,
            today=today,
            vocabulary=vocabulary,
            regions=regions,
            projects={project["id"]: project for project in projects},
            active=[],
            archived=[],
            by_country=defaultdict(list),
            by_domain=defaultdict(list),
            by_region=defaultdict(list),
            by_actor=defaultdict(list),
            actor_names={},
            partners={},
            actors_by_country_domain=defaultdict(set),
            report_dates=report_dates,
            reporter_names=reporter_names,
        )
        for project in projects:
            model._index(project)
        return model

    def _index(self, project: dict[str, Any]) -> None:
        project_id = project["id"]
        for name in project["french_actors"]:
            self.actor_names.setdefault(slugify(name), name)
        for partner in project["partners"]:
            slug = slugify(partner["name"])
            known = self.partners.setdefault(
                slug, Partner(slug, partner["name"], partner.get("country"))
            )
            known.country = known.country or partner.get("country")
        if project["status"] == "ended":
            self.archived.append(project_id)
            return

        # Listings, maps and plots show the projects that are not over.
        self.active.append(project_id)
        for code in project["countries"]:
            self.by_country[code].append(project_id)
        for region in {self.regions.get(code, "") for code in project["countries"]}:
            if region:
                self.by_region[region].append(project_id)
        for domain in project["domains"]:
            self.by_domain[domain].append(project_id)
        for name in project["french_actors"]:
            self.by_actor[slugify(name)].append(project_id)
            for code in project["countries"]:
                for domain in project["domains"]:
                    self.actors_by_country_domain[code, domain].add(name)
        for partner in project["partners"]:
            self.partners[slugify(partner["name"])].project_ids.append(project_id)

    # Names shown for codes

    def country_name(self, code: str) -> str:
        return self.vocabulary.country_name(code)

    def region_name(self, region: str) -> str:
        return str(_FRENCH.territories.get(region, region))

    def region_of(self, code: str) -> str | None:
        return self.regions.get(code)

    # Summaries a listing shows for each project

    def summary(self, project_id: str) -> dict[str, Any]:
        project = self.projects[project_id]
        return {
            "id": project_id,
            "title": project["title"] or project_id,
            "status": STATUS_LABELS.get(project["status"] or "", ""),
            "countries": [
                (code.lower(), self.country_name(code)) for code in project["countries"]
            ],
            "actors": project["french_actors"],
            "start": project["start_date"] or "",
            "end": project["end_date"] or "",
        }

    def ordered(self, project_ids: list[str]) -> list[str]:
        """Return project ids in the order of their titles, for a listing."""
        return sorted(project_ids, key=self._title_key)

    def _title_key(self, project_id: str) -> str:
        key = self._title_keys.get(project_id)
        if key is None:
            key = normalise(self.projects[project_id]["title"] or project_id)
            self._title_keys[project_id] = key
        return key

    def peers(self, project: dict[str, Any]) -> list[str]:
        """Return the other French actors in a project's countries and domains."""
        own = set(project["french_actors"])
        found: set[str] = set()
        for code in project["countries"]:
            for domain in project["domains"]:
                found |= self.actors_by_country_domain.get((code, domain), set())
        return sorted(found - own, key=normalise)

    def counts(self, index: dict[str, list[str]]) -> dict[str, int]:
        return {key: len(ids) for key, ids in index.items() if ids}

    def filters(self, project: dict[str, Any]) -> dict[str, list[str]]:
        """Return the Pagefind filters of a project page, by filter name."""
        codes = project["countries"]
        regions = {self.regions.get(code) for code in codes} - {None}
        return {
            "type": ["Projet"],
            "pays": [self.country_name(code) for code in codes],
            "région": sorted(self.region_name(r) for r in regions if r),
            "domaine": [DOMAIN_LABELS.get(d, d) for d in project["domains"]],
            "acteur": list(project["french_actors"]),
            "statut": [STATUS_LABELS.get(project["status"] or "", "Inconnu")],
        }


_FRENCH = Locale("fr")


def site_pages(model: SiteModel) -> Iterator[Page]:
    """Yield every generated page of one build."""
    yield home_page(model)
    for project_id in model.projects:
        yield project_page(model, project_id)
    yield from country_pages(model)
    yield from domain_pages(model)
    yield from actor_pages(model)
    yield from partner_pages(model)
    yield archive_page(model)


def home_page(model: SiteModel) -> Page:
    active = [model.projects[i] for i in model.active]
    latest = sorted(active, key=lambda p: p["updated_at"] or "", reverse=True)
    figures = {
        "projects": len(active),
        "ongoing": sum(p["status"] == "ongoing" for p in active),
        "planned": sum(p["status"] == "planned" for p in active),
        "countries": len(model.by_country),
        "actors": len(model.by_actor),
        "partners": sum(bool(p.project_ids) for p in model.partners.values()),
        "archived": len(model.archived),
    }
    return Page(
        path="index.md",
        template="home.md.j2",
        title="Accueil",
        in_search=False,
        context={
            "figures": figures,
            "country_counts": model.counts(model.by_country),
            "domain_counts": _labelled(model.counts(model.by_domain), DOMAIN_LABELS),
            "region_counts": {
                model.region_name(region): count
                for region, count in model.counts(model.by_region).items()
            },
            "start_years": start_date_counts(active),
            "latest": [model.summary(p["id"]) for p in latest[:LATEST_SHOWN]],
        },
    )


def project_page(model: SiteModel, project_id: str) -> Page:
    project = model.projects[project_id]
    dates = model.report_dates.get(project_id, {})
    reporters = [
        {"name": model.reporter_names.get(slug, slug), "date": dates.get(slug, "")}
        for slug in project["reported_by"]
    ]
    peers = model.peers(project)
    extra = sorted(project["extra"].items(), key=lambda item: normalise(item[0]))
    search_text = " ".join(
        str(value)
        for value in (
            project["title"],
            project["description"],
            *project["keywords"],
            *project["funders"],
            *(partner["name"] for partner in project["partners"]),
            *project["french_actors"],
        )
        if value
    )
    return Page(
        path=f"projets/{project_id}.md",
        template="project.md.j2",
        title=project["title"] or project_id,
        context={
            "project": project,
            "status": STATUS_LABELS.get(project["status"] or "", ""),
            "countries": [
                (code.lower(), model.country_name(code))
                for code in project["countries"]
            ],
            "domains": [(d, DOMAIN_LABELS.get(d, d)) for d in project["domains"]],
            "partners": [
                {
                    "slug": slugify(partner["name"]),
                    "name": partner["name"],
                    "country": partner.get("country"),
                    "country_name": model.country_name(partner["country"])
                    if partner.get("country")
                    else "",
                }
                for partner in project["partners"]
            ],
            "actors": [(slugify(name), name) for name in project["french_actors"]],
            "reporters": reporters,
            "peers": [(slugify(name), name) for name in peers[:PEERS_SHOWN]],
            "peers_more": max(0, len(peers) - PEERS_SHOWN),
            "url": safe_url(project["url"]),
            "contact_url": safe_url(project["contact"]),
            "extra": extra,
            "confidential_fields": set(project["confidential_fields"]),
            "filters": model.filters(project),
            "search_text": search_text,
            "search_countries": project["countries"],
            "summary_text": _shorten(project["description"] or project["title"] or ""),
        },
    )


def country_pages(model: SiteModel) -> Iterator[Page]:
    codes = sorted(model.by_country, key=lambda c: normalise(model.country_name(c)))
    listing = [
        (code.lower(), model.country_name(code), len(model.by_country[code]))
        for code in codes
    ]
    yield Page(
        "pays.md",
        "countries.md.j2",
        "Pays",
        {"countries": listing, "counts": model.counts(model.by_country)},
        in_search=False,
    )
    for code in codes:
        project_ids = model.by_country[code]
        name = model.country_name(code)
        region = model.region_of(code)
        yield Page(
            path=f"pays/{code.lower()}.md",
            template="entity.md.j2",
            title=name,
            context={
                "kind": "Pays",
                "name": name,
                "subtitle": model.region_name(region) if region else "",
                "projects": model.ordered(project_ids),
                "actors": _actors_of(model, project_ids),
                "domain_counts": _labelled(
                    _count(model, project_ids, "domains"), DOMAIN_LABELS
                ),
                "map_counts": {code: len(project_ids)},
                "filters": {
                    "type": ["Pays"],
                    "pays": [name],
                    "région": [model.region_name(region)] if region else [],
                },
                "search_text": name,
                "search_countries": [code],
                "download": code.lower(),
            },
        )


def domain_pages(model: SiteModel) -> Iterator[Page]:
    codes = [code for code in DOMAIN_LABELS if code in model.by_domain]
    yield Page(
        "domaines.md",
        "domains.md.j2",
        "Domaines",
        {
            "domains": [
                (code, DOMAIN_LABELS[code], len(model.by_domain[code]))
                for code in codes
            ]
        },
        in_search=False,
    )
    for code in codes:
        project_ids = model.by_domain[code]
        label = DOMAIN_LABELS[code]
        yield Page(
            path=f"domaines/{code}.md",
            template="entity.md.j2",
            title=label,
            context={
                "kind": "Domaine",
                "name": label,
                "subtitle": "",
                "projects": model.ordered(project_ids),
                "actors": _actors_of(model, project_ids),
                "map_counts": _count(model, project_ids, "countries"),
                "filters": {"type": ["Domaine"], "domaine": [label]},
                "search_text": label,
                "search_countries": [],
            },
        )


def actor_pages(model: SiteModel) -> Iterator[Page]:
    slugs = sorted(model.actor_names, key=lambda s: normalise(model.actor_names[s]))
    yield Page(
        "acteurs.md",
        "names.md.j2",
        "Acteurs français",
        {
            "heading": "Acteurs français",
            "section": "acteurs",
            "names": [
                (slug, model.actor_names[slug], len(model.by_actor.get(slug, [])))
                for slug in slugs
            ],
        },
        in_search=False,
    )
    for slug in slugs:
        project_ids = model.by_actor.get(slug, [])
        name = model.actor_names[slug]
        partners = {
            slugify(partner["name"]): partner["name"]
            for project_id in project_ids
            for partner in model.projects[project_id]["partners"]
        }
        yield Page(
            path=f"acteurs/{slug}.md",
            template="entity.md.j2",
            title=name,
            context={
                "kind": "Acteur français",
                "name": name,
                "subtitle": "",
                "projects": model.ordered(project_ids),
                "partners": sorted(partners.items(), key=lambda p: normalise(p[1])),
                "map_counts": _count(model, project_ids, "countries"),
                "domain_counts": _labelled(
                    _count(model, project_ids, "domains"), DOMAIN_LABELS
                ),
                "filters": {"type": ["Acteur français"], "acteur": [name]},
                "search_text": name,
                "search_countries": [],
            },
        )


def partner_pages(model: SiteModel) -> Iterator[Page]:
    partners = sorted(model.partners.values(), key=lambda p: normalise(p.name))
    yield Page(
        "partenaires.md",
        "names.md.j2",
        "Partenaires étrangers",
        {
            "heading": "Partenaires étrangers",
            "section": "partenaires",
            "names": [(p.slug, p.name, len(p.project_ids)) for p in partners],
        },
        in_search=False,
    )
    for partner in partners:
        country = partner.country
        yield Page(
            path=f"partenaires/{partner.slug}.md",
            template="entity.md.j2",
            title=partner.name,
            context={
                "kind": "Partenaire",
                "name": partner.name,
                "subtitle": model.country_name(country) if country else "",
                "subtitle_link": f"pays/{country.lower()}/" if country else "",
                "projects": model.ordered(partner.project_ids),
                "actors": _actors_of(model, partner.project_ids),
                "filters": {
                    "type": ["Partenaire"],
                    "pays": [model.country_name(country)] if country else [],
                },
                "search_text": partner.name,
                "search_countries": [country] if country else [],
            },
        )


def archive_page(model: SiteModel) -> Page:
    return Page(
        "archives.md",
        "archive.md.j2",
        "Projets terminés",
        {"projects": model.ordered(model.archived)},
        in_search=False,
    )


def ministries_page(
    model: SiteModel,
    submissions: list[dict[str, Any]],
    actor_names: dict[str, str],
    quarantined: list[dict[str, Any]],
) -> Page:
    """Return the restricted build's page for the ministries."""
    return Page(
        "ministeres.md",
        "ministries.md.j2",
        "Suivi pour les ministères",
        {
            "submissions": sorted(
                submissions, key=lambda s: s["received_at"], reverse=True
            ),
            "stale_actors": stale_actors(submissions, actor_names, model.today),
            "quality": data_quality(list(model.projects.values()), submissions),
            "quarantined": quarantined,
            "actor_names": actor_names,
        },
        in_search=False,
    )


def stale_actors(
    submissions: list[dict[str, Any]], actor_names: dict[str, str], today: dt.date
) -> list[dict[str, str]]:
    """Return the actors whose latest submission is older than six months."""
    latest: dict[str, str] = {}
    for submission in submissions:
        actor = submission["actor"]
        latest[actor] = max(latest.get(actor, ""), submission["received_at"])
    limit = (today - STALE_AFTER).isoformat()
    return [
        {
            "slug": slug,
            "name": actor_names.get(slug, slug),
            "last": latest.get(slug, ""),
        }
        for slug in sorted(actor_names)
        if latest.get(slug, "") < limit
    ]


def data_quality(
    projects: list[dict[str, Any]], submissions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Return the shares of incomplete projects and the counts of unread data."""
    total = len(projects) or 1
    unmapped: Counter[str] = Counter()
    for project in projects:
        unmapped.update(project["extra"].keys())
    return {
        "projects": len(projects),
        "missing": [
            (label, round(100 * missing / total))
            for label, missing in (
                ("sans pays", sum(not p["countries"] for p in projects)),
                ("sans domaine", sum(not p["domains"] for p in projects)),
                ("sans date de début", sum(not p["start_date"] for p in projects)),
                ("sans date de fin", sum(not p["end_date"] for p in projects)),
            )
        ],
        "unmapped_columns": unmapped.most_common(20),
        "rejected_rows": sum(int(s["rejected"] or 0) for s in submissions),
        "accepted_rows": sum(int(s["accepted"] or 0) for s in submissions),
    }


def quarantined_senders(warehouse: Warehouse) -> list[dict[str, Any]]:
    """Return the messages held in quarantine, newest first, with their sender."""
    records = MailLog(warehouse).quarantined()
    return [
        {
            "address": record.sender,
            "subject": record.subject,
            "received_at": record.received_at,
            "reason": record.reason or "",
        }
        for record in sorted(records, key=lambda r: r.received_at, reverse=True)
    ]


def _shorten(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> dict[str, int]:
    return {labels.get(key, key): count for key, count in counts.items()}


def _count(model: SiteModel, project_ids: list[str], name: str) -> dict[str, int]:
    counter: Counter[str] = Counter()
    for project_id in project_ids:
        counter.update(model.projects[project_id][name])
    return dict(counter)


def _actors_of(model: SiteModel, project_ids: list[str]) -> list[tuple[str, str]]:
    names = {
        name
        for project_id in project_ids
        for name in model.projects[project_id]["french_actors"]
    }
    return [(slugify(name), name) for name in sorted(names, key=normalise)]

"""The `drcooper` command line: the only place where errors become messages."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import click

from bot.config import ALL_KINDS, Settings, load_settings
from bot.exceptions import DrCooperError
from bot.ingest import Ingestor
from bot.projects import merged_projects, visible_projects
from bot.quarantine import check_config, quarantine
from bot.warehouse import Warehouse, exclusive_use
from render.admin import rollback, users
from render.commands import build, serve
from render.exports import FORMATS, to_csv, to_json, write_export

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("inbox_rules.yaml")


def _files_with_actor(
    paths: tuple[Path, ...], actor: str | None
) -> list[tuple[Path, str]]:
    """List the files to ingest, each with its actor.

    A file inside a folder given on the command line takes the name of its
    first sub-folder as actor (as the shared folders do); otherwise --actor
    names it.
    """
    found = []
    for path in paths:
        if not path.is_dir():
            found.append((path, actor))
            continue
        for child in sorted(path.rglob("*")):
            if not child.is_file() or child.name.startswith(("~$", ".")):
                continue
            if child.suffix.lower().lstrip(".") not in ALL_KINDS:
                continue
            parts = child.relative_to(path).parts
            found.append((child, actor or (parts[0] if len(parts) > 1 else None)))
    missing = [str(path) for path, slug in found if not slug]
    if missing:
        raise click.UsageError(
            "No actor for " + ", ".join(missing) + ": give --actor SLUG."
        )
    return [(path, str(slug)) for path, slug in found]


@click.group()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The bot's settings file.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every step.")
@click.pass_context
def main(context: click.Context, config_path: Path, verbose: bool) -> None:
    """Dr Cooper: map the international health cooperations of French operators."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        context.obj = load_settings(config_path)
    except DrCooperError as err:
        raise click.ClickException(str(err)) from err


@main.command()
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option("--actor", help="Slug of the actor who sent the files.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.pass_obj
def ingest(
    settings: Settings, paths: tuple[Path, ...], actor: str | None, as_json: bool
) -> None:
    """Ingest files or folders once and print each report.

    Without --actor, a file inside a sub-folder of a folder given here takes
    the sub-folder's name as actor.
    """
    files = _files_with_actor(paths, actor)
    ingestor = Ingestor(settings)
    reports = []
    with click.progressbar(files, label="Lecture", file=sys.stderr) as progress:
        for path, slug in progress:
            result = ingestor.ingest(path, actor=slug, source="cli")
            reports.append(result.report)
    for report in reports:
        click.echo(
            json.dumps(report.to_dict(), ensure_ascii=False)
            if as_json
            else report.to_text()
        )
    if any(report.outcome in ("unreadable", "rejected") for report in reports):
        sys.exit(2)


@main.command()
@click.option("--once", is_flag=True, help="Do one pass of every source, then stop.")
@click.pass_obj
def run(settings: Settings, once: bool) -> None:
    """Run the bot: watch the folders and poll the mailboxes until stopped."""
    from bot.scheduler import run_bot

    try:
        run_bot(settings, once=once)
    except DrCooperError as err:
        raise click.ClickException(str(err)) from err


@main.command()
@click.option(
    "--format",
    "export_format",
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
)
@click.option(
    "--include-confidential",
    is_flag=True,
    help="Keep confidential projects and fields (restricted use only).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date the statuses are computed for.",
)
@click.pass_obj
def export(
    settings: Settings,
    export_format: str,
    include_confidential: bool,
    output: Path | None,
    today: dt.datetime | None,
) -> None:
    """Export the current projects."""
    with Warehouse(settings.warehouse) as warehouse:
        projects = merged_projects(warehouse, (today or dt.datetime.now()).date())
    projects = visible_projects(
        projects, "restricted" if include_confidential else "public"
    )
    if output is not None:
        write_export(projects, export_format, output)
    elif export_format == "xlsx":
        raise click.UsageError("--format xlsx needs -o FILE.")
    else:
        text = to_json(projects) if export_format == "json" else to_csv(projects)
        click.echo(text, nl=False)


@main.command()
@click.pass_obj
def reindex(settings: Settings) -> None:
    """Rebuild the warehouse from the archive alone."""
    try:
        with exclusive_use(settings.warehouse, "reindex"):
            ingestor = Ingestor(settings)
            total = sum(1 for _ in ingestor.archive.iter_receipts())
            with click.progressbar(length=total, label="Rejeu", file=sys.stderr) as bar:
                count = ingestor.reindex(progress=lambda _receipt: bar.update(1))
    except DrCooperError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{count} fichiers rejoués depuis l'archive.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def submissions(settings: Settings, as_json: bool) -> None:
    """List the submissions with their outcome."""
    with Warehouse(settings.warehouse) as warehouse:
        rows = warehouse.submissions()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(
            f"{row['id']:>5}  {row['received_at'][:19]}  {row['actor']:<20} "
            f"{row['outcome']:<10} {row['accepted']:>4} retenus {row['rejected']:>4} "
            f"refusés  {row['file_name']}"
        )


main.add_command(rollback)
main.add_command(users)
main.add_command(build)
main.add_command(serve)
main.add_command(quarantine)
main.add_command(check_config)

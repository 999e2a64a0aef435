"""The `drcooper build` and `drcooper serve` commands."""

from __future__ import annotations

import datetime as dt
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from bot.config import Settings
from bot.exceptions import DrCooperError
from bot.projects import Visibility


@click.command()
@click.option(
    "--public",
    "visibilities",
    flag_value="public",
    multiple=True,
    help="Build the public site only.",
)
@click.option(
    "--restricted",
    "visibilities",
    flag_value="restricted",
    multiple=True,
    help="Build the restricted site only.",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date the statuses are computed for (default: today).",
)
@click.pass_obj
def build(
    settings: Settings, visibilities: tuple[Visibility, ...], today: dt.datetime | None
) -> None:
    """Build and publish the public and restricted sites (both by default)."""
    from render.build import build_site

    day = (today or dt.datetime.now()).date()
    for visibility in visibilities or ("public", "restricted"):
        try:
            release = build_site(settings, visibility, today=day)
        except DrCooperError as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"Site {visibility} publié : {release}")


@click.command()
@click.option(
    "--port", default=8000, show_default=True, help="Port of the public site."
)
@click.pass_obj
def serve(settings: Settings, port: int) -> None:
    """Preview both sites on 127.0.0.1: the public one on PORT, restricted on PORT+1."""
    servers = [
        _server(settings.public_build, port),
        _server(settings.restricted_build, port + 1),
    ]
    for server, (name, folder) in zip(
        servers,
        [("public", settings.public_build), ("restreint", settings.restricted_build)],
        strict=True,
    ):
        bound = server.server_address[1]
        click.echo(f"Site {name} ({folder}) : http://127.0.0.1:{bound}/")
        threading.Thread(target=server.serve_forever, daemon=True).start()
    click.echo("Ctrl+C pour arrêter.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _server(folder: Path, port: int) -> ThreadingHTTPServer:
    # The handler resolves the live link on each request, so a new release
    # published while serving is seen at once.
    handler = functools.partial(_QuietHandler, directory=str(folder))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the preview's terminal for the addresses printed above."""

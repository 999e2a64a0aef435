"""Administrators' commands: `drcooper rollback` and `drcooper users`."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from bot.config import Settings
from bot.exceptions import DrCooperError
from render.access import add_user, list_users, nginx_config, remove_user
from render.publish import rollback as rollback_release

BUILD_NAMES = {"public": "Site public", "restricted": "Version restreinte"}


@click.command()
@click.option("--public", "only_public", is_flag=True, help="Only the public site.")
@click.option(
    "--restricted", "only_restricted", is_flag=True, help="Only the restricted build."
)
@click.pass_obj
def rollback(settings: Settings, only_public: bool, only_restricted: bool) -> None:
    """Put the previous release of the sites back online (both by default)."""
    chosen = {"public": only_public, "restricted": only_restricted}
    if not any(chosen.values()):
        chosen = dict.fromkeys(chosen, True)
    lives = {"public": settings.public_build, "restricted": settings.restricted_build}

    # Each build is rolled back on its own: one failing leaves the other done.
    failures = []
    for build, live in lives.items():
        if not chosen[build]:
            continue
        try:
            release = rollback_release(live)
        except DrCooperError as err:
            failures.append(f"{BUILD_NAMES[build]} : {err}")
            continue
        click.echo(f"{BUILD_NAMES[build]} : version {release.name} remise en ligne.")
    if failures:
        raise click.ClickException("\n".join(failures))


@click.group()
def users() -> None:
    """Manage who may open the restricted build (HTTP basic authentication)."""


@users.command("add")
@click.argument("name")
@click.option(
    "--password-file",
    type=click.File("r", encoding="utf-8"),
    help="Read the password from the first line of this file (- for stdin).",
)
@click.pass_obj
def users_add(settings: Settings, name: str, password_file: IO[str] | None) -> None:
    """Add a user, or change their password.

    The password is asked twice, or read from --password-file; it is never
    taken from the command line, where other users of the machine see it.
    """
    if password_file is not None:
        password = password_file.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"Mot de passe de {name}",
            hide_input=True,
            confirmation_prompt="Répétez le mot de passe",
        )
    try:
        is_new = add_user(settings.htpasswd, name, password)
    except DrCooperError as err:
        raise click.ClickException(str(err)) from err
    done = "ajouté" if is_new else "mot de passe changé"
    click.echo(f"Utilisateur {name} : {done} ({settings.htpasswd}).")


@users.command("remove")
@click.argument("name")
@click.pass_obj
def users_remove(settings: Settings, name: str) -> None:
    """Remove a user: they can no longer open the restricted build."""
    try:
        remove_user(settings.htpasswd, name)
    except DrCooperError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Utilisateur {name} : retiré.")


@users.command("list")
@click.pass_obj
def users_list(settings: Settings) -> None:
    """List the users of the restricted build."""
    for name in list_users(settings.htpasswd):
        click.echo(name)


@users.command("nginx-config")
@click.option("--listen", default="80", show_default=True, help="nginx `listen`.")
@click.option("--server-name", default="_", show_default=True, help="Host name.")
@click.option(
    "--sso",
    "sso_proxy",
    metavar="URL",
    help="Protect the restricted build by single sign-on through this "
    "oauth2-proxy (e.g. http://127.0.0.1:4180) instead of passwords.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def users_nginx_config(
    settings: Settings,
    listen: str,
    server_name: str,
    sso_proxy: str | None,
    output: Path | None,
) -> None:
    """Print confidential/nginx.conf with this installation's paths."""
    try:
        text = nginx_config(
            settings, listen=listen, server_name=server_name, sso_proxy=sso_proxy
        )
    except DrCooperError as err:
        raise click.ClickException(str(err)) from err
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")

"""The shipped nginx configuration, run by a real nginx on loopback.

The public build answers to everyone; the restricted build, in its own folder
outside the public root, only to users of the bcrypt password file managed by
`drcooper users`.
"""

from __future__ import annotations

import base64
import http.client
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings, load_settings
from render.access import add_user, check_password, list_users, nginx_config
from render.exceptions import AccessError
from render.publish import publish, staging_folder
from tests.conftest import write_settings

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is not installed (scripts/install-...)"
)


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(live: Path, pages: dict[str, bytes]) -> None:
    """Publish a small static build made of these files."""
    staging = staging_folder(live)
    for name, content in pages.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    publish(staging, live)


class Nginx:
    """A throw-away nginx serving a configuration from a temporary prefix."""

    def __init__(self, prefix: Path, config: str, port: int) -> None:
        self.prefix, self.port = prefix, port
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "nginx.conf").write_text(config, encoding="utf-8")
        directives = (
            f"daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log;"
        )
        # As root, workers would run as the packaged user (www-data) and could
        # not enter pytest's private temporary folder.
        if os.geteuid() == 0:
            directives += " user root;"
        self.process = subprocess.Popen(
            [
                NGINX,
                "-p",
                str(prefix),
                "-c",
                str(prefix / "nginx.conf"),
                "-g",
                directives,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else b""
                raise RuntimeError(f"nginx stopped: {output.decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("nginx did not listen within 10 s")

    def get(
        self,
        path: str,
        *,
        user: str | None = None,
        password: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        sent = dict(headers or {})
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        result = Response(response.status, response.headers, response.read())
        connection.close()
        return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


PUBLIC_PAGES = {
    "index.html": "<h1>Carte des coopérations</h1>".encode(),
    "projets/index.html": b"<h1>Projets publics</h1>",
    "pagefind/fragment/fr_1.pf_fragment": b"\x1f\x8b public fragment",
    "assets/style.css": b"body { color: black; }" * 100,
    "404.html": b"<h1>Page introuvable</h1>",
}
RESTRICTED_PAGES = {
    "index.html": b"<h1>Version restreinte</h1>",
    "ministeres/index.html": b"<h1>Soumissions et qualite</h1>",
    "pagefind/fragment/fr_2.pf_fragment": b"\x1f\x8b restricted fragment",
    ".hidden": b"never served",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "site").mkdir()
    settings = load_settings(write_settings(tmp_path / "site"))
    build(settings.public_build, PUBLIC_PAGES)
    build(settings.restricted_build, RESTRICTED_PAGES)
    add_user(settings.htpasswd, "alice", PASSWORD, rounds=4)
    return settings


@pytest.fixture
def nginx(settings: Settings, tmp_path: Path) -> Iterator[Nginx]:
    port = free_port()
    config = nginx_config(settings, listen=f"127.0.0.1:{port}")
    server = Nginx(tmp_path / "nginx", config, port)
    yield server
    server.stop()


def test_public_site_is_open_to_everyone(nginx: Nginx) -> None:
    home = nginx.get("/")
    projects = nginx.get("/projets/")

    assert home.status == 200
    assert "Carte des coopérations".encode() in home.body
    assert projects.status == 200
    assert home.headers["Content-Type"] == "text/html; charset=utf-8"


def test_restricted_build_asks_for_credentials(nginx: Nginx) -> None:
    response = nginx.get("/restreint/")

    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert b"Version restreinte" not in response.body


def test_restricted_build_refuses_a_wrong_password_or_user(nginx: Nginx) -> None:
    assert nginx.get("/restreint/", user="alice", password="wrong").status == 401
    assert nginx.get("/restreint/", user="mallory", password=PASSWORD).status == 401


def test_restricted_build_opens_with_the_right_password(nginx: Nginx) -> None:
    response = nginx.get("/restreint/ministeres/", user="alice", password=PASSWORD)

    assert response.status == 200
    assert b"Soumissions et qualite" in response.body
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_nginx_accepts_bcrypt_2y_hashes_as_well(
    settings: Settings, nginx: Nginx
) -> None:
    # Hashes made by Apache's htpasswd start with $2y$: the same algorithm.
    line = settings.htpasswd.read_text().strip().replace("alice:", "bob:")
    with settings.htpasswd.open("a") as stream:
        stream.write(line.replace("$2b$", "$2y$") + "\n")

    assert nginx.get("/restreint/", user="bob", password=PASSWORD).status == 200


def test_users_added_and_removed_by_the_command_take_effect(
    settings: Settings, nginx: Nginx
) -> None:
    config = ["--config", str(settings.path)]
    runner = CliRunner()

    added = runner.invoke(
        main,
        [*config, "users", "add", "claire", "--password-file", "-"],
        input="un autre mot de passe\n",
    )
    listed = runner.invoke(main, [*config, "users", "list"])
    allowed = nginx.get("/restreint/", user="claire", password="un autre mot de passe")
    removed = runner.invoke(main, [*config, "users", "remove", "claire"])
    refused = nginx.get("/restreint/", user="claire", password="un autre mot de passe")

    assert added.exit_code == 0, added.output
    assert "Utilisateur claire : ajouté" in added.output
    assert listed.output.split() == ["alice", "claire"]
    assert allowed.status == 200
    assert removed.exit_code == 0, removed.output
    assert refused.status == 401


def test_restricted_folder_is_not_reachable_through_the_public_root(
    nginx: Nginx,
) -> None:
    attempts = [
        "/restricted/",
        "/restricted/index.html",
        "/../restricted/index.html",
        "/%2e%2e/restricted/index.html",
        "/restreint../restricted/index.html",
        "/restricted.releases/",
        "/public/../restricted/index.html",
    ]
    for path in attempts:
        response = nginx.get(path)
        assert response.status in (400, 404), path
        assert b"Version restreinte" not in response.body, path


def test_regex_locations_do_not_bypass_the_restricted_password(nginx: Nginx) -> None:
    fragment = "/restreint/pagefind/fragment/fr_2.pf_fragment"

    assert nginx.get(fragment).status == 401
    assert nginx.get(fragment, user="alice", password=PASSWORD).status == 200
    # Dot files answer 404 to everyone, before any password is asked.
    for user in (None, "alice"):
        hidden = nginx.get("/restreint/.hidden", user=user, password=PASSWORD)
        assert hidden.status == 404
        assert b"never served" not in hidden.body


def test_pagefind_files_are_never_compressed_twice(nginx: Nginx) -> None:
    gzip_accepted = {"Accept-Encoding": "gzip"}
    fragment = nginx.get("/pagefind/fragment/fr_1.pf_fragment", headers=gzip_accepted)
    style = nginx.get("/assets/style.css", headers=gzip_accepted)

    assert fragment.status == 200
    assert fragment.headers["Content-Type"] == "application/octet-stream"
    assert fragment.headers["Content-Encoding"] is None
    assert fragment.body == PUBLIC_PAGES["pagefind/fragment/fr_1.pf_fragment"]
    assert fragment.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert style.headers["Content-Encoding"] == "gzip"


def test_every_answer_carries_the_security_headers(nginx: Nginx) -> None:
    for response in (nginx.get("/"), nginx.get("/restreint/"), nginx.get("/nope")):
        csp = response.headers["Content-Security-Policy"]
        assert csp.startswith("default-src 'self'")
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert nginx.get("/").headers["Cache-Control"] == "no-cache"


def test_folders_are_never_listed(nginx: Nginx) -> None:
    listing = nginx.get("/assets/")

    assert listing.status in (403, 404)
    assert b"style.css" not in listing.body


def test_missing_page_gets_the_site_404_page(nginx: Nginx) -> None:
    response = nginx.get("/nulle-part/")

    assert response.status == 404
    assert b"Page introuvable" in response.body


def test_a_new_release_is_served_without_reloading_nginx(
    settings: Settings, nginx: Nginx
) -> None:
    build(settings.public_build, {"index.html": b"<h1>Nouvelle version</h1>"})

    assert b"Nouvelle version" in nginx.get("/").body


def test_password_file_lies_outside_both_web_roots(
    settings: Settings, nginx: Nginx
) -> None:
    assert settings.htpasswd.name == "restricted.htpasswd"
    for path in ("/restricted.htpasswd", "/restreint/restricted.htpasswd"):
        response = nginx.get(path, user="alice", password=PASSWORD)
        assert response.status == 404, path
        assert b"$2b$" not in response.body


def test_password_is_stored_as_bcrypt_and_checked(settings: Settings) -> None:
    [line] = settings.htpasswd.read_text().splitlines()

    assert line.startswith("alice:$2b$04$")
    assert PASSWORD not in line
    assert check_password(settings.htpasswd, "alice", PASSWORD)
    assert not check_password(settings.htpasswd, "alice", "correct horse")
    assert oct(settings.htpasswd.stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("alice:admin", PASSWORD, "Nom d'utilisateur refusé"),
        ("claire", "court", "trop court"),
        ("claire", "é" * 40, "trop long"),
    ],
)
def test_bad_user_names_and_passwords_are_refused(
    settings: Settings, name: str, password: str, message: str
) -> None:
    with pytest.raises(AccessError, match=message):
        add_user(settings.htpasswd, name, password)

    assert list_users(settings.htpasswd) == ["alice"]


def test_users_add_asks_the_password_twice(settings: Settings) -> None:
    config = ["--config", str(settings.path)]

    result = CliRunner().invoke(
        main,
        [*config, "users", "add", "denis"],
        input="premier mot de passe\nsecond mot de passe\n"
        "premier mot de passe\npremier mot de passe\n",
    )

    assert result.exit_code == 0, result.output
    assert "premier mot de passe" not in result.output
    assert check_password(settings.htpasswd, "denis", "premier mot de passe")


def test_removing_an_unknown_user_says_so(settings: Settings) -> None:
    result = CliRunner().invoke(
        main, ["--config", str(settings.path), "users", "remove", "zoe"]
    )

    assert result.exit_code == 1
    assert "Aucun utilisateur « zoe »" in result.output


def test_password_file_inside_a_build_is_refused(tmp_path: Path) -> None:
    path = write_settings(tmp_path, "access:\n  htpasswd: var/public/users\n")

    with pytest.raises(Exception, match=r"access\.htpasswd: must be outside"):
        load_settings(path)


class SignInProxy(http.server.BaseHTTPRequestHandler):
    """Answers as oauth2-proxy does: 202 for a session cookie, 401 without."""

    def do_GET(self) -> None:
        if self.path.startswith("/oauth2/auth"):
            signed_in = "_oauth2_proxy=session" in (self.headers["Cookie"] or "")
            self.send_response(202 if signed_in else 401)
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"page de connexion du ministere")

    def log_message(self, format: str, *args: object) -> None:
        return


def test_single_sign_on_variant_asks_the_proxy_for_every_request(
    settings: Settings, tmp_path: Path
) -> None:
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SignInProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    port = free_port()
    config = nginx_config(
        settings,
        listen=f"127.0.0.1:{port}",
        sso_proxy=f"http://127.0.0.1:{proxy.server_address[1]}",
    )
    server = Nginx(tmp_path / "nginx-sso", config, port)
    try:
        anonymous = server.get("/restreint/ministeres/")
        signed_in = server.get(
            "/restreint/ministeres/", headers={"Cookie": "_oauth2_proxy=session"}
        )
        sign_in_page = server.get(anonymous.headers["Location"])
        public = server.get("/")
    finally:
        server.stop()
        proxy.shutdown()

    assert "auth_basic" not in config
    assert anonymous.status == 302
    assert anonymous.headers["Location"] == (
        "/oauth2/sign_in?rd=/restreint/ministeres/"
    )
    assert signed_in.status == 200
    assert b"Soumissions et qualite" in signed_in.body
    assert b"page de connexion" in sign_in_page.body
    assert public.status == 200


def test_shipped_configuration_has_only_documented_placeholders() -> None:
    import re

    from render.access import NGINX_SSO_BLOCK, NGINX_TEMPLATE

    text = NGINX_TEMPLATE.read_text() + NGINX_SSO_BLOCK.read_text()
    placeholders = set(re.findall(r"@[A-Z_]+@", text))

    assert placeholders == {
        "@LISTEN@",
        "@SERVER_NAME@",
        "@PUBLIC_ROOT@",
        "@RESTRICTED_ROOT@",
        "@HTPASSWD@",
        "@SSO_PROXY@",
    }
    readme = (NGINX_TEMPLATE.parent / "README.md").read_text()
    assert all(placeholder in readme for placeholder in placeholders)


def test_nginx_config_command_fills_in_the_paths(settings: Settings) -> None:
    result = CliRunner().invoke(
        main,
        ["--config", str(settings.path), "users", "nginx-config", "--listen", "8080"],
    )

    assert result.exit_code == 0, result.output
    assert f"root {settings.public_build};" in result.output
    assert f"alias {settings.restricted_build}/;" in result.output
    assert f"auth_basic_user_file {settings.htpasswd};" in result.output
    assert "@" + "PUBLIC_ROOT@" not in result.output


def test_production_settings_load_and_give_an_nginx_configuration() -> None:
    from render.access import CONFIDENTIAL

    settings = load_settings(CONFIDENTIAL / "inbox_rules.production.yaml")

    config = nginx_config(settings, server_name="cooperations.example.gouv.fr")
    assert settings.publish.keep == 5
    assert "root /srv/drcooper/var/public;" in config
    assert "auth_basic_user_file /srv/drcooper/var/restricted.htpasswd;" in config


def test_real_builds_are_served_public_open_and_restricted_closed(
    tmp_path: Path, workbook_factory: Any
) -> None:
    from bot.ingest import Ingestor
    from render.build import build_site
    from tests.conftest import TODAY

    settings = load_settings(write_settings(tmp_path))
    rows = [
        ["Titre", "Pays", "Confidentiel"],
        ["Dépistage du paludisme à Thiès", "Sénégal", "non"],
        ["Essai Zorglubium au Kivu", "RDC", "oui"],
    ]
    ingestor = Ingestor(settings)
    ingestor.ingest(workbook_factory("p.xlsx", rows), actor="chu-lyon", source="t")
    ingestor.warehouse.close()
    build_site(settings, "public", today=TODAY)
    build_site(settings, "restricted", today=TODAY)
    add_user(settings.htpasswd, "alice", PASSWORD, rounds=4)
    port = free_port()
    server = Nginx(
        tmp_path / "nginx", nginx_config(settings, listen=f"127.0.0.1:{port}"), port
    )
    try:
        home = server.get("/")
        search_entry = server.get("/pagefind/pagefind-entry.json")
        closed = server.get("/restreint/")
        opened = server.get("/restreint/", user="alice", password=PASSWORD)
    finally:
        server.stop()

    assert home.status == 200
    assert search_entry.status == 200
    assert b"Zorglubium" not in home.body
    assert closed.status == 401
    assert opened.status == 200
    # Only the restricted build links to the ministries' follow-up page.
    assert "Suivi ministères".encode() in opened.body
    assert "Suivi ministères".encode() not in home.body

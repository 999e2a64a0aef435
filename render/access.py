"""Who may open the restricted build: the password file and the nginx setup.

The password file (`access.htpasswd`) holds one `name:hash` line per user,
the format of nginx's `auth_basic_user_file`. Hashes are bcrypt (`$2b$`):
nginx checks them with the system's crypt(3), and Debian 12's libxcrypt
accepts `$2b$` and `$2y$` (tests/test_access.py checks it with a real nginx).
The file is rewritten whole under a temporary name and renamed over the old
one, so nginx never reads half a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import bcrypt

from bot.config import Settings
from render.exceptions import AccessError

log = logging.getLogger(__name__)

CONFIDENTIAL = Path(__file__).resolve().parent.parent / "confidential"
NGINX_TEMPLATE = CONFIDENTIAL / "nginx.conf"
NGINX_SSO_BLOCK = CONFIDENTIAL / "nginx-sso.conf"

# bcrypt's cost: 2^12 rounds take about 0.2 s, once per request that
# carries a password (nginx does not cache the check).
BCRYPT_ROUNDS = 12
MIN_PASSWORD_LENGTH = 12
# bcrypt reads at most 72 bytes; a longer password would be cut silently.
MAX_PASSWORD_BYTES = 72
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
FILE_MODE = 0o640


def list_users(htpasswd: Path) -> list[str]:
    """Return the user names of the password file, in file order."""
    return list(_read(htpasswd))


def add_user(
    htpasswd: Path, name: str, password: str, *, rounds: int = BCRYPT_ROUNDS
) -> bool:
    """Add a user or change their password; return True when the user is new."""
    _check_name(name)
    _check_password(password)
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=rounds))
    with _locked(htpasswd):
        users = _read(htpasswd)
        is_new = name not in users
        users[name] = hashed.decode("ascii")
        _write(htpasswd, users)
    log.info("user %s: %s in %s", name, "added" if is_new else "updated", htpasswd)
    return is_new


def remove_user(htpasswd: Path, name: str) -> None:
    """Remove a user; raise AccessError when there is no such user."""
    with _locked(htpasswd):
        users = _read(htpasswd)
        if name not in users:
            raise AccessError(
                f"Aucun utilisateur « {name} » dans {htpasswd} "
                "(`drcooper users list` les affiche)."
            )
        del users[name]
        _write(htpasswd, users)
    log.info("user %s: removed from %s", name, htpasswd)


def check_password(htpasswd: Path, name: str, password: str) -> bool:
    """Return True when the password file accepts this name and password."""
    hashed = _read(htpasswd).get(name)
    if hashed is None or len(password.encode()) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(password.encode(), hashed.encode("ascii"))


def _check_name(name: str) -> None:
    # A colon or a line break would corrupt the user file's format.
    if not USER_NAME.match(name):
        raise AccessError(
            f"Nom d'utilisateur refusé : « {name} ». Utilisez de 1 à 64 lettres "
            "sans accent, chiffres, points, tirets, @ ou _, sans espace."
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(
            f"Mot de passe trop court : il faut au moins {MIN_PASSWORD_LENGTH} "
            "caractères."
        )
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AccessError(
            f"Mot de passe trop long : bcrypt n'en lit que {MAX_PASSWORD_BYTES} "
            "octets ; choisissez-en un plus court."
        )
    if "\n" in password or "\r" in password:
        raise AccessError("Le mot de passe ne peut pas contenir de saut de ligne.")


def _read(htpasswd: Path) -> dict[str, str]:
    if not htpasswd.exists():
        return {}
    users: dict[str, str] = {}
    for line in htpasswd.read_text(encoding="utf-8").splitlines():
        name, separator, hashed = line.partition(":")
        if separator and not line.startswith("#"):
            users[name] = hashed
    return users


def _write(htpasswd: Path, users: dict[str, str]) -> None:
    htpasswd.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=htpasswd.parent, prefix=f".{htpasswd.name}."
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.writelines(f"{name}:{hashed}\n" for name, hashed in users.items())
            stream.flush()
            os.fsync(stream.fileno())
        # Keep the group of an existing file (www-data must read it).
        if htpasswd.exists():
            stat = htpasswd.stat()
            with contextlib.suppress(PermissionError):
                os.chown(temporary, stat.st_uid, stat.st_gid)
        Path(temporary).chmod(FILE_MODE)
        Path(temporary).replace(htpasswd)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(htpasswd: Path) -> Iterator[None]:
    # Two administrators adding users at once must not lose one of them.
    htpasswd.parent.mkdir(parents=True, exist_ok=True)
    lock_path = htpasswd.with_name(f".{htpasswd.name}.lock")
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def nginx_config(
    settings: Settings,
    *,
    listen: str = "80",
    server_name: str = "_",
    sso_proxy: str | None = None,
) -> str:
    """Return confidential/nginx.conf with this installation's paths filled in.

    With `sso_proxy` (the URL of an oauth2-proxy), the restricted build is
    protected by single sign-on instead of the password file.
    """
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    if sso_proxy is not None:
        begin = text.index("        # BEGIN restricted access")
        end = text.index("# END restricted access")
        block = NGINX_SSO_BLOCK.read_text(encoding="utf-8")
        text = text[:begin] + block + "        " + text[end:]
    values = {
        "@LISTEN@": listen,
        "@SERVER_NAME@": server_name,
        "@PUBLIC_ROOT@": str(settings.public_build.absolute()),
        "@RESTRICTED_ROOT@": str(settings.restricted_build.absolute()),
        "@HTPASSWD@": str(settings.htpasswd.absolute()),
        "@SSO_PROXY@": sso_proxy or "",
    }
    for placeholder, value in values.items():
        # A space or a semicolon in a path would end the nginx directive.
        if re.search(r"[\s;{}#'\"]", value):
            raise AccessError(
                f"Chemin ou valeur inutilisable dans nginx : « {value} » "
                "(espace, point-virgule, accolade, guillemet ou # interdits)."
            )
        text = text.replace(placeholder, value)
    return text

"""Publishing a finished build: an atomic swap of the live site, and rollback.

The live folder (`builds.public`, `builds.restricted`) is a symbolic link to
one release in a sibling folder::

    var/public            -> public.releases/20261203T165800.123456Z
    var/public.releases/  20261202T030000.000000Z/  20261203T165800.123456Z/

A new build is written in a staging folder inside the releases folder (the
same file system, so moving it is a rename), renamed to its release name, and
published by creating a new link under a temporary name and renaming it over
the live one: rename(2) replaces the link atomically, so a reader (nginx, a
browser) sees the old release or the new one, never a half-written site. A
build that fails before `publish` never touches the live link. The last few
releases are kept for `rollback`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from bot.archive import fsync_folder
from render.exceptions import PublishError

log = logging.getLogger(__name__)

RELEASE_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def releases_folder(live: Path) -> Path:
    """Return the folder holding the releases of a live site."""
    return live.parent / f"{live.name}.releases"


def releases(live: Path) -> list[Path]:
    """Return the releases of a live site, oldest first."""
    folder = releases_folder(live)
    if not folder.is_dir():
        return []
    return sorted(
        child
        for child in folder.iterdir()
        if child.is_dir() and not child.name.startswith(".")
    )


def current_release(live: Path) -> Path | None:
    """Return the release the live link points to, or None before any publish."""
    if not live.is_symlink():
        return None
    return releases_folder(live) / live.readlink().name


def staging_folder(live: Path) -> Path:
    """Create an empty folder to build into, on the same file system as `live`."""
    folder = releases_folder(live)
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    return staging


def publish(staging: Path, live: Path, *, keep: int = 5) -> Path:
    """Make a finished build the live site atomically; return its release folder.

    `staging` is moved (renamed when it is on the same file system, else
    copied) into the releases, so it no longer exists afterwards. `live` may
    be missing (first publish), a link from an earlier publish, or a real
    folder from before releases existed (it becomes the oldest release).
    """
    if keep < 1:
        raise PublishError(f"Il faut garder au moins une version (keep={keep}).")
    staging, live = staging.absolute(), live.absolute()
    if not staging.is_dir():
        raise PublishError(f"Le dossier de construction {staging} n'existe pas.")
    inside = (
        staging.resolve().is_relative_to(live.resolve()) if live.exists() else False
    )
    if inside or live == staging or live in staging.parents:
        raise PublishError(
            f"Le dossier de construction {staging} est dans le site en ligne {live} ; "
            "construisez à côté, jamais dedans."
        )

    with _lock(live):
        if live.is_dir() and not live.is_symlink():
            _migrate_real_folder(live)
        release = _new_release(staging, live)
        _point(live, release)
        log.info("site %s: release %s published", live, release.name)
        _prune(live, keep)
    return release


def rollback(live: Path) -> Path:
    """Point the live site back to the release before the current one."""
    live = live.absolute()
    with _lock(live):
        current = current_release(live)
        if current is None:
            raise PublishError(
                f"{live} n'a jamais été publié par Dr Cooper : rien à restaurer."
            )
        earlier = [r for r in releases(live) if r.name < current.name]
        if not earlier:
            raise PublishError(
                f"Aucune version antérieure à {current.name} n'est conservée pour "
                f"{live} : retour arrière impossible."
            )
        _point(live, earlier[-1])
        log.info("site %s: rolled back from %s to %s", live, current.name, earlier[-1])
    return earlier[-1]


@contextlib.contextmanager
def _lock(live: Path) -> Iterator[None]:
    # Two publishers (the bot and an administrator) must not interleave swaps.
    folder = releases_folder(live)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _release_name(folder: Path) -> Path:
    # A name that sorts in publishing order; two publishes in the same
    # microsecond get a suffix that still sorts after the first.
    stamp = dt.datetime.now(dt.UTC).strftime(RELEASE_FORMAT)
    release, suffix = folder / stamp, 1
    while release.exists():
        suffix += 1
        release = folder / f"{stamp}-{suffix}"
    return release


def _new_release(staging: Path, live: Path) -> Path:
    folder = releases_folder(live)
    release = _release_name(folder)
    try:
        staging.rename(release)
    except OSError:
        # Another file system: copy under a hidden name, then rename, so that
        # a half copy is never a release.
        partial = folder / f".copy-{release.name}"
        shutil.copytree(staging, partial, symlinks=True)
        partial.rename(release)
        shutil.rmtree(staging)
    return release


def _point(live: Path, release: Path) -> None:
    # A relative target keeps working when the whole var/ folder is moved.
    target = Path(releases_folder(live).name) / release.name
    link = live.parent / f".{live.name}.swap-{uuid.uuid4().hex}"
    link.symlink_to(target, target_is_directory=True)
    try:
        link.replace(live)
    except OSError as err:
        link.unlink(missing_ok=True)
        raise PublishError(
            f"Impossible de remplacer {live} par la version {release.name} : {err}."
        ) from err
    fsync_folder(live.parent)


def _migrate_real_folder(live: Path) -> None:
    # Limitation: a folder cannot be replaced by a link in one rename, so
    # between these two renames (microseconds, once in the site's life) the
    # live path is missing and a request would get a 404.
    folder = releases_folder(live)
    modified = dt.datetime.fromtimestamp(live.stat().st_mtime, dt.UTC)
    release = folder / modified.strftime(RELEASE_FORMAT)
    while release.exists():
        release = release.with_name(release.name + "-0")
    live.rename(release)
    _point(live, release)
    log.info("site %s: existing folder kept as release %s", live, release.name)


def _prune(live: Path, keep: int) -> None:
    current = current_release(live)
    kept = releases(live)
    for release in kept[: max(0, len(kept) - keep)]:
        if release == current:
            continue
        shutil.rmtree(release)
        log.debug("site %s: old release %s removed", live, release.name)

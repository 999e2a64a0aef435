"""The shared-folder source: files contributors drop in a watched folder.

A file goes through three steps::

    noticed   a watchdog event or a full rescan names the path
    stable    its size and modification time stayed unchanged for
              `stable_seconds` (a file still being copied is left alone)
    taken     hashed, attributed to an actor, handed over as an `Arrival`

Network shares send no change events, so a periodic full rescan feeds the same
"noticed" step as the events do. The contributor's files are only ever read:
never moved, renamed or modified. Ingesting an `Arrival` (`ingest_arrival`) is
done by the one thread that owns the `Ingestor`, since its SQLite connection
belongs to the thread that opened it.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers.api import BaseObserver

from bot.archive import file_sha256
from bot.config import FolderSource
from bot.ingest import Ingestor, SubmissionResult

log = logging.getLogger(__name__)

# Files that editors and copy tools leave next to the real one while working.
TEMPORARY_PATTERNS: tuple[str, ...] = (
    "~$*",  # Microsoft Office owner file of an open workbook
    ".~lock.*#",  # LibreOffice lock file
    "*.tmp",
    "*.part",
    "*.crdownload",
    "*~",
)

# In `--once` mode, how long two looks at a file are apart, and how long to wait
# at most for files still being written before giving up on them.
ONCE_LOOK_SECONDS = 0.3
ONCE_PATIENCE_SECONDS = 60.0


@dataclass(frozen=True)
class Arrival:
    """A stable file, attributed to an actor, ready to be ingested."""

    path: Path
    actor: str
    source: str
    sha256: str

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class _Look:
    """What a file looked like, and since when it has looked like that."""

    size: int
    mtime_ns: int
    since: float


def actor_slug(name: str) -> str:
    """Turn a folder name ("CHU Bordeaux", "Institut_Pasteur") into an actor slug."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    ascii_name = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")


def ignored_because(relative: PurePosixPath, accept: tuple[str, ...]) -> str | None:
    """Say why a file is not a submission (hidden, temporary, kind), or None."""
    if any(part.startswith(".") for part in relative.parts):
        return "hidden file or folder"
    name = relative.name.lower()
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in TEMPORARY_PATTERNS):
        return "lock or temporary file"
    kind = relative.suffix.lower().lstrip(".")
    if kind not in accept:
        return f"kind {kind or '(none)'} not accepted here"
    return None


class FolderWatcher:
    """Watch one shared folder and hand over the files that have settled.

    `note` is called from watchdog's thread, `rescan` and `poll` from the
    scheduler's; the shared state is guarded by one lock.
    """

    def __init__(
        self, folder: FolderSource, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.folder = folder
        self.root = folder.path.resolve()
        self.source = f"folder:{folder.path}"
        self.clock = clock
        self._lock = threading.Lock()
        self._noticed: set[Path] = set()
        self._looks: dict[Path, _Look] = {}
        # What was handed over last, to hash and hand a file again only when
        # it changed: path -> (size, mtime_ns, sha256).
        self._taken: dict[Path, tuple[int, int, str]] = {}
        self._warned: set[Path] = set()
        self._missing_warned = False

    @property
    def name(self) -> str:
        return self.source

    def observe(self, observer: BaseObserver) -> bool:
        """Schedule watchdog events for this folder; False when they are unavailable."""
        if not self.root.is_dir():
            self._warn_missing()
            return False
        try:
            observer.schedule(_EventHandler(self), str(self.root), recursive=True)
        except OSError as err:
            # Out of inotify watches, say: the periodic rescan still finds files.
            log.warning(
                "%s: no change events (%s); files are found by the rescan only",
                self.source,
                err,
            )
            return False
        return True

    def note(self, path: Path) -> None:
        """Remember that a path may have changed; it is looked at on the next poll."""
        with self._lock:
            self._noticed.add(path)

    def rescan(self, under: Path | None = None) -> int:
        """Notice every file under the folder (or one of its sub-folders)."""
        if not self.root.is_dir():
            self._warn_missing()
            return 0
        self._missing_warned = False
        started = time.perf_counter()
        paths = [
            Path(folder) / file_name
            for folder, _, file_names in os.walk(under or self.root)
            for file_name in file_names
        ]
        with self._lock:
            self._noticed.update(paths)
        log.debug(
            "%s: rescan noticed %d files in %.2f s",
            self.source,
            len(paths),
            time.perf_counter() - started,
        )
        return len(paths)

    def poll(self) -> list[Arrival]:
        """Look at every noticed or unsettled file; return those now stable."""
        return self._look_all(trust_mtime=False)

    def scan_once(self) -> list[Arrival]:
        """Return every stable file now in the folder, for a single pass (`--once`).

        There is no time to watch a file for `stable_seconds`: a file is stable
        when two looks `ONCE_LOOK_SECONDS` apart see the same size and time, and
        its modification time is at least `stable_seconds` old. A file still
        changing is looked at again, up to `ONCE_PATIENCE_SECONDS`, then left
        for the next run with a warning.
        """
        self.rescan()
        arrivals = self._look_all(trust_mtime=True)
        deadline = self.clock() + self.folder.stable_seconds + ONCE_PATIENCE_SECONDS
        while self._looks and self.clock() < deadline:
            time.sleep(ONCE_LOOK_SECONDS)
            arrivals += self._look_all(trust_mtime=True)
        for path in sorted(self._looks):
            log.warning(
                "%s: %s is still being written; it was not taken and will be "
                "at the next run",
                self.source,
                path,
            )
        return arrivals

    def _look_all(self, *, trust_mtime: bool) -> list[Arrival]:
        with self._lock:
            paths = self._noticed | set(self._looks)
            self._noticed.clear()
            arrivals = []
            for path in sorted(paths):
                arrival = self._look(path, trust_mtime=trust_mtime)
                if arrival is not None:
                    arrivals.append(arrival)
        return arrivals

    def _look(self, path: Path, *, trust_mtime: bool) -> Arrival | None:
        """Take one look at a file; return its arrival once it is stable."""
        actor = self._actor_for(path)
        if actor is None:
            self._forget(path)
            return None
        try:
            stat = path.stat()
        except OSError:
            # Deleted or renamed since it was noticed: nothing to take.
            self._forget(path)
            return None

        size, mtime_ns = stat.st_size, stat.st_mtime_ns
        taken = self._taken.get(path)
        if taken is not None and taken[:2] == (size, mtime_ns):
            self._looks.pop(path, None)
            return None

        # A new size or time restarts the wait: the file is still being written.
        now = self.clock()
        look = self._looks.get(path)
        if look is None or (look.size, look.mtime_ns) != (size, mtime_ns):
            self._looks[path] = _Look(size, mtime_ns, since=now)
            return None
        settled = now - look.since >= self.folder.stable_seconds
        if trust_mtime:
            age = time.time() - mtime_ns / 1e9
            settled = settled or age >= self.folder.stable_seconds
        if not settled:
            return None

        del self._looks[path]
        try:
            sha256 = file_sha256(path)
        except OSError as err:
            log.warning("%s: %s cannot be read: %s", self.source, path, err)
            return None
        self._taken[path] = (size, mtime_ns, sha256)
        log.debug("%s: %s is stable, handed over for %s", self.source, path, actor)
        return Arrival(path=path, actor=actor, source=self.source, sha256=sha256)

    def _forget(self, path: Path) -> None:
        self._looks.pop(path, None)
        self._taken.pop(path, None)

    def _actor_for(self, path: Path) -> str | None:
        """Return the actor a file belongs to, or None when it is not to be taken."""
        try:
            relative = PurePosixPath(path.resolve().relative_to(self.root).as_posix())
        except (OSError, ValueError):
            # A link leading out of the folder: never take what lies outside.
            log.debug("%s: %s lies outside the folder, ignored", self.source, path)
            return None
        reason = ignored_because(relative, self.folder.accept)
        if reason is not None:
            log.debug("%s: %s ignored: %s", self.source, relative, reason)
            return None

        if self.folder.actor_from == "subfolder":
            actor = actor_slug(relative.parts[0]) if len(relative.parts) > 1 else ""
            advice = (
                "move it into the sub-folder named after its actor "
                "(for example chu-bordeaux/)"
            )
        else:
            actor = self._actor_by_rules(relative)
            advice = "add a rule whose pattern matches it in inbox_rules.yaml"
        if actor:
            return actor

        if path not in self._warned:
            self._warned.add(path)
            log.warning(
                "%s: %s has no actor and is not ingested; %s",
                self.source,
                relative,
                advice,
            )
        return None

    def _actor_by_rules(self, relative: PurePosixPath) -> str:
        # fnmatch on the whole relative path, ignoring case: `*` also matches
        # "/", so "aphp/*" takes files at any depth under aphp/, and "*.csv"
        # any CSV anywhere. Contributors' folder names vary in case.
        text = str(relative).casefold()
        for rule in self.folder.rules:
            if fnmatch.fnmatchcase(text, rule.pattern.casefold()):
                return rule.actor
        return ""

    def _warn_missing(self) -> None:
        if not self._missing_warned:
            self._missing_warned = True
            log.warning(
                "%s: the folder does not exist or is not mounted; create it or "
                "correct folders[].path in inbox_rules.yaml",
                self.source,
            )


class _EventHandler(FileSystemEventHandler):
    """Pass watchdog's file events on to the watcher; directories are walked later."""

    def __init__(self, watcher: FolderWatcher) -> None:
        self.watcher = watcher

    def on_created(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, walk=event.is_directory)

    def on_modified(self, event: FileSystemEvent) -> None:
        # A folder is "modified" whenever a file in it changes: that file has
        # its own event.
        if not event.is_directory:
            self._notice(event.src_path, walk=False)

    def on_closed(self, event: FileSystemEvent) -> None:
        self._notice(event.src_path, walk=False)

    def on_moved(self, event: FileSystemEvent) -> None:
        self._notice(event.dest_path, walk=event.is_directory)

    def _notice(self, raw_path: bytes | str, *, walk: bool) -> None:
        if not raw_path:
            return
        path = Path(os.fsdecode(raw_path))
        if walk:
            # A folder created or moved in whole sends no event per file inside.
            self.watcher.rescan(under=path)
        else:
            self.watcher.note(path)


def ingest_arrival(ingestor: Ingestor, arrival: Arrival) -> SubmissionResult | None:
    """Ingest a stable file unless its content was already taken from its actor.

    Never raises: a failure is logged with the file, so the loop goes on.
    """
    try:
        if ingestor.warehouse.ingested_before(arrival.sha256, arrival.actor):
            log.debug(
                "%s: %s holds content already taken from %s, not ingested again",
                arrival.source,
                arrival.path,
                arrival.actor,
            )
            return None
        result = ingestor.ingest(
            arrival.path,
            actor=arrival.actor,
            source=arrival.source,
            file_name=arrival.file_name,
        )
    except Exception:
        # Limitation: a file whose ingestion failed is tried again only when it
        # changes or the bot restarts; retrying each rescan would archive it
        # again every time for a fault that is most likely ours.
        log.exception(
            "%s: %s (actor %s) could not be ingested",
            arrival.source,
            arrival.path,
            arrival.actor,
        )
        return None

    return result

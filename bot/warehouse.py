"""The warehouse: submissions, actors and each actor's records of projects (SQLite).

The warehouse is derived from the archive. It keeps, per actor and per
document, the records of the latest accepted version; earlier records are kept
with the submission that withdrew them, so history is never lost. A project seen
by several actors is the merge of each actor's current record (see `merge`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.exceptions import WarehouseBusy, WarehouseError
from bot.vocabulary import normalise

log = logging.getLogger(__name__)

# Each entry is one schema version; never edit a released entry, append one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE actors (
        slug TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        receipt TEXT NOT NULL UNIQUE,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL,
        actor TEXT NOT NULL REFERENCES actors(slug),
        sender TEXT,
        file_name TEXT NOT NULL,
        document_key TEXT NOT NULL,
        received_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        accepted INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        report TEXT NOT NULL
    );
    CREATE INDEX submissions_sha256 ON submissions(sha256, actor);
    CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        title_key TEXT NOT NULL,
        created_by INTEGER NOT NULL REFERENCES submissions(id)
    );
    CREATE INDEX projects_title_key ON projects(title_key);
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id),
        actor TEXT NOT NULL REFERENCES actors(slug),
        document_key TEXT NOT NULL,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        reference TEXT,
        title_key TEXT NOT NULL,
        location TEXT,
        data TEXT NOT NULL,
        withdrawn_by INTEGER REFERENCES submissions(id)
    );
    CREATE INDEX records_current ON records(actor, document_key, withdrawn_by);
    CREATE INDEX records_project ON records(project_id, withdrawn_by);
    """,
    # The mailbox (bot/mailbox.py, bot/reply.py): each message by its IMAP
    # identity, what became of it, and the replies waiting to be sent.
    """
    CREATE TABLE mail_messages (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        eml_sha256 TEXT NOT NULL,
        message_id TEXT,
        sender TEXT NOT NULL,
        subject TEXT NOT NULL,
        received_at TEXT NOT NULL,
        state TEXT NOT NULL,
        verdict TEXT NOT NULL,
        actor TEXT,
        reason TEXT,
        folder TEXT,
        receipts TEXT NOT NULL DEFAULT '[]',
        notes TEXT NOT NULL DEFAULT '[]',
        UNIQUE (account, uidvalidity, uid)
    );
    CREATE INDEX mail_messages_eml ON mail_messages(account, eml_sha256);
    CREATE INDEX mail_messages_verdict ON mail_messages(verdict, state);
    CREATE TABLE mail_replies (
        id INTEGER PRIMARY KEY,
        message INTEGER NOT NULL UNIQUE REFERENCES mail_messages(id),
        recipient TEXT NOT NULL,
        content BLOB NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        sent_at TEXT
    );
    """,
)


# Tables recording what happened outside the archive (how mail was handled,
# replies owed): reindex cannot derive them, so it carries them over.
CARRIED_TABLES: tuple[str, ...] = ("mail_messages", "mail_replies")


@dataclass
class StoredRecord:
    """A project record ready to store, with the keys that identify its project."""

    reference: str | None
    title: str
    location: str | None
    data: dict[str, Any]
    project_id: str | None = None


@contextmanager
def exclusive_use(warehouse: Path, purpose: str) -> Iterator[None]:
    """Hold the warehouse for one bot or one reindex at a time.

    Two bots would ingest the same files twice, and a reindex swaps the
    warehouse file under a running bot; a lock file beside the warehouse
    (flock, released by the system if the process dies) prevents both.
    """
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise WarehouseBusy(
                f"The warehouse {warehouse} is in use ({holder}); stop it first, "
                f"or wait until it ends, before the {purpose}."
            ) from err
        lock.seek(0)
        lock.truncate()
        lock.write(f"{purpose}, process {os.getpid()}\n")
        lock.flush()
        try:
            yield
        finally:
            lock.seek(0)
            lock.truncate()
            fcntl.flock(lock, fcntl.LOCK_UN)


def title_key(title: str) -> str:
    """Return the key that identifies a project by its title across versions."""
    return normalise(title)


def document_key(file_name: str) -> str:
    """Return the key under which successive versions of one file are grouped.

    Contributors rename their workbook as versions go ("Projets 2025 v3.xlsx",
    "projets_2026.xlsx"): years, version marks, dates and copy suffixes are
    dropped so both give "projets".
    """
    stem = Path(file_name).stem
    key = normalise(stem)
    key = re.sub(r"\b(v|version|rev)\s*\d+\b", " ", key)
    key = re.sub(
        r"\b(final|definitif|copie|copy|maj|mise a jour|update[d]?)\b", " ", key
    )
    key = re.sub(r"\b\d+\b", " ", key)
    key = " ".join(key.split())
    return key or normalise(stem) or "document"


def _slug(text: str) -> str:
    words = normalise(text).split()
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 60:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "projet"


class Warehouse:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except sqlite3.Error as err:
            raise WarehouseError(
                f"The warehouse {path} cannot be opened: {err}"
            ) from err

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _migrate(self) -> None:
        # The version is read inside the write lock: two processes opening a
        # new warehouse at once (the bot and a command) must not both migrate.
        while True:
            with self.transaction():
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                if version > len(MIGRATIONS):
                    raise WarehouseError(
                        f"The warehouse {self.path} has schema version {version}, "
                        f"newer than this Dr Cooper ({len(MIGRATIONS)}); "
                        "upgrade Dr Cooper."
                    )
                if version == len(MIGRATIONS):
                    return
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version + 1}")
            log.info(
                "warehouse %s: migrated to schema version %s", self.path, version + 1
            )

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # Actors

    def ensure_actor(self, slug: str, name: str | None, created_at: str) -> None:
        """Create the actor if unknown; a configured name replaces the slug."""
        self.db.execute(
            "INSERT INTO actors (slug, name, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(slug) DO UPDATE SET name = excluded.name "
            "WHERE excluded.name != excluded.slug",
            (slug, name or slug, created_at),
        )

    def actor_names(self) -> dict[str, str]:
        rows = self.db.execute("SELECT slug, name FROM actors ORDER BY slug")
        return {row["slug"]: row["name"] for row in rows}

    # Submissions

    def has_receipt(self, receipt_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM submissions WHERE receipt = ?", (receipt_id,)
        )
        return row.fetchone() is not None

    def ingested_before(self, sha256: str, actor: str) -> bool:
        """Tell whether this content from this actor was already taken."""
        row = self.db.execute(
            "SELECT 1 FROM submissions WHERE sha256 = ? AND actor = ? "
            "AND outcome != 'duplicate'",
            (sha256, actor),
        )
        return row.fetchone() is not None

    def known_hashes(self) -> set[str]:
        return {
            row[0] for row in self.db.execute("SELECT DISTINCT sha256 FROM submissions")
        }

    def add_submission(
        self,
        *,
        receipt: str,
        sha256: str,
        source: str,
        actor: str,
        sender: str | None,
        file_name: str,
        received_at: str,
        outcome: str,
        accepted: int,
        rejected: int,
        report: dict[str, Any],
    ) -> int:
        cursor = self.db.execute(
            "INSERT INTO submissions (receipt, sha256, source, actor, sender, "
            "file_name, document_key, received_at, outcome, accepted, rejected, "
            "report) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                receipt,
                sha256,
                source,
                actor,
                sender,
                file_name,
                document_key(file_name),
                received_at,
                outcome,
                accepted,
                rejected,
                json.dumps(report, ensure_ascii=False),
            ),
        )
        return int(cursor.lastrowid or 0)

    def last_submission_id(self) -> int:
        """Return the id of the latest submission (0 when there is none)."""
        row = self.db.execute("SELECT max(id) FROM submissions").fetchone()
        return int(row[0] or 0)

    def set_report(self, submission_id: int, report: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE submissions SET report = ? WHERE id = ?",
            (json.dumps(report, ensure_ascii=False), submission_id),
        )

    def submissions(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, receipt, sha256, source, actor, sender, file_name, "
            "received_at, outcome, accepted, rejected FROM submissions ORDER BY id"
        )
        return [dict(row) for row in rows]

    def submission_report(self, submission_id: int) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT report FROM submissions WHERE id = ?", (submission_id,)
        ).fetchone()
        return dict(json.loads(row["report"])) if row else {}

    # Records

    def replace_records(
        self,
        *,
        submission_id: int,
        actor: str,
        document: str,
        records: list[StoredRecord],
        kept_keys: list[tuple[str | None, str]],
    ) -> dict[str, list[str]]:
        """Make `records` the actor's current version of this document.

        The actor's earlier records of the same document are withdrawn, except
        those whose project a rejected row still names (`kept_keys`, pairs of
        reference and title): a row with a mistake does not remove a project
        that the previous version held. Return the project ids added, updated,
        kept and withdrawn.
        """
        key = document
        previous = self.db.execute(
            "SELECT id, project_id, reference, title_key FROM records "
            "WHERE actor = ? AND document_key = ? AND withdrawn_by IS NULL",
            (actor, key),
        ).fetchall()
        kept_ids = {
            row["id"]
            for row in previous
            for reference, title in kept_keys
            if (reference and row["reference"] == reference)
            or (not reference and row["title_key"] == title_key(title))
        }

        changes: dict[str, list[str]] = {
            "added": [],
            "updated": [],
            "kept": [],
            "withdrawn": [],
        }
        used: set[str] = {
            row["project_id"] for row in previous if row["id"] in kept_ids
        }
        earlier = {row["project_id"] for row in previous}
        for record in records:
            project_id = self._project_for(record, actor, submission_id, used)
            used.add(project_id)
            self.db.execute(
                "INSERT INTO records (project_id, actor, document_key, submission_id, "
                "reference, title_key, location, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    actor,
                    key,
                    submission_id,
                    record.reference,
                    title_key(record.title),
                    record.location,
                    json.dumps(record.data, ensure_ascii=False, sort_keys=True),
                ),
            )
            record.project_id = project_id
            changes["updated" if project_id in earlier else "added"].append(project_id)

        for row in previous:
            if row["id"] in kept_ids:
                changes["kept"].append(row["project_id"])
                continue
            self.db.execute(
                "UPDATE records SET withdrawn_by = ? WHERE id = ?",
                (submission_id, row["id"]),
            )
            if row["project_id"] not in used:
                changes["withdrawn"].append(row["project_id"])
        return changes

    def document_with_title(self, actor: str, title: str, location: str) -> str | None:
        """Return the document key of the actor's current record with this title.

        Only records stored from `location` count (one-project documents), so
        that a renamed document finds its earlier version.
        """
        row = self.db.execute(
            "SELECT document_key FROM records WHERE actor = ? AND title_key = ? "
            "AND location = ? AND withdrawn_by IS NULL ORDER BY id DESC LIMIT 1",
            (actor, title_key(title), location),
        ).fetchone()
        return str(row["document_key"]) if row else None

    def _project_for(
        self, record: StoredRecord, actor: str, submission_id: int, used: set[str]
    ) -> str:
        """Find the project a record belongs to, or create it.

        By the actor's own reference first (a title may change between
        versions), then by the actor's earlier title, then by the same title
        from another actor (a shared project), else a new project.
        """
        key = title_key(record.title)
        lookups: list[tuple[str, tuple[str, ...]]] = []
        if record.reference:
            lookups.append(
                (
                    "SELECT project_id FROM records WHERE actor = ? AND reference = ? "
                    "ORDER BY id DESC",
                    (actor, record.reference),
                )
            )
        lookups += [
            (
                "SELECT project_id FROM records WHERE actor = ? AND title_key = ? "
                "ORDER BY id DESC",
                (actor, key),
            ),
            ("SELECT id FROM projects WHERE title_key = ? ORDER BY rowid", (key,)),
        ]
        for query, arguments in lookups:
            for row in self.db.execute(query, arguments):
                if row[0] not in used:
                    return str(row[0])

        base = _slug(record.title)
        project_id, suffix = base, 1
        while self.db.execute(
            "SELECT 1 FROM projects WHERE id = ?", (project_id,)
        ).fetchone():
            suffix += 1
            project_id = f"{base}-{suffix}"
        self.db.execute(
            "INSERT INTO projects (id, title_key, created_by) VALUES (?, ?, ?)",
            (project_id, key, submission_id),
        )
        return project_id

    def current_records(self) -> list[dict[str, Any]]:
        """Return every current record with its actor, ordered by project."""
        rows = self.db.execute(
            "SELECT r.project_id, r.actor, a.name AS actor_name, r.location, r.data, "
            "s.received_at, s.file_name FROM records r "
            "JOIN submissions s ON s.id = r.submission_id "
            "JOIN actors a ON a.slug = r.actor "
            "WHERE r.withdrawn_by IS NULL ORDER BY r.project_id, s.received_at, r.id"
        )
        return [{**dict(row), "data": json.loads(row["data"])} for row in rows]

    def record_history(self, project_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT r.actor, r.submission_id, r.withdrawn_by, s.file_name, "
            "s.received_at FROM records r JOIN submissions s ON s.id = r.submission_id "
            "WHERE r.project_id = ? ORDER BY r.id",
            (project_id,),
        )
        return [dict(row) for row in rows]

    def carry_over(self, earlier: Path) -> None:
        """Copy the tables reindex cannot derive from an earlier warehouse file."""
        self.db.execute("ATTACH DATABASE ? AS earlier", (str(earlier),))
        try:
            with self.transaction():
                for table in CARRIED_TABLES:
                    self.db.execute(
                        f"INSERT INTO main.{table} SELECT * FROM earlier.{table}"
                    )
        finally:
            self.db.execute("DETACH DATABASE earlier")

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Return every table's content without row ids, to compare two warehouses."""
        tables = {
            "actors": "SELECT slug, name FROM actors ORDER BY slug",
            "submissions": "SELECT receipt, sha256, source, actor, sender, file_name, "
            "document_key, received_at, outcome, accepted, rejected, report "
            "FROM submissions ORDER BY receipt",
            "projects": "SELECT id, title_key FROM projects ORDER BY id",
            "records": "SELECT r.project_id, r.actor, r.document_key, s.receipt, "
            "r.reference, r.title_key, r.location, r.data, w.receipt AS withdrawn_by "
            "FROM records r JOIN submissions s ON s.id = r.submission_id "
            "LEFT JOIN submissions w ON w.id = r.withdrawn_by "
            "ORDER BY s.receipt, r.id",
        }
        return {
            name: [dict(row) for row in self.db.execute(query)]
            for name, query in tables.items()
        }

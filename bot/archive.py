"""The content-addressed archive: every received file, kept before anything reads it.

Layout under the archive folder::

    objects/ab/abcdef…          the bytes, named by their SHA-256
    receipts/20261203T101500.123456Z-abcdef012345.json
                                one per reception: who sent what, when, from where

The archive is the source of truth: `drcooper reindex` rebuilds the warehouse by
replaying the receipts in order. Files are written to a temporary name, fsync'd,
renamed, and the folder fsync'd, so a crash never leaves a half-written file
under a final name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Receipt:
    """One reception of one file, as recorded in the archive."""

    id: str
    sha256: str
    file_name: str
    actor: str
    source: str
    received_at: str
    sender: str | None = None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable across a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_durably(target: Path, chunks: Iterator[bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_folder(target.parent)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.receipts = root / "receipts"

    def object_path(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256

    def store_object(self, content: bytes) -> str:
        """Keep bytes under their SHA-256 without a receipt; return the hash.

        For what is kept but is not a submission, such as a raw e-mail whose
        attachments get receipts of their own.
        """
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.object_path(sha256)
        if not target.exists():
            _write_durably(target, iter([content]))
        return sha256

    def store_file(
        self,
        path: Path,
        *,
        actor: str,
        source: str,
        file_name: str | None = None,
        sender: str | None = None,
        received_at: dt.datetime | None = None,
    ) -> Receipt:
        """Copy a file into the archive and record its reception; return the receipt."""
        sha256 = file_sha256(path)
        target = self.object_path(sha256)
        if not target.exists():
            _write_durably(target, _read_chunks(path))
        return self._record(
            sha256,
            file_name=file_name or path.name,
            actor=actor,
            source=source,
            sender=sender,
            received_at=received_at or utc_now(),
        )

    def store_bytes(
        self,
        content: bytes,
        *,
        file_name: str,
        actor: str,
        source: str,
        sender: str | None = None,
        received_at: dt.datetime | None = None,
    ) -> Receipt:
        """Store bytes received by other means than a file (a mail attachment)."""
        sha256 = self.store_object(content)
        return self._record(
            sha256,
            file_name=file_name,
            actor=actor,
            source=source,
            sender=sender,
            received_at=received_at or utc_now(),
        )

    def _record(
        self, sha256: str, *, received_at: dt.datetime, **details: str | None
    ) -> Receipt:
        stamp = received_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        receipt = Receipt(
            id=f"{stamp}-{sha256[:12]}",
            sha256=sha256,
            received_at=received_at.astimezone(dt.UTC).isoformat(
                timespec="microseconds"
            ),
            **details,  # type: ignore[arg-type]
        )
        content = json.dumps(asdict(receipt), ensure_ascii=False, indent=1).encode()
        _write_durably(self.receipts / f"{receipt.id}.json", iter([content]))
        return receipt

    def receipt(self, receipt_id: str) -> Receipt:
        """Return one receipt by its id."""
        path = self.receipts / f"{receipt_id}.json"
        return Receipt(**json.loads(path.read_text(encoding="utf-8")))

    def iter_receipts(self) -> Iterator[Receipt]:
        """Yield every receipt in the order the files were received."""
        if not self.receipts.exists():
            return
        for path in sorted(self.receipts.glob("*.json")):
            yield Receipt(**json.loads(path.read_text(encoding="utf-8")))


def _read_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk

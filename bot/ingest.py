"""The ingestion pipeline: archive, read, understand, validate, store, report.

`Ingestor.ingest` is what every source calls (the command line, the shared
folders, later the mailbox). `Ingestor.process` takes a receipt already in the
archive, so that `reindex` replays the archive through exactly the same steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.archive import Archive, Receipt
from bot.config import Settings
from bot.documents import (
    DOCUMENT_LOCATION,
    DocumentContent,
    as_workbook,
    document_kind,
    read_document,
)
from bot.exceptions import UnreadableFile
from bot.model import WorkbookContent
from bot.report import Report
from bot.safety import ReadLimits
from bot.understand import Understanding, UnderstandingSettings, understand_workbook
from bot.vocabulary import Vocabulary
from bot.warehouse import StoredRecord, Warehouse, document_key
from bot.workbook import read_workbook

log = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
# Receipts of mail attachments: `mail:ACCOUNT/UIDVALIDITY/UID`.
MAIL_SOURCE_PREFIX = "mail:"


@dataclass
class SubmissionResult:
    submission_id: int
    receipt: Receipt
    report: Report


def read_limits(settings: Settings) -> ReadLimits:
    limits = settings.limits
    return ReadLimits(
        max_file_bytes=int(limits.max_file_mb * MEGABYTE),
        max_uncompressed_bytes=int(limits.max_uncompressed_mb * MEGABYTE),
        max_compression_ratio=limits.max_compression_ratio,
        max_rows=limits.max_rows,
    )


def read_and_understand(
    path: Path,
    file_name: str,
    vocabulary: Vocabulary,
    settings: Settings,
) -> tuple[WorkbookContent, Understanding]:
    """Read a file and understand it, without storing anything.

    A one-project document (.docx, .odt, .pdf, .rtf, .txt, .md) is read by
    `bot.documents` and comes back as a `DocumentContent` with one record.
    """
    if document_kind(path, file_name, read_limits(settings)) is not None:
        return as_workbook(
            read_document(
                path, file_name=file_name, vocabulary=vocabulary, settings=settings
            )
        )
    content = read_workbook(
        path,
        file_name=file_name,
        is_header=lambda text: vocabulary.match_header(text) is not None,
        limits=read_limits(settings),
    )
    understanding = understand_workbook(
        content,
        vocabulary,
        UnderstandingSettings(always_confidential=settings.always_confidential),
    )
    return content, understanding


class Ingestor:
    def __init__(
        self,
        settings: Settings,
        *,
        vocabulary: Vocabulary | None = None,
        warehouse: Warehouse | None = None,
    ) -> None:
        self.settings = settings
        self.vocabulary = vocabulary or Vocabulary.load(settings.synonyms)
        self.warehouse = warehouse or Warehouse(settings.warehouse)
        self.archive = Archive(settings.archive)

    def ingest(
        self,
        path: Path,
        *,
        actor: str,
        source: str,
        file_name: str | None = None,
        sender: str | None = None,
    ) -> SubmissionResult:
        """Archive a received file, then process it."""
        receipt = self.archive.store_file(
            path, actor=actor, source=source, file_name=file_name, sender=sender
        )
        return self.process(receipt)

    def process_pending(self) -> int:
        """Process the archived files that have no submission; return how many.

        A file is archived before anything reads it: if the bot stopped, or
        failed on it, before the submission was stored, it is taken here on
        the next start. Mail receipts are left to the mailbox, which resumes
        each message with its reply.
        """
        pending = [
            receipt
            for receipt in self.archive.iter_receipts()
            if not receipt.source.startswith(MAIL_SOURCE_PREFIX)
            and not self.warehouse.has_receipt(receipt.id)
        ]
        for receipt in pending:
            log.warning(
                "submission %s (%s): archived but never processed, processing it now",
                receipt.id,
                receipt.file_name,
            )
            self.process(receipt)
        return len(pending)

    def actor_name(self, slug: str) -> str:
        """Return an actor's name: from the settings, else a known organisation."""
        if slug in self.settings.actors:
            return self.settings.actors[slug]
        organisation = self.vocabulary.organisation(slug.replace("-", " "))
        return organisation.name if organisation.known else slug

    def process(self, receipt: Receipt) -> SubmissionResult:
        """Turn one archived reception into a submission with its outcome and report."""
        started = time.perf_counter()
        report = Report(file_name=receipt.file_name, actor=receipt.actor)
        self.warehouse.ensure_actor(
            receipt.actor, self.actor_name(receipt.actor), receipt.received_at
        )

        # Content already taken from this actor changes nothing: say so.
        if self.warehouse.ingested_before(receipt.sha256, receipt.actor):
            report.outcome = "duplicate"
            report.reason = (
                f"Ce fichier a déjà été reçu à l'identique de la part de "
                f"{receipt.actor} : rien n'a changé dans l'entrepôt."
            )
            return self._store(receipt, report, None)

        # A file that cannot be read leaves the warehouse as it was.
        try:
            content, understanding = read_and_understand(
                self.archive.object_path(receipt.sha256),
                receipt.file_name,
                self.vocabulary,
                self.settings,
            )
        except UnreadableFile as err:
            report.outcome = "unreadable"
            report.reason = str(err)
            log.warning(
                "submission %s (%s): unreadable: %s", receipt.id, receipt.file_name, err
            )
            return self._store(receipt, report, None)

        _fill_report(report, content, understanding)
        document = document_key(receipt.file_name)
        if isinstance(content, DocumentContent):
            document = self._document_of(receipt, understanding)
        result = self._store(receipt, report, understanding, document)
        changes = {kind: len(ids) for kind, ids in report.changes.items()}
        log.info(
            "submission %s (%s): %s for %s from %s, %d projects, %d rows rejected, "
            "%d added, %d updated, %d withdrawn, in %.2f s",
            receipt.id,
            receipt.file_name,
            report.outcome,
            receipt.actor,
            receipt.source,
            len(understanding.records),
            len(understanding.rejected),
            changes.get("added", 0),
            changes.get("updated", 0),
            changes.get("withdrawn", 0),
            time.perf_counter() - started,
        )
        return result

    def _document_of(self, receipt: Receipt, understanding: Understanding) -> str:
        """Return the document key a submission's records are versioned under.

        A file replaces the earlier version of the same file (same document
        key); a one-project document renamed between versions replaces the
        actor's earlier document with the same title: "Fiche PALUCLIM.docx"
        then "paluclim-2026-final.docx".
        """
        own_key = document_key(receipt.file_name)
        if len(understanding.records) != 1:
            return own_key
        earlier = self.warehouse.document_with_title(
            receipt.actor, understanding.records[0].title, DOCUMENT_LOCATION
        )
        return earlier or own_key

    def _store(
        self,
        receipt: Receipt,
        report: Report,
        understanding: Understanding | None,
        document: str | None = None,
    ) -> SubmissionResult:
        with self.warehouse.transaction():
            submission_id = self.warehouse.add_submission(
                receipt=receipt.id,
                sha256=receipt.sha256,
                source=receipt.source,
                actor=receipt.actor,
                sender=receipt.sender,
                file_name=receipt.file_name,
                received_at=receipt.received_at,
                outcome=report.outcome,
                accepted=len(report.projects),
                rejected=len(report.rejected_rows),
                report={},
            )
            if understanding is not None and report.outcome != "rejected":
                records = [_stored(record) for record in understanding.records]
                report.changes = self.warehouse.replace_records(
                    submission_id=submission_id,
                    actor=receipt.actor,
                    document=document or document_key(receipt.file_name),
                    records=records,
                    kept_keys=[
                        (row.reference, row.title or "")
                        for row in understanding.rejected
                        if row.reference or row.title
                    ],
                )
                for summary, record in zip(report.projects, records, strict=True):
                    summary["id"] = record.project_id
            self.warehouse.set_report(submission_id, report.to_dict())
        return SubmissionResult(submission_id, receipt, report)

    def reindex(self, progress: Callable[[Receipt], None] | None = None) -> int:
        """Rebuild the warehouse from the archive alone; return the receipt count."""
        target = self.settings.warehouse
        fresh_path = target.with_name(target.name + ".reindex")
        for leftover in _sqlite_files(fresh_path):
            leftover.unlink(missing_ok=True)

        count = 0
        with Warehouse(fresh_path) as fresh:
            replay = Ingestor(
                self.settings, vocabulary=self.vocabulary, warehouse=fresh
            )
            for receipt in self.archive.iter_receipts():
                replay.process(receipt)
                count += 1
                if progress:
                    progress(receipt)
            fresh.carry_over(target)
            fresh.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        # Swap the rebuilt warehouse in; SQLite's side files go with the old one.
        self.warehouse.close()
        for side_file in _sqlite_files(target)[1:]:
            side_file.unlink(missing_ok=True)
        fresh_path.replace(target)
        for side_file in _sqlite_files(fresh_path):
            side_file.unlink(missing_ok=True)
        self.warehouse = Warehouse(target)
        log.info("warehouse %s: rebuilt from %d receipts", target, count)
        return count


def _sqlite_files(path: Path) -> list[Path]:
    return [
        path,
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
    ]


def _stored(record: Any) -> StoredRecord:
    data = {
        **record.fields,
        "extra": record.extra,
        "confidential": record.confidential,
        "confidential_fields": record.confidential_fields,
    }
    return StoredRecord(
        reference=record.fields.get("reference"),
        title=record.title,
        location=str(record.source_ref) if record.source_ref else None,
        data=data,
    )


def _fill_report(
    report: Report, content: WorkbookContent, understanding: Understanding
) -> None:
    report.columns = [column.to_dict() for column in understanding.columns]
    report.problems = understanding.problems
    report.rejected_rows = [row.to_dict() for row in understanding.rejected]
    report.skipped_sheets = [
        {"sheet": sheet.sheet, "reason": sheet.reason}
        for sheet in content.skipped_sheets
    ]
    report.skipped_rows = [
        {"location": str(row.ref), "kind": row.kind, "text": row.text}
        for table in content.tables
        for row in table.skipped_rows
    ]
    report.projects = [
        {
            "location": str(record.source_ref),
            "title": record.title,
            "confidential": record.confidential,
            "confidential_fields": record.confidential_fields,
        }
        for record in understanding.records
    ]

    if isinstance(content, DocumentContent):
        report.evidence = content.evidence
        if content.refusal is not None:
            report.outcome = "rejected"
            report.reason = content.refusal
        return
    if not content.tables:
        report.outcome = "rejected"
        report.reason = (
            f"Aucun tableau de projets n'a été trouvé dans « {content.file_name} » : "
            "aucune ligne d'en-tête reconnue (par exemple « Titre », « Pays », "
            "« Partenaires »). L'entrepôt n'a pas été modifié."
        )
    elif not understanding.records and understanding.rejected:
        report.outcome = "rejected"
        report.reason = (
            "Aucune ligne n'a pu être retenue : l'entrepôt n'a pas été modifié."
        )
    elif not understanding.records:
        report.outcome = "empty"
    elif understanding.rejected:
        report.outcome = "partial"

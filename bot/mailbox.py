"""The mailbox source: contributors e-mail their files, the bot answers.

One message goes through these steps, each recorded in the warehouse's
`mail_messages` table before the next starts, so that a crash at any point
resumes where it stopped::

    fetched       raw bytes read from IMAP (BODY.PEEK: the \\Seen flag is untouched)
    received      the raw .eml stored in the archive, the message recorded
    archived      sender judged; each usable attachment stored in the archive
                  with a receipt whose source names the message
    settled       each receipt ingested; the reply queued; destination chosen
    done          the message moved to Processed, Rejected or Quarantine

Messages are known by (account, UIDVALIDITY, UID) and by the SHA-256 of their
raw bytes, never by flags, so a person reading the mailbox changes nothing. A
sender no rule allows, or whose DKIM or SPF check a rule requires and did not
pass, is quarantined: nothing is ingested and nobody is answered (no
backscatter). Only the thread that owns the `Ingestor` runs a mailbox cycle.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import imaplib
import json
import logging
import os
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError

from bot.annotate import annotated_copy
from bot.archive import Archive, Receipt
from bot.config import MailAccount, MailRule, Settings
from bot.documents import read_text_submission
from bot.exceptions import ConfigError, DrCooperError, UnreadableFile
from bot.ingest import MAIL_SOURCE_PREFIX, MEGABYTE, Ingestor
from bot.mime import MailContent, parse_message
from bot.reply import Original, Outbox, compose_reply, report_from_dict
from bot.warehouse import Warehouse

log = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 60
# After a failed cycle, wait this long, doubling each time, up to the longest
# delay (or the poll interval, when longer).
BACKOFF_FIRST_SECONDS = 15.0
BACKOFF_LONGEST_SECONDS = 30 * 60.0
# A message larger than this many times the file size limit is not downloaded:
# base64 makes files a third larger, and a message may carry a few of them.
MESSAGE_SIZE_FACTOR = 3
# A shorter text is a note ("voici le fichier"), not a project description.
BODY_MIN_CHARACTERS = 200
# Fault injection for the crash tests: the process ends at the named step.
CRASH_ENVIRONMENT = "DRCOOPER_CRASH_AT"
CRASH_EXIT_STATUS = 70
AUTH_RESULT = re.compile(r"\b(dkim|spf)\s*=\s*([a-z]+)", re.IGNORECASE)


class MailboxError(DrCooperError):
    """A mailbox cannot be read now; the message says what to do."""


class MailboxUnavailable(MailboxError):
    """The server cannot be reached, or the connection was lost."""


class LoginRefused(MailboxError):
    """The server refused the account's user name or password."""


class FolderMissing(MailboxError):
    """The folder to read does not exist on the server."""


def crash_point(step: str) -> None:
    """End the process at once when the crash tests ask for this step."""
    if os.environ.get(CRASH_ENVIRONMENT) == step:
        os._exit(CRASH_EXIT_STATUS)


def open_mailbox(account: MailAccount) -> BaseMailBox:
    """Connect and log in to an account; raise a MailboxError saying what to do."""
    mailbox_class: Callable[..., BaseMailBox] = {
        "tls": MailBox,
        "starttls": MailBoxStartTls,
        "plain": MailBoxUnencrypted,
    }[account.security]
    where = f"{account.host}:{account.port} ({account.security})"
    try:
        password = account.password.read()
    except ConfigError as err:
        raise LoginRefused(
            f"mailbox {account.name}: no password ({err}); set it, or correct "
            "password_env/password_file in inbox_rules.yaml"
        ) from err
    try:
        mailbox = mailbox_class(
            account.host, account.port, timeout=IMAP_TIMEOUT_SECONDS
        )
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
        raise MailboxUnavailable(
            f"mailbox {account.name}: the server {where} cannot be reached ({err}); "
            "check that it is up, and the host, port and security in inbox_rules.yaml"
        ) from err
    try:
        return mailbox.login(account.user, password, initial_folder=None)
    except MailboxLoginError as err:
        raise LoginRefused(
            f"mailbox {account.name}: the server {where} refused the login of "
            f"{account.user}; check the user and the password"
        ) from err
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
        raise MailboxUnavailable(
            f"mailbox {account.name}: the connection to {where} failed during "
            f"login ({err}); it will be tried again"
        ) from err


@dataclass
class MailRecord:
    """One message as the warehouse remembers it."""

    id: int
    account: str
    uidvalidity: int
    uid: int
    eml_sha256: str
    message_id: str | None
    sender: str
    subject: str
    received_at: str
    state: str
    verdict: str
    actor: str | None = None
    reason: str | None = None
    folder: str | None = None
    receipts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The receipts' source: names the message for reindex and for recovery."""
        return f"{MAIL_SOURCE_PREFIX}{self.account}/{self.uidvalidity}/{self.uid}"


class MailLog:
    """The `mail_messages` table: what became of each message."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.db = warehouse.db

    def find(self, account: str, uidvalidity: int, uid: int) -> MailRecord | None:
        return self._one(
            "account = ? AND uidvalidity = ? AND uid = ?", (account, uidvalidity, uid)
        )

    def find_content(self, account: str, eml_sha256: str) -> MailRecord | None:
        """Find a message by its bytes: the same one under another UIDVALIDITY."""
        return self._one("account = ? AND eml_sha256 = ?", (account, eml_sha256))

    def get(self, record_id: int) -> MailRecord | None:
        return self._one("id = ?", (record_id,))

    def add(self, **values: Any) -> MailRecord:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.db.execute(
            f"INSERT INTO mail_messages ({columns}) VALUES ({marks})",
            tuple(values.values()),
        )
        record = self.get(int(cursor.lastrowid or 0))
        assert record is not None
        return record

    def update(self, record: MailRecord, **values: Any) -> None:
        for name, value in values.items():
            setattr(record, name, value)
        stored = {
            name: json.dumps(value, ensure_ascii=False)
            if name in ("receipts", "notes")
            else value
            for name, value in values.items()
        }
        assignments = ", ".join(f"{name} = ?" for name in stored)
        self.db.execute(
            f"UPDATE mail_messages SET {assignments} WHERE id = ?",
            (*stored.values(), record.id),
        )

    def quarantined(self) -> list[MailRecord]:
        return self._all("verdict = 'quarantined'", ())

    def _one(self, where: str, arguments: tuple[Any, ...]) -> MailRecord | None:
        records = self._all(where, arguments)
        return records[0] if records else None

    def _all(self, where: str, arguments: tuple[Any, ...]) -> list[MailRecord]:
        rows = self.db.execute(
            f"SELECT * FROM mail_messages WHERE {where} ORDER BY id", arguments
        ).fetchall()
        return [
            MailRecord(
                **{
                    **dict(row),
                    "receipts": json.loads(row["receipts"]),
                    "notes": json.loads(row["notes"]),
                }
            )
            for row in rows
        ]


@dataclass(frozen=True)
class Verdict:
    """Who a message is from, for Dr Cooper: the rule that allows it, or why not."""

    rule: MailRule | None
    quarantine: str | None = None
    rejection: str | None = None


def judge_sender(account: MailAccount, mail: MailContent) -> Verdict:
    """Find the first rule allowing this sender and subject, or say why none does."""
    senders_match = [
        rule for rule in account.rules if _sender_allowed(mail.sender, rule.senders)
    ]
    if not senders_match:
        return Verdict(None, quarantine=f"expéditeur inconnu ({mail.sender or '?'})")
    rule = next(
        (rule for rule in senders_match if _subject_matches(mail.subject, rule)), None
    )
    if rule is None:
        words = sorted({word for rule in senders_match for word in rule.subjects})
        return Verdict(
            senders_match[0],
            rejection=(
                "Le sujet de votre message ne correspond pas à un envoi pour Dr "
                "Cooper : merci d'y faire figurer l'un de ces mots : "
                + ", ".join(f"« {word} »" for word in words)
                + "."
            ),
        )
    failed = failed_checks(mail.authentication_results, rule.require, account)
    if failed:
        return Verdict(
            rule,
            quarantine=(
                f"expéditeur {mail.sender} non authentifié ({', '.join(failed)} "
                "absent ou en échec dans Authentication-Results)"
            ),
        )
    return Verdict(rule)


def _sender_allowed(sender: str, allowed: tuple[str, ...]) -> bool:
    if "@" not in sender:
        return False
    domain = sender.rsplit("@", 1)[1]
    for entry in allowed:
        if "@" in entry.lstrip("@"):
            if sender == entry:
                return True
        elif domain == entry.lstrip("@") or domain.endswith("." + entry.lstrip("@")):
            return True
    return False


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _subject_matches(subject: str, rule: MailRule) -> bool:
    return not rule.subjects or any(
        _fold(word) in _fold(subject) for word in rule.subjects
    )


def failed_checks(
    results: list[str], required: tuple[str, ...], account: MailAccount
) -> list[str]:
    """Return the required checks (dkim, spf) that did not pass.

    RFC 8601 §5: only Authentication-Results written by our own server count.
    With `authserv_id` set, those are the headers naming it; otherwise only the
    topmost header, which the receiving server added last, above anything the
    sender may have forged.
    """
    if not required:
        return []
    if account.authserv_id:
        trusted = [
            header
            for header in results
            if header.split(";", 1)[0].strip().split()[:1] == [account.authserv_id]
        ]
    else:
        trusted = results[:1]
    passed = {
        method.lower()
        for header in trusted
        for method, outcome in AUTH_RESULT.findall(header)
        if outcome.lower() == "pass"
    }
    return [check for check in required if check not in passed]


class MailboxSource:
    """One IMAP account, collected in cycles by the thread that owns the Ingestor."""

    def __init__(
        self,
        account: MailAccount,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self.settings = settings
        self.clock = clock
        self.charset: str | None = "US-ASCII"
        self.failures = 0
        self.next_cycle_at = 0.0
        self.pending = False

    @property
    def name(self) -> str:
        return f"mailbox:{self.account.name}"

    def due(self) -> bool:
        return self.clock() >= self.next_cycle_at

    def collect(self, ingestor: Ingestor) -> int:
        """Run one cycle: take every new message, send due replies; never raise.

        Return the number of messages handled. A failure is logged with what to
        do and the next cycle is put off, doubling the delay each time.
        """
        started = time.perf_counter()
        handled = 0
        try:
            handled = self._cycle(ingestor)
        except MailboxError as err:
            self.failures += 1
            delay = min(
                BACKOFF_FIRST_SECONDS * 2 ** (self.failures - 1),
                max(self.account.poll_minutes * 60, BACKOFF_LONGEST_SECONDS),
            )
            self.next_cycle_at = self.clock() + delay
            log.warning("%s; next try in %.0f s", err, delay)
        except Exception:
            self.failures += 1
            self.next_cycle_at = self.clock() + self.account.poll_minutes * 60
            log.exception("%s: the cycle failed", self.name)
        else:
            self.failures = 0
            self.next_cycle_at = self.clock() + self.account.poll_minutes * 60
            log.info(
                "%s: %d messages handled in %.2f s",
                self.name,
                handled,
                time.perf_counter() - started,
            )
        finally:
            self.pending = False
        send_replies(ingestor.warehouse, self.settings)
        return handled

    def _cycle(self, ingestor: Ingestor) -> int:
        account = self.account
        with _connection(account) as mailbox:
            uidvalidity = self._select(mailbox)
            uids = self._search(mailbox)
            log.debug("%s: %d messages in %s", self.name, len(uids), account.folder)
            for uid in uids:
                self._take(mailbox, ingestor, uidvalidity, uid)
        return len(uids)

    def _select(self, mailbox: BaseMailBox) -> int:
        """Create the destination folders when missing, select the folder to read."""
        account = self.account
        try:
            if not mailbox.folder.exists(account.folder):
                raise FolderMissing(
                    f"mailbox {account.name}: the folder {account.folder!r} does not "
                    "exist; create it, or correct mailboxes[].folder in "
                    "inbox_rules.yaml"
                )
            for folder in (
                account.processed_folder,
                account.rejected_folder,
                account.quarantine_folder,
            ):
                if not mailbox.folder.exists(folder):
                    mailbox.folder.create(folder)
                    log.info("%s: folder %s created", self.name, folder)
            status = mailbox.folder.status(account.folder, ["UIDVALIDITY"])
            mailbox.folder.set(account.folder)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
            raise _lost(account, err) from err
        return int(status["UIDVALIDITY"])

    def _search(self, mailbox: BaseMailBox) -> list[int]:
        """List the folder's UIDs; fall back to a SEARCH without CHARSET if refused."""
        try:
            try:
                uids = mailbox.uids("ALL", charset=self.charset)
            except (imaplib.IMAP4.error, ImapToolsError) as err:
                if isinstance(err, imaplib.IMAP4.abort):
                    raise
                if self.charset is None:
                    raise
                # RFC 3501 §6.4.4 makes CHARSET optional; some servers answer
                # BAD to it. Our criteria are plain ASCII, so go without.
                log.info(
                    "%s: SEARCH CHARSET refused (%s), searching without", self.name, err
                )
                self.charset = None
                uids = mailbox.uids("ALL", charset=None)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
            raise _lost(self.account, err) from err
        return sorted(int(uid) for uid in uids)

    def _take(
        self, mailbox: BaseMailBox, ingestor: Ingestor, uidvalidity: int, uid: int
    ) -> None:
        """Bring one message through every step it has not been through yet."""
        mail_log = MailLog(ingestor.warehouse)
        record = mail_log.find(self.account.name, uidvalidity, uid)
        resumed = record is not None
        if record is None:
            raw, oversized = self._fetch(mailbox, uid)
            crash_point("fetched")
            sha256 = hashlib.sha256(raw).hexdigest()
            record = mail_log.find_content(self.account.name, sha256)
            resumed = record is not None
            if record is None:
                ingestor.archive.store_object(raw)
                crash_point("eml-archived")
                record = _record_message(
                    mail_log, self.account, uidvalidity, uid, raw, sha256, oversized
                )
        handle_record(ingestor, self.settings, self.account, record, resumed=resumed)
        # A message already done yet still here was put back, or its folder was
        # renumbered (new UIDVALIDITY): it goes where it went the first time.
        if record.state in ("settled", "done"):
            self._move(mailbox, uid, record)
            mail_log.update(record, state="done")

    def _fetch(self, mailbox: BaseMailBox, uid: int) -> tuple[bytes, str | None]:
        """Read a message's raw bytes without marking it seen.

        A message over the size limit is not downloaded: its header alone is
        read, to know who sent it; the returned note says so in French.
        """
        limit = int(self.settings.limits.max_file_mb * MEGABYTE * MESSAGE_SIZE_FACTOR)
        try:
            size = _fetch_item(mailbox, uid, "(RFC822.SIZE)")[0]
            found = re.search(
                rb"RFC822\.SIZE (\d+)", size if isinstance(size, bytes) else b""
            )
            if found and int(found.group(1)) > limit:
                header = _fetch_item(mailbox, uid, "(BODY.PEEK[HEADER])")
                note = (
                    f"Votre message pèse {int(found.group(1)) / MEGABYTE:.1f} Mo, "
                    f"au-delà des {limit / MEGABYTE:.0f} Mo que Dr Cooper accepte : "
                    "il n'a pas été lu. Merci d'envoyer des fichiers plus légers, "
                    "un par message si besoin."
                )
                return _literal(header), note
            return _literal(_fetch_item(mailbox, uid, "(BODY.PEEK[])")), None
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
            raise _lost(self.account, err) from err

    def _move(self, mailbox: BaseMailBox, uid: int, record: MailRecord) -> None:
        try:
            mailbox.move(str(uid), record.folder or self.account.processed_folder)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
            raise _lost(self.account, err) from err
        crash_point("moved")
        log.info(
            "mail %s (%s, uid %s): moved to %s",
            record.id,
            record.sender,
            uid,
            record.folder,
        )


class _connection:  # noqa: N801 - used as a context manager, like open()
    """Open a mailbox for a block and log out at its end, even after a fault."""

    def __init__(self, account: MailAccount) -> None:
        self.account = account
        self.mailbox: BaseMailBox | None = None

    def __enter__(self) -> BaseMailBox:
        self.mailbox = open_mailbox(self.account)
        return self.mailbox

    def __exit__(self, *_: object) -> None:
        if self.mailbox is None:
            return
        try:
            self.mailbox.logout()
        except (OSError, imaplib.IMAP4.error, ImapToolsError):
            log.debug(
                "mailbox %s: logout failed, connection dropped", self.account.name
            )


def _lost(account: MailAccount, err: Exception) -> MailboxError:
    return MailboxUnavailable(
        f"mailbox {account.name}: the connection to {account.host}:{account.port} "
        f"failed ({type(err).__name__}: {err}); nothing is lost, the messages are "
        "taken at the next try"
    )


def _fetch_item(mailbox: BaseMailBox, uid: int, parts: str) -> list[Any]:
    typ, data = mailbox.client.uid("FETCH", str(uid), parts)
    if typ != "OK" or not data or data[0] is None:
        raise imaplib.IMAP4.error(f"FETCH {uid} {parts} answered {typ} {data!r}")
    return list(data)


def _literal(data: list[Any]) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise imaplib.IMAP4.error("FETCH answer holds no message")


def _record_message(
    mail_log: MailLog,
    account: MailAccount,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    sha256: str,
    oversized: str | None,
) -> MailRecord:
    mail = parse_message(raw)
    with mail_log.warehouse.transaction():
        record = mail_log.add(
            account=account.name,
            uidvalidity=uidvalidity,
            uid=uid,
            eml_sha256=sha256,
            message_id=mail.message_id,
            sender=mail.sender,
            subject=mail.subject[:500],
            received_at=_now(),
            state="received",
            verdict="pending",
            notes=json.dumps([oversized] if oversized else [], ensure_ascii=False),
        )
    log.info(
        "mail %s (%s, uid %s): received from %s, « %s »",
        record.id,
        account.name,
        uid,
        record.sender,
        record.subject,
    )
    return record


def handle_record(
    ingestor: Ingestor,
    settings: Settings,
    account: MailAccount,
    record: MailRecord,
    *,
    resumed: bool,
    verdict: Verdict | None = None,
) -> None:
    """Bring a recorded message to `settled`: judged, archived, ingested, answered.

    `verdict` overrides the judgement (an administrator releasing a message).
    """
    mail_log = MailLog(ingestor.warehouse)
    if record.state == "received":
        raw = ingestor.archive.object_path(record.eml_sha256).read_bytes()
        mail = parse_message(raw)
        verdict = verdict or judge_sender(account, mail)
        if verdict.quarantine:
            _quarantine(mail_log, account, record, verdict.quarantine)
            return
        _archive_attachments(ingestor, account, record, mail, verdict, resumed=resumed)
        crash_point("archived")

    if record.state == "archived":
        raw = ingestor.archive.object_path(record.eml_sha256).read_bytes()
        submissions = _ingest(ingestor, record)
        crash_point("ingested")
        _settle(ingestor, settings, account, record, parse_message(raw), submissions)
        crash_point("settled")


def _quarantine(
    mail_log: MailLog, account: MailAccount, record: MailRecord, reason: str
) -> None:
    with mail_log.warehouse.transaction():
        mail_log.update(
            record,
            state="settled",
            verdict="quarantined",
            reason=reason,
            folder=account.quarantine_folder,
        )
    # Warning: an administrator decides (`drcooper quarantine list|release`).
    log.warning(
        "mail %s (%s): quarantined, %s; nothing ingested, no reply. If the sender "
        "is a contributor, add it to a rule of inbox_rules.yaml, then run "
        "`drcooper quarantine release`",
        record.id,
        record.subject,
        reason,
    )


def _archive_attachments(
    ingestor: Ingestor,
    account: MailAccount,
    record: MailRecord,
    mail: MailContent,
    verdict: Verdict,
    *,
    resumed: bool,
) -> None:
    """Store each usable attachment in the archive; note what is not taken."""
    rule = verdict.rule
    assert rule is not None
    notes = list(record.notes) + list(mail.unsupported)
    usable = []
    if verdict.rejection:
        notes.append(verdict.rejection)
    else:
        for attachment in mail.attachments:
            if attachment.kind is None:
                notes.append(
                    f"La pièce jointe « {attachment.file_name} » n'est pas un "
                    "tableau : Dr Cooper lit les classeurs Excel (.xlsx, .xlsm, "
                    ".xls), LibreOffice (.ods) et les fichiers .csv."
                )
            elif attachment.kind not in rule.accept:
                notes.append(
                    f"La pièce jointe « {attachment.file_name} » est au format "
                    f"{attachment.kind}, qui n'est pas accepté à cette adresse "
                    f"(formats acceptés : {', '.join(rule.accept)})."
                )
            elif attachment.size > rule.max_attachment_mb * MEGABYTE:
                notes.append(
                    f"La pièce jointe « {attachment.file_name} » pèse "
                    f"{attachment.size / MEGABYTE:.1f} Mo, au-delà de la limite de "
                    f"{rule.max_attachment_mb:g} Mo : merci de l'alléger ou de la "
                    "découper."
                )
            else:
                usable.append(attachment)

    # No file, but the text itself may describe a project (one per message).
    files = [(attachment.file_name, attachment.content) for attachment in usable]
    if not files and not verdict.rejection:
        body = body_submission(ingestor, mail)
        if body is not None:
            files.append(body)

    # After a crash, receipts already written for this message are reused.
    earlier = _receipts_of(ingestor.archive, record.source) if resumed else {}
    receipts = []
    for file_name, content in files:
        sha256 = hashlib.sha256(content).hexdigest()
        receipt = earlier.pop((sha256, file_name), None)
        if receipt is None:
            receipt = ingestor.archive.store_bytes(
                content,
                file_name=file_name,
                actor=rule.actor,
                source=record.source,
                sender=record.sender,
            )
        receipts.append(receipt.id)

    mail_log = MailLog(ingestor.warehouse)
    with ingestor.warehouse.transaction():
        mail_log.update(
            record,
            state="archived",
            verdict="taken" if receipts else "rejected",
            actor=rule.actor,
            receipts=receipts,
            notes=notes,
            folder=account.processed_folder if receipts else account.rejected_folder,
        )
    log.info(
        "mail %s (%s): %d files archived for %s, %d not taken",
        record.id,
        record.subject,
        len(receipts),
        rule.actor,
        len(notes),
    )


def body_submission(ingestor: Ingestor, mail: MailContent) -> tuple[str, bytes] | None:
    """Return the message text as a `.txt` document when it describes a project.

    The text is archived like any file, so `reindex` reads it again the same
    way; the subject, which `read_text_submission` takes as the title, is
    written as a labelled first line for that reason.
    """
    text = mail.body_text.strip()
    if len(text) < BODY_MIN_CHARACTERS:
        return None
    subject = re.sub(r"^(?:(?:re|tr|fwd?)\s*:\s*)+", "", mail.subject, flags=re.I)
    file_name = f"{_safe_name(subject) or 'message'}.txt"
    try:
        understanding = read_text_submission(
            text,
            file_name=file_name,
            vocabulary=ingestor.vocabulary,
            settings=ingestor.settings,
            subject=subject or None,
        )
    except UnreadableFile as err:
        log.debug("message text not taken as a document: %s", err)
        return None
    record = understanding.record
    if record is None or understanding.refusal or not record.title:
        return None
    return file_name, f"Titre : {record.title}\n\n{text}\n".encode()


def _safe_name(text: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", " ", text).strip()[:80].strip()


def _receipts_of(archive: Archive, source: str) -> dict[tuple[str, str], Receipt]:
    # Limitation: reads every receipt; it runs only when resuming a message
    # interrupted between archiving and recording, which is rare.
    return {
        (receipt.sha256, receipt.file_name): receipt
        for receipt in archive.iter_receipts()
        if receipt.source == source
    }


def _ingest(ingestor: Ingestor, record: MailRecord) -> list[int]:
    """Ingest each of the message's receipts not yet ingested; return submission ids."""
    submissions = []
    for receipt_id in record.receipts:
        if not ingestor.warehouse.has_receipt(receipt_id):
            ingestor.process(ingestor.archive.receipt(receipt_id))
        row = ingestor.warehouse.db.execute(
            "SELECT id FROM submissions WHERE receipt = ?", (receipt_id,)
        ).fetchone()
        submissions.append(int(row["id"]))
    return submissions


def _settle(
    ingestor: Ingestor,
    settings: Settings,
    account: MailAccount,
    record: MailRecord,
    mail: MailContent,
    submissions: list[int],
) -> None:
    """Queue the reply and mark the message settled, in one transaction."""
    paragraphs, attachments = reply_content(ingestor, record, mail, submissions)
    reply = None
    if settings.smtp is not None:
        reply = compose_reply(
            Original(
                recipient=mail.reply_to or record.sender,
                subject=mail.subject,
                message_id=mail.message_id,
                references=mail.references,
            ),
            from_address=settings.smtp.from_address,
            paragraphs=paragraphs,
            attachments=attachments,
        )
    else:
        log.warning("mail %s: no smtp section in inbox_rules.yaml, no reply", record.id)
    with ingestor.warehouse.transaction():
        if reply is not None:
            Outbox(ingestor.warehouse, settings.smtp).queue(record.id, reply)
        MailLog(ingestor.warehouse).update(record, state="settled")


def reply_content(
    ingestor: Ingestor, record: MailRecord, mail: MailContent, submissions: list[int]
) -> tuple[list[str], list[tuple[str, bytes]]]:
    """Write the reply's paragraphs and the annotated workbooks to attach."""
    paragraphs = ["Bonjour,"]
    attachments: list[tuple[str, bytes]] = []
    if submissions:
        paragraphs.append(
            f"Dr Cooper a bien reçu votre message « {mail.subject} » et a lu "
            f"{len(submissions)} fichier{'s' if len(submissions) > 1 else ''}. "
            "Voici ce qui a été retenu."
        )
    else:
        paragraphs.append(
            f"Dr Cooper a bien reçu votre message « {mail.subject} », mais n'y a "
            "trouvé aucun fichier de projets à lire."
        )

    for submission_id in submissions:
        report = ingestor.warehouse.submission_report(submission_id)
        text = report_from_dict(report).to_text().strip()
        paragraphs.append(text)
        row = ingestor.warehouse.db.execute(
            "SELECT sha256, file_name FROM submissions WHERE id = ?", (submission_id,)
        ).fetchone()
        copy = annotated_copy(
            ingestor.archive.object_path(row["sha256"]), row["file_name"], report, text
        )
        if copy is not None:
            attachments.append(copy)

    if record.notes:
        paragraphs.append(
            "Ce qui n'a pas été lu :\n"
            + "\n".join(f"  - {note}" for note in record.notes)
        )
    if attachments:
        paragraphs.append(
            "Votre fichier vous est renvoyé en pièce jointe, annoté : les cellules à "
            "revoir sont colorées (rouge : à corriger, jaune : à vérifier) et un "
            "commentaire y explique ce que Dr Cooper a compris et ce qu'il faut "
            "changer. Les macros ne sont jamais conservées."
        )
    if not submissions:
        paragraphs.append(
            "Pour transmettre vos projets de coopération, joignez à votre message "
            "le tableau que vous tenez déjà, tel quel : un classeur Excel (.xlsx, "
            ".xlsm, .xls), LibreOffice (.ods) ou un fichier .csv, une ligne par "
            "projet. Inutile de changer vos colonnes : Dr Cooper reconnaît les "
            "intitulés usuels (titre, pays, partenaires, dates, budget...). Pour "
            "un seul projet, une fiche suffit (Word, OpenDocument, PDF, texte), "
            "ou sa description dans le corps du message : titre, pays, "
            "partenaires, dates."
        )
    paragraphs.append("Cordialement,\nDr Cooper")
    return paragraphs, attachments


def send_replies(warehouse: Warehouse, settings: Settings) -> int:
    """Send the replies now due; a failure is logged and retried later."""
    try:
        return Outbox(warehouse, settings.smtp).send_due()
    except Exception:
        log.exception("replies: sending failed; they stay queued")
        return 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

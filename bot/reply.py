"""Replies to contributors: composed in French, queued in the warehouse, sent by SMTP.

A reply is composed once, stored whole in `mail_replies` in the same
transaction that marks its message as answered, then sent. A failed sending
is retried later with a growing delay; ingestion never waits for the SMTP
server. The reply is threaded to the contributor's message (RFC 5322 §3.6.4:
`In-Reply-To` and `References`).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from bot.config import SmtpSettings
from bot.model import CellRef, Problem
from bot.report import Report
from bot.warehouse import Warehouse

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30
# Delays before the 1st, 2nd, ... retry of a reply; the last one repeats.
RETRY_MINUTES = (1, 5, 15, 60, 240)
SIGNATURE = (
    "Ce message est envoyé automatiquement par Dr Cooper, la cartographie des "
    "coopérations internationales en santé. Pour envoyer une nouvelle version, "
    "répondez simplement à ce message avec votre fichier en pièce jointe."
)


@dataclass(frozen=True)
class Original:
    """What a reply needs to know of the message it answers."""

    recipient: str
    subject: str
    message_id: str | None
    references: str | None


def compose_reply(
    original: Original,
    *,
    from_address: str,
    paragraphs: list[str],
    attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
) -> EmailMessage:
    """Build a threaded French reply with a text and an HTML version."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = f"Dr Cooper <{from_address}>"
    message["To"] = original.recipient
    subject = original.subject.strip() or "votre envoi"
    message["Subject"] = (
        subject if subject.lower().startswith("re:") else f"Re: {subject}"
    )
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=from_address.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-replied"  # RFC 3834: no reply loops
    if original.message_id:
        message["In-Reply-To"] = original.message_id
        references = f"{original.references or ''} {original.message_id}".split()
        message["References"] = " ".join(references[-20:])

    text = "\n\n".join([*paragraphs, SIGNATURE]) + "\n"
    message.set_content(text)
    message.add_alternative(_html_of(paragraphs), subtype="html")
    for file_name, content in attachments:
        message.add_attachment(
            content,
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=file_name,
        )
    return message


def _html_of(paragraphs: list[str]) -> str:
    blocks = [
        f'<pre style="white-space: pre-wrap; font-family: inherit">'
        f"{html.escape(paragraph)}</pre>"
        if "\n" in paragraph
        else f"<p>{html.escape(paragraph)}</p>"
        for paragraph in [*paragraphs]
    ]
    blocks.append(f'<p style="color: #666">{html.escape(SIGNATURE)}</p>')
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        "<title>Dr Cooper</title></head><body>" + "".join(blocks) + "</body></html>"
    )


def report_from_dict(data: dict[str, Any]) -> Report:
    """Rebuild a stored report (`Report.to_dict`) to render it as text again."""
    report = Report(file_name=data["file_name"], actor=data["actor"])
    report.outcome = data.get("outcome", "accepted")
    report.reason = data.get("reason")
    for name in ("projects", "rejected_rows", "skipped_rows", "skipped_sheets"):
        setattr(report, name, list(data.get(name, [])))
    report.columns = list(data.get("columns", []))
    report.changes = dict(data.get("changes", {}))
    report.problems = [
        Problem(
            severity=problem.get("severity", "warning"),
            message=problem["message"],
            ref=_cell_ref(problem.get("location")),
            value=problem.get("value"),
            understood=problem.get("understood"),
            suggestion=problem.get("suggestion"),
        )
        for problem in data.get("problems", [])
    ]
    return report


def _cell_ref(location: str | None) -> CellRef | None:
    if not location or "!" not in location:
        return None
    sheet, coordinate = location.rsplit("!", 1)
    try:
        letters, row = coordinate_from_string(coordinate)
    except ValueError:
        return None
    return CellRef(sheet, row, column_index_from_string(letters))


def send_message(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; raise OSError or SMTPException."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password.read())
        client.send_message(message)


class Outbox:
    """The replies waiting in the warehouse, and their sending with retries."""

    def __init__(self, warehouse: Warehouse, smtp: SmtpSettings | None) -> None:
        self.warehouse = warehouse
        self.smtp = smtp

    def queue(self, mail_id: int, message: EmailMessage) -> None:
        """Store a reply to send; a second reply to the same message is ignored.

        Call it inside the transaction that records the message as answered.
        """
        now = _now()
        self.warehouse.db.execute(
            "INSERT OR IGNORE INTO mail_replies (message, recipient, content, "
            "created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
            (mail_id, str(message["To"]), message.as_bytes(), now, now),
        )

    def send_due(self) -> int:
        """Send every reply whose time has come; return how many were sent."""
        if self.smtp is None:
            return 0
        due = self.warehouse.db.execute(
            "SELECT id, recipient, content, attempts FROM mail_replies "
            "WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id",
            (_now(),),
        ).fetchall()
        sent = 0
        for row in due:
            message = email.message_from_bytes(row["content"], policy=email.policy.SMTP)
            try:
                send_message(self.smtp, message)  # type: ignore[arg-type]
            except (OSError, smtplib.SMTPException, ValueError) as err:
                self._postpone(row["id"], row["attempts"], str(err))
                continue
            self.warehouse.db.execute(
                "UPDATE mail_replies SET sent_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                (_now(), row["id"]),
            )
            log.info("reply %s: sent to %s", row["id"], row["recipient"])
            sent += 1
        return sent

    def _postpone(self, reply_id: int, attempts: int, error: str) -> None:
        delay = RETRY_MINUTES[min(attempts, len(RETRY_MINUTES) - 1)]
        retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=delay)
        self.warehouse.db.execute(
            "UPDATE mail_replies SET attempts = attempts + 1, next_attempt_at = ?, "
            "last_error = ? WHERE id = ?",
            (retry_at.isoformat(timespec="seconds"), error[:500], reply_id),
        )
        log.warning(
            "reply %s: not sent (%s); retried in %d min. Check smtp.host, "
            "smtp.port and smtp.security in inbox_rules.yaml if this lasts",
            reply_id,
            error,
            delay,
        )

    def pending(self) -> list[dict[str, Any]]:
        rows = self.warehouse.db.execute(
            "SELECT id, message, recipient, attempts, next_attempt_at, last_error "
            "FROM mail_replies WHERE sent_at IS NULL ORDER BY id"
        )
        return [dict(row) for row in rows]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

"""Quarantined messages: listed for the administrators, released once allowed.

A message lands in quarantine when no rule allows its sender, or when a rule
requires DKIM or SPF and the check did not pass. Once an administrator adds
the sender to a rule of `inbox_rules.yaml`, `drcooper quarantine release`
takes its files from the archived message, so nobody has to send it again,
answers the sender, and moves the message out of the Quarantine folder.
Also here: `drcooper check-config`, which tries each account's login.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import json
import logging
import smtplib
from dataclasses import dataclass

import click
from imap_tools.errors import ImapToolsError

from bot.config import MailAccount, MailRule, Settings
from bot.exceptions import ConfigError, DrCooperError
from bot.ingest import Ingestor
from bot.mailbox import (
    MailboxError,
    MailLog,
    MailRecord,
    Verdict,
    handle_record,
    judge_sender,
    open_mailbox,
    send_replies,
)
from bot.mime import parse_message

log = logging.getLogger(__name__)


@dataclass
class Release:
    """What became of one quarantined message asked to be released."""

    record: MailRecord
    released: bool
    why: str


def release_messages(
    ingestor: Ingestor,
    settings: Settings,
    ids: tuple[int, ...] = (),
    actor: str | None = None,
) -> list[Release]:
    """Take the files of quarantined messages whose sender is now allowed.

    Without `ids`, every quarantined message whose sender a rule now allows
    (and whose required DKIM/SPF checks pass) is released. With `ids`, those
    messages are released even if their authentication failed: the
    administrator vouches for them; `actor` then names the actor when no rule
    matches the sender.
    """
    mail_log = MailLog(ingestor.warehouse)
    accounts = {account.name: account for account in settings.mailboxes}
    candidates = mail_log.quarantined()
    if ids:
        candidates = [record for record in candidates if record.id in ids]
    releases = []
    for record in candidates:
        account = accounts.get(record.account)
        if account is None:
            releases.append(Release(record, False, "compte absent de la configuration"))
            continue
        verdict = _verdict(ingestor, account, record, vouched=bool(ids), actor=actor)
        if verdict.rule is None or verdict.quarantine:
            releases.append(Release(record, False, verdict.quarantine or "?"))
            continue

        # Start again from the archived message, as if it had just arrived.
        mail_log.update(record, state="received", verdict="released")
        handle_record(
            ingestor, settings, account, record, resumed=True, verdict=verdict
        )
        _move_out_of_quarantine(account, record)
        with ingestor.warehouse.transaction():
            mail_log.update(record, state="done")
        releases.append(Release(record, True, f"acteur {verdict.rule.actor}"))
        log.info(
            "mail %s (%s): released for %s",
            record.id,
            record.sender,
            verdict.rule.actor,
        )
    send_replies(ingestor.warehouse, settings)
    return releases


def _verdict(
    ingestor: Ingestor,
    account: MailAccount,
    record: MailRecord,
    *,
    vouched: bool,
    actor: str | None,
) -> Verdict:
    mail = parse_message(ingestor.archive.object_path(record.eml_sha256).read_bytes())
    verdict = judge_sender(account, mail)
    if not vouched:
        return verdict
    if verdict.rule is not None:
        return Verdict(verdict.rule, rejection=verdict.rejection)
    if actor is None:
        return Verdict(
            None, quarantine="aucune règle n'autorise cet expéditeur : donnez --actor"
        )
    return Verdict(MailRule(senders=(record.sender,), actor=actor))


def _move_out_of_quarantine(account: MailAccount, record: MailRecord) -> None:
    """Move the released message from Quarantine to its new folder, if found."""
    try:
        mailbox = open_mailbox(account)
    except MailboxError as err:
        log.warning(
            "mail %s: released, but it stays in the %s folder (%s); move it by hand",
            record.id,
            account.quarantine_folder,
            err,
        )
        return
    try:
        mailbox.folder.set(account.quarantine_folder)
        criteria = (
            f'HEADER Message-ID "{record.message_id}"'
            if record.message_id and record.message_id.isascii()
            else "ALL"
        )
        for uid in mailbox.uids(criteria, charset=None):
            _, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next(
                (bytes(item[1]) for item in data if isinstance(item, tuple)), b""
            )
            if hashlib.sha256(raw).hexdigest() == record.eml_sha256:
                mailbox.move(uid, record.folder or account.processed_folder)
                break
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as err:
        log.warning(
            "mail %s: released, but moving it out of %s failed (%s); move it by hand",
            record.id,
            account.quarantine_folder,
            err,
        )
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error, ImapToolsError):
            mailbox.logout()


@click.group()
def quarantine() -> None:
    """Messages from senders no rule allows, or that failed DKIM/SPF."""


@quarantine.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
def list_quarantine(settings: Settings, as_json: bool) -> None:
    """List the quarantined messages, oldest first."""
    ingestor = Ingestor(settings)
    try:
        records = MailLog(ingestor.warehouse).quarantined()
    finally:
        ingestor.warehouse.close()
    if as_json:
        rows = [
            {
                "id": record.id,
                "account": record.account,
                "received_at": record.received_at,
                "sender": record.sender,
                "subject": record.subject,
                "reason": record.reason,
            }
            for record in records
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not records:
        click.echo("Aucun message en quarantaine.")
    for record in records:
        click.echo(
            f"{record.id:>5}  {record.received_at[:19]}  {record.account:<12} "
            f"{record.sender:<32} « {record.subject} » : {record.reason}"
        )


@quarantine.command("release")
@click.argument("ids", nargs=-1, type=int)
@click.option("--actor", help="Actor slug, for a sender no rule allows yet.")
@click.pass_obj
def release_quarantine(
    settings: Settings, ids: tuple[int, ...], actor: str | None
) -> None:
    """Take the files of quarantined messages now allowed (or those named by id)."""
    ingestor = Ingestor(settings)
    try:
        releases = release_messages(ingestor, settings, ids, actor)
    finally:
        ingestor.warehouse.close()
    if not releases:
        click.echo("Aucun message à libérer.")
    for release in releases:
        state = "libéré" if release.released else "laissé en quarantaine"
        click.echo(
            f"{release.record.id:>5}  {release.record.sender:<32} {state} "
            f"({release.why})"
        )


@click.command("check-config")
@click.pass_obj
def check_config(settings: Settings) -> None:
    """Validate inbox_rules.yaml and try each mail account's login, fetching nothing."""
    failures = 0
    for account in settings.mailboxes:
        try:
            mailbox = open_mailbox(account)
        except MailboxError as err:
            failures += 1
            click.echo(f"ÉCHEC  imap {account.name} : {err}")
            continue
        exists = mailbox.folder.exists(account.folder)
        mailbox.logout()
        if not exists:
            failures += 1
            click.echo(
                f"ÉCHEC  imap {account.name} : dossier {account.folder!r} absent"
            )
        else:
            click.echo(f"OK     imap {account.name} ({account.user}@{account.host})")
    if settings.smtp is not None:
        failures += not _check_smtp(settings)
    click.echo(f"{settings.path} : configuration valide.")
    if failures:
        raise click.ClickException(f"{failures} compte(s) inaccessible(s).")


def _check_smtp(settings: Settings) -> bool:
    smtp = settings.smtp
    assert smtp is not None
    try:
        client = (
            smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=20)
            if smtp.security == "tls"
            else smtplib.SMTP(smtp.host, smtp.port, timeout=20)
        )
        with client:
            if smtp.security == "starttls":
                client.starttls()
            if smtp.user:
                client.login(smtp.user, smtp.password.read())
            client.noop()
    except (OSError, smtplib.SMTPException, ConfigError, DrCooperError) as err:
        click.echo(f"ÉCHEC  smtp {smtp.host}:{smtp.port} : {err}")
        return False
    click.echo(f"OK     smtp {smtp.host}:{smtp.port}")
    return True

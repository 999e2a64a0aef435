"""The mailbox end to end: real messages in a real Dovecot, replies to a real SMTP.

Messages are built with the `email` package and appended over IMAP; the bot
runs through `drcooper run --once`; the tests then look at the warehouse, the
folders the messages ended in, and the replies the SMTP server received.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import load_settings
from bot.mailbox import MailLog
from bot.scheduler import run_bot
from bot.warehouse import Warehouse

from .conftest import make_workbook, write_settings
from .mailserver import Dovecot, SmtpServer
from .test_ingest import lyon_rows

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture
def user(dovecot: Dovecot, smtp: SmtpServer) -> str:
    """A fresh mailbox for each test, and an empty SMTP inbox."""
    smtp.inbox.messages.clear()
    smtp.inbox.recipients.clear()
    smtp.inbox.refuse = False
    return dovecot.take_user()


def mail_settings_yaml(
    dovecot_port: int,
    smtp_port: int,
    user: str,
    *,
    extra_rules: str = "",
    **account: str,
) -> str:
    options = "".join(f"    {key}: {value}\n" for key, value in account.items())
    return (
        "  chu-bordeaux:\n    name: CHU de Bordeaux\n"
        "mailboxes:\n"
        "  - name: contributions\n"
        "    host: 127.0.0.1\n"
        f"    port: {dovecot_port}\n"
        "    security: plain\n"
        f"    user: {user}\n"
        "    password_file: imap-password\n"
        "    poll_minutes: 0.05\n"
        f"{options}"
        "    rules:\n"
        "      - senders: [alice@chu-lyon.fr]\n"
        "        actor: chu-lyon\n"
        "      - senders: [chu-bordeaux.fr]\n"
        "        actor: chu-bordeaux\n"
        "        require: [dkim]\n"
        f"{extra_rules}"
        "smtp:\n"
        "  host: 127.0.0.1\n"
        f"  port: {smtp_port}\n"
        "  security: plain\n"
        "  from: drcooper@test.example\n"
    )


def configure(
    where: Path, dovecot: Dovecot, smtp: SmtpServer, user: str, **options: str
) -> Path:
    """Write settings in `where` for one account; `options` are account keys."""
    (where / "imap-password").write_text(dovecot.users[user] + "\n")
    return write_settings(
        where, mail_settings_yaml(dovecot.port, smtp.port, user, **options)
    )


def workbook_bytes(folder: Path, rows: list[list[object]] | None = None) -> bytes:
    path = make_workbook(folder / f"{uuid.uuid4().hex}.xlsx", rows or lyon_rows())
    return path.read_bytes()


def contribution(
    sender: str,
    subject: str,
    files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    *,
    body: str = "Bonjour, voici nos projets.",
    octet_stream: bool = False,
    inline: bool = False,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Contributeur <{sender}>"
    message["To"] = "drcooper@test.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="chu-lyon.fr")
    message.set_content(body)
    for name, content in files:
        maintype, subtype = (
            ("application", "octet-stream") if octet_stream else XLSX_TYPE
        )
        message.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype,
            filename=name,
            disposition="inline" if inline else "attachment",
        )
    return message


def forwarded(sender: str, inner: EmailMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "drcooper@test.example"
    message["Subject"] = f"Tr: {inner['Subject']}"
    message["Message-ID"] = make_msgid(domain="chu-lyon.fr")
    message.set_content("Je vous transfère le tableau de notre service.")
    message.add_attachment(inner)
    return message


def run_once(settings_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(settings_path), "run", "--once"])
    assert result.exit_code == 0, result.output


def test_messages_end_in_their_folders_with_one_reply_each(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    content = workbook_bytes(tmp_path)

    # A French file name sent as octet-stream (RFC 2231), already read by a person.
    first = contribution(
        "alice@chu-lyon.fr",
        "Nos coopérations 2025",
        [("Coopérations 2025.xlsx", content)],
        octet_stream=True,
    )
    dovecot.append(user, first, flags=("\\Seen",))
    # A forwarded message carrying an inline workbook.
    inner = contribution(
        "collegue@chu-lyon.fr",
        "Tableau du service",
        [("Santé mondiale.xlsx", workbook_bytes(tmp_path, lyon_rows()[:2]))],
        inline=True,
    )
    dovecot.append(user, forwarded("alice@chu-lyon.fr", inner))
    # Nobody allowed this sender: quarantined, never answered.
    dovecot.append(
        user,
        contribution("mallory@exemple.com", "Projets", [("projets.xlsx", content)]),
    )
    # A sender from an allowed domain, but DKIM failed: forged.
    forged = contribution("dg@chu-bordeaux.fr", "Projets", [("p.xlsx", content)])
    forged["Authentication-Results"] = "mx.test.example; dkim=fail; spf=fail"
    dovecot.append(user, forged)
    # No file at all.
    dovecot.append(user, contribution("alice@chu-lyon.fr", "Question"))

    run_once(settings_path)

    # Two workbooks taken, as submissions of chu-lyon from the mailbox.
    settings = load_settings(settings_path)
    with Warehouse(settings.warehouse) as warehouse:
        submissions = warehouse.submissions()
        quarantined = MailLog(warehouse).quarantined()
    assert sorted(row["file_name"] for row in submissions) == [
        "Coopérations 2025.xlsx",
        "Santé mondiale.xlsx",
    ]
    assert {row["actor"] for row in submissions} == {"chu-lyon"}
    assert all(row["source"].startswith("mail:contributions/") for row in submissions)
    assert all(row["sender"] == "alice@chu-lyon.fr" for row in submissions)
    assert sorted(record.sender for record in quarantined) == [
        "dg@chu-bordeaux.fr",
        "mallory@exemple.com",
    ]
    assert "dkim" in next(r.reason for r in quarantined if "bordeaux" in r.sender)

    # Each message in the folder its outcome calls for.
    assert dovecot.subjects(user, "INBOX") == []
    assert dovecot.subjects(user, "Processed") == [
        "Nos coopérations 2025",
        "Tr: Tableau du service",
    ]
    assert dovecot.subjects(user, "Rejected") == ["Question"]
    assert dovecot.subjects(user, "Quarantine") == ["Projets", "Projets"]

    # Three replies, all to alice, none to the quarantined senders.
    replies = {str(reply["In-Reply-To"]): reply for reply in smtp.inbox.messages}
    assert len(smtp.inbox.messages) == 3
    assert smtp.inbox.recipients == [["alice@chu-lyon.fr"]] * 3
    reply = replies[str(first["Message-ID"])]
    assert str(reply["Subject"]) == "Re: Nos coopérations 2025"
    assert str(first["Message-ID"]) in str(reply["References"])
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dr Cooper a bien reçu votre message « Nos coopérations 2025 »" in text
    assert "Fichier « Coopérations 2025.xlsx » (acteur : chu-lyon)" in text
    assert "Projets!G5" in text
    html = reply.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'lang="fr"' in html and "Projets!G5" in html

    # The contributor's workbook comes back with the problem cell marked.
    annotated = list(reply.iter_attachments())
    assert [part.get_filename() for part in annotated] == [
        "Coopérations 2025 (annoté).xlsx"
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(annotated[0].get_content()))
    cell = workbook["Projets"]["G5"]
    assert cell.fill.fgColor.rgb.endswith(("FFC7CE", "FFEB9C"))
    assert "peut-être" in cell.comment.text
    assert cell.comment.author == "Dr Cooper"

    # The message without a file gets a polite note of what to send.
    polite = (
        next(r for r in smtp.inbox.messages if str(r["Subject"]) == "Re: Question")
        .get_body(("plain",))
        .get_content()
    )  # type: ignore[union-attr]
    assert "aucun fichier de projets" in polite
    assert ".xlsx" in polite and ".csv" in polite


def test_a_second_run_takes_nothing_and_answers_nobody_again(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    dovecot.append(
        user,
        contribution(
            "alice@chu-lyon.fr", "Projets", [("p.xlsx", workbook_bytes(tmp_path))]
        ),
    )

    run_once(settings_path)
    run_once(settings_path)

    with Warehouse(load_settings(settings_path).warehouse) as warehouse:
        assert len(warehouse.submissions()) == 1
    assert len(smtp.inbox.messages) == 1


def test_winmail_dat_is_reported_as_unsupported(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    tnef = b"\x78\x9f\x3e\x22" + b"\x00" * 64
    message = contribution(
        "alice@chu-lyon.fr", "Projets Outlook", [("winmail.dat", tnef)]
    )
    dovecot.append(user, message)

    run_once(settings_path)

    assert dovecot.subjects(user, "Rejected") == ["Projets Outlook"]
    text = smtp.inbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "winmail.dat" in text and "TNEF" in text


def test_released_sender_has_its_quarantined_files_taken(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    dovecot.append(
        user,
        contribution(
            "nadia@inserm.fr",
            "Projets Inserm",
            [("inserm.xlsx", workbook_bytes(tmp_path))],
        ),
    )
    run_once(settings_path)
    assert dovecot.subjects(user, "Quarantine") == ["Projets Inserm"]
    assert smtp.inbox.messages == []

    listing = CliRunner().invoke(
        main, ["--config", str(settings_path), "quarantine", "list"]
    )
    assert "nadia@inserm.fr" in listing.output
    assert "expéditeur inconnu" in listing.output

    # The administrator allows the sender; the message need not be sent again.
    configure(
        tmp_path,
        dovecot,
        smtp,
        user,
        extra_rules="      - senders: [inserm.fr]\n        actor: inserm\n",
    )
    released = CliRunner().invoke(
        main, ["--config", str(settings_path), "quarantine", "release"]
    )
    assert released.exit_code == 0, released.output
    assert "libéré" in released.output

    with Warehouse(load_settings(settings_path).warehouse) as warehouse:
        assert [
            (row["actor"], row["file_name"]) for row in warehouse.submissions()
        ] == [("inserm", "inserm.xlsx")]
        assert MailLog(warehouse).quarantined() == []
    assert dovecot.subjects(user, "Quarantine") == []
    assert dovecot.subjects(user, "Processed") == ["Projets Inserm"]
    assert smtp.inbox.recipients == [["nadia@inserm.fr"]]


def test_message_text_describing_a_project_becomes_a_submission(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    body = (
        "Bonjour,\n\nVoici la fiche de notre projet.\n\n"
        "Titre : Surveillance de la dengue au Laos\n"
        "Pays : Laos\n"
        "Partenaires : Institut Pasteur du Laos\n"
        "Domaine : veille sanitaire\n"
        "Date de début : 01/2025\n"
        "Date de fin : 12/2027\n"
        "Description : un réseau de laboratoires suit la circulation des virus "
        "de la dengue dans trois provinces et forme les équipes hospitalières.\n"
    )
    dovecot.append(
        user, contribution("alice@chu-lyon.fr", "Fiche projet dengue", body=body)
    )

    run_once(settings_path)

    with Warehouse(load_settings(settings_path).warehouse) as warehouse:
        [submission] = warehouse.submissions()
        titles = [record["data"]["title"] for record in warehouse.current_records()]
    assert submission["file_name"] == "Fiche projet dengue.txt"
    assert submission["outcome"] in ("accepted", "partial")
    assert titles == ["Surveillance de la dengue au Laos"]
    assert dovecot.subjects(user, "Processed") == ["Fiche projet dengue"]
    assert len(smtp.inbox.messages) == 1


def test_word_document_attached_as_octet_stream_becomes_a_project(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    document = docx.Document()
    document.add_heading("Chirurgie pédiatrique à Antananarivo", level=1)
    document.add_paragraph("Pays : Madagascar")
    document.add_paragraph("Partenaires : CHU Joseph Ravoahangy Andrianavalona")
    document.add_paragraph("Période : 2026-2028")
    buffer = io.BytesIO()
    document.save(buffer)
    message = contribution(
        "alice@chu-lyon.fr",
        "Fiche projet",
        [("Fiche projet Madagascar.docx", buffer.getvalue())],
        octet_stream=True,
    )
    dovecot.append(user, message)

    run_once(settings_path)

    with Warehouse(load_settings(settings_path).warehouse) as warehouse:
        [submission] = warehouse.submissions()
        [record] = warehouse.current_records()
    assert submission["file_name"] == "Fiche projet Madagascar.docx"
    assert record["data"]["title"] == "Chirurgie pédiatrique à Antananarivo"
    assert record["data"]["countries"] == ["MG"]
    assert dovecot.subjects(user, "Processed") == ["Fiche projet"]


def test_running_bot_polls_the_mailbox_until_stopped(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings = load_settings(configure(tmp_path, dovecot, smtp, user))
    stop = threading.Event()
    bot = threading.Thread(
        target=run_bot, args=(settings,), kwargs={"stop_event": stop}, daemon=True
    )
    bot.start()
    try:
        dovecot.append(
            user,
            contribution(
                "alice@chu-lyon.fr", "Projets", [("p.xlsx", workbook_bytes(tmp_path))]
            ),
        )
        deadline = time.monotonic() + 30
        while not smtp.inbox.messages and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        bot.join(timeout=30)

    assert not bot.is_alive()
    assert dovecot.subjects(user, "Processed") == ["Projets"]
    assert len(smtp.inbox.messages) == 1


def test_check_config_tries_each_login_without_fetching(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, user: str
):
    settings_path = configure(tmp_path, dovecot, smtp, user)
    dovecot.append(user, contribution("alice@chu-lyon.fr", "Projets"))

    good = CliRunner().invoke(main, ["--config", str(settings_path), "check-config"])
    (tmp_path / "imap-password").write_text("wrong\n")
    bad = CliRunner().invoke(main, ["--config", str(settings_path), "check-config"])

    assert good.exit_code == 0, good.output
    assert f"OK     imap contributions ({user}@127.0.0.1)" in good.output
    assert "OK     smtp" in good.output
    assert bad.exit_code == 1
    assert "refused the login" in bad.output
    assert dovecot.subjects(user, "INBOX") == ["Projets"]

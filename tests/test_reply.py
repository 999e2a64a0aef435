"""Composing, queuing and sending replies (a real SMTP server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import SmtpSettings
from bot.model import CellRef, Problem
from bot.reply import Original, Outbox, compose_reply, report_from_dict
from bot.report import Report
from bot.warehouse import Warehouse

from .mailserver import SmtpServer

ORIGINAL = Original(
    recipient="alice@chu-lyon.fr",
    subject="Nos projets",
    message_id="<abc@chu-lyon.fr>",
    references="<first@chu-lyon.fr>",
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def test_reply_is_threaded_in_french_with_text_and_html():
    reply = compose_reply(
        ORIGINAL,
        from_address="drcooper@test.example",
        paragraphs=["Bonjour,", "Ligne 1\nLigne <2>"],
        attachments=[("projets (annoté).xlsx", b"PK")],
    )

    assert str(reply["Subject"]) == "Re: Nos projets"
    assert str(reply["In-Reply-To"]) == "<abc@chu-lyon.fr>"
    assert str(reply["References"]) == "<first@chu-lyon.fr> <abc@chu-lyon.fr>"
    assert str(reply["Auto-Submitted"]) == "auto-replied"
    assert "Ligne <2>" in reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Ligne &lt;2&gt;" in reply.get_body(("html",)).get_content()  # type: ignore[union-attr]
    [attachment] = list(reply.iter_attachments())
    assert attachment.get_filename() == "projets (annoté).xlsx"


def test_stored_report_renders_the_same_text_again():
    report = Report(file_name="p.xlsx", actor="chu-lyon", outcome="partial")
    report.problems = [
        Problem(
            "warning", "Date non comprise.", CellRef("Mes projets!", 5, 7), "peut-être"
        )
    ]
    report.rejected_rows = [{"location": "Projets!A9", "reason": "titre vide"}]

    assert report_from_dict(report.to_dict()).to_text() == report.to_text()


def test_one_message_gets_one_reply_however_often_it_is_queued(
    tmp_path: Path, smtp: SmtpServer
):
    settings = SmtpSettings("127.0.0.1", smtp.port, "plain", "drcooper@test.example")
    with Warehouse(tmp_path / "w.sqlite3") as warehouse:
        warehouse.db.execute(
            "INSERT INTO mail_messages (id, account, uidvalidity, uid, eml_sha256, "
            "sender, subject, received_at, state, verdict) "
            "VALUES (1, 'a', 1, 1, 'x', 's', 's', 'now', 'settled', 'taken')"
        )
        outbox = Outbox(warehouse, settings)
        for _ in range(2):
            outbox.queue(
                1, compose_reply(ORIGINAL, from_address="d@t.example", paragraphs=["x"])
            )

        assert outbox.send_due() == 1
        assert outbox.send_due() == 0
    assert len(smtp.inbox.messages) == 1
    assert smtp.inbox.recipients == [["alice@chu-lyon.fr"]]

"""Mail faults: each logged with what to do, retried with backoff, nothing lost."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.ingest import Ingestor
from bot.mailbox import BACKOFF_FIRST_SECONDS, MailboxSource
from bot.reply import Outbox

from .mailserver import Dovecot, FaultyProxy, SmtpServer, free_port
from .test_mailbox import configure, contribution, workbook_bytes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def source_for(settings_path: Path, clock: Clock) -> tuple[MailboxSource, Ingestor]:
    settings = load_settings(settings_path)
    ingestor = Ingestor(settings)
    return MailboxSource(settings.mailboxes[0], settings, clock=clock), ingestor


def append_contribution(dovecot: Dovecot, user: str, folder: Path) -> None:
    dovecot.append(
        user,
        contribution(
            "alice@chu-lyon.fr", "Projets", [("p.xlsx", workbook_bytes(folder))]
        ),
    )


def test_server_down_is_retried_with_growing_delays_then_taken(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
):
    user = dovecot.take_user()
    append_contribution(dovecot, user, tmp_path)
    down = configure(tmp_path, dovecot, smtp, user)
    down.write_text(
        down.read_text().replace(f"port: {dovecot.port}", f"port: {free_port()}")
    )
    clock = Clock()
    source, ingestor = source_for(down, clock)

    with caplog.at_level(logging.WARNING):
        assert source.collect(ingestor) == 0
        first_delay = source.next_cycle_at - clock.now
        clock.now = source.next_cycle_at
        assert source.collect(ingestor) == 0
        second_delay = source.next_cycle_at - clock.now

    assert "cannot be reached" in caplog.text and "check that it is up" in caplog.text
    assert (first_delay, second_delay) == (
        BACKOFF_FIRST_SECONDS,
        2 * BACKOFF_FIRST_SECONDS,
    )
    assert not source.due()

    # The server is back: the message is taken, nothing was lost.
    source.account = load_settings(configure(tmp_path, dovecot, smtp, user)).mailboxes[
        0
    ]
    clock.now = source.next_cycle_at
    assert source.collect(ingestor) == 1
    assert len(ingestor.warehouse.submissions()) == 1
    assert source.failures == 0
    ingestor.warehouse.close()


def test_refused_login_says_to_check_the_password(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
):
    user = dovecot.take_user()
    settings_path = configure(tmp_path, dovecot, smtp, user)
    (tmp_path / "imap-password").write_text("wrong\n")
    source, ingestor = source_for(settings_path, Clock())

    with caplog.at_level(logging.WARNING):
        source.collect(ingestor)

    assert (
        f"refused the login of {user}; check the user and the password" in caplog.text
    )
    assert source.failures == 1
    ingestor.warehouse.close()


def test_missing_folder_is_reported_then_read_once_created(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
):
    user = dovecot.take_user()
    settings_path = configure(tmp_path, dovecot, smtp, user, folder="Contributions")
    clock = Clock()
    source, ingestor = source_for(settings_path, clock)

    with caplog.at_level(logging.WARNING):
        assert source.collect(ingestor) == 0
    assert "'Contributions' does not exist; create it" in caplog.text

    dovecot.append(
        user,
        contribution(
            "alice@chu-lyon.fr", "Projets", [("p.xlsx", workbook_bytes(tmp_path))]
        ),
        folder="Contributions",
    )
    clock.now = source.next_cycle_at
    assert source.collect(ingestor) == 1
    assert dovecot.subjects(user, "Processed") == ["Projets"]
    ingestor.warehouse.close()


def test_server_refusing_charset_in_search_is_searched_without(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer
):
    user = dovecot.take_user()
    append_contribution(dovecot, user, tmp_path)
    proxy = FaultyProxy(dovecot.port).start()
    proxy.refuse_charset = True
    settings_path = configure(tmp_path, dovecot, smtp, user)
    settings_path.write_text(
        settings_path.read_text().replace(
            f"port: {dovecot.port}", f"port: {proxy.port}"
        )
    )
    source, ingestor = source_for(settings_path, Clock())

    assert source.collect(ingestor) == 1

    assert proxy.refused_searches == 1
    assert source.charset is None
    assert len(ingestor.warehouse.submissions()) == 1
    ingestor.warehouse.close()
    proxy.stop()


def test_connection_dropped_mid_fetch_loses_nothing_and_takes_once(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
):
    user = dovecot.take_user()
    append_contribution(dovecot, user, tmp_path)
    proxy = FaultyProxy(dovecot.port).start()
    proxy.drop_on_fetch = 2  # the size is asked first, then the message itself
    settings_path = configure(tmp_path, dovecot, smtp, user)
    settings_path.write_text(
        settings_path.read_text().replace(
            f"port: {dovecot.port}", f"port: {proxy.port}"
        )
    )
    clock = Clock()
    source, ingestor = source_for(settings_path, clock)

    with caplog.at_level(logging.WARNING):
        assert source.collect(ingestor) == 0
    assert "nothing is lost" in caplog.text
    assert ingestor.warehouse.submissions() == []
    assert dovecot.subjects(user, "INBOX") == ["Projets"]

    clock.now = source.next_cycle_at
    assert source.collect(ingestor) == 1
    assert len(ingestor.warehouse.submissions()) == 1
    assert dovecot.subjects(user, "Processed") == ["Projets"]
    ingestor.warehouse.close()
    proxy.stop()


def test_reply_failure_is_queued_and_sent_later_without_blocking_ingestion(
    tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer
):
    user = dovecot.take_user()
    smtp.inbox.messages.clear()
    append_contribution(dovecot, user, tmp_path)
    source, ingestor = source_for(configure(tmp_path, dovecot, smtp, user), Clock())
    smtp.inbox.refuse = True

    assert source.collect(ingestor) == 1

    # Ingested and moved even though the reply could not go.
    assert len(ingestor.warehouse.submissions()) == 1
    assert dovecot.subjects(user, "Processed") == ["Projets"]
    outbox = Outbox(ingestor.warehouse, source.settings.smtp)
    [pending] = outbox.pending()
    assert pending["attempts"] == 1 and "451" in pending["last_error"]
    assert outbox.send_due() == 0  # not due yet: it waits for its retry time

    smtp.inbox.refuse = False
    ingestor.warehouse.db.execute("UPDATE mail_replies SET next_attempt_at = ''")
    assert outbox.send_due() == 1
    assert outbox.pending() == []
    assert len(smtp.inbox.messages) == 1
    ingestor.warehouse.close()

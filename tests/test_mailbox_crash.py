"""A bot killed at any step of a message's handling loses nothing and repeats nothing.

The bot runs as `drcooper run --once` in a subprocess; `DRCOOPER_CRASH_AT`
makes it end at once (`os._exit`) at the named step. A second run, without it,
must leave exactly one submission, one reply and the message in Processed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.mailbox import CRASH_ENVIRONMENT, CRASH_EXIT_STATUS
from bot.warehouse import Warehouse

from .mailserver import Dovecot, SmtpServer
from .test_mailbox import configure, contribution, workbook_bytes

STEPS = ("fetched", "eml-archived", "archived", "ingested", "settled", "moved")


def run_bot(settings_path: Path, crash_at: str | None) -> int:
    environment = {
        key: value for key, value in os.environ.items() if key != CRASH_ENVIRONMENT
    }
    if crash_at:
        environment[CRASH_ENVIRONMENT] = crash_at
    command = "from bot.cli import main; main()"
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            command,
            "--config",
            str(settings_path),
            "run",
            "--once",
        ],
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return finished.returncode


@pytest.mark.parametrize("step", STEPS)
def test_killed_bot_resumes_with_one_submission_and_one_reply(
    step: str, tmp_path: Path, dovecot: Dovecot, smtp: SmtpServer
):
    user = dovecot.take_user()
    smtp.inbox.messages.clear()
    settings_path = configure(tmp_path, dovecot, smtp, user)
    message = contribution(
        "alice@chu-lyon.fr",
        f"Projets {step}",
        [("Coopérations.xlsx", workbook_bytes(tmp_path))],
    )
    dovecot.append(user, message)

    assert run_bot(settings_path, crash_at=step) == CRASH_EXIT_STATUS
    assert run_bot(settings_path, crash_at=None) == 0

    with Warehouse(load_settings(settings_path).warehouse) as warehouse:
        submissions = warehouse.submissions()
        replies = warehouse.db.execute("SELECT sent_at FROM mail_replies").fetchall()
    assert [row["file_name"] for row in submissions] == ["Coopérations.xlsx"]
    assert [row["outcome"] for row in submissions] == ["partial"]
    assert len(replies) == 1 and replies[0]["sent_at"] is not None
    mine = [
        m for m in smtp.inbox.messages if str(m["Subject"]) == f"Re: Projets {step}"
    ]
    assert len(mine) == 1
    assert str(mine[0]["In-Reply-To"]) == str(message["Message-ID"])
    assert dovecot.subjects(user, "INBOX") == []
    assert dovecot.subjects(user, "Processed") == [f"Projets {step}"]
    # The archive holds the one workbook's receipt; a replay gives one submission.
    archive = load_settings(settings_path).archive
    assert len(list((archive / "receipts").glob("*.json"))) == 1

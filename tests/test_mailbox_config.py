"""The `mailboxes` and `smtp` sections of inbox_rules.yaml: validated at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.exceptions import ConfigError
from bot.mailbox import failed_checks, judge_sender
from bot.mime import MailContent

from .conftest import write_settings


def test_every_mail_mistake_is_reported_at_once_with_its_key(tmp_path: Path):
    path = write_settings(
        tmp_path,
        "mailboxes:\n"
        "  - host: imap.example.org\n"
        "    user: bot\n"
        "    password: hunter2\n"
        "    security: ssl\n"
        "    port: 70000\n"
        "    folder: INBOX\n"
        "    processed_folder: INBOX\n"
        "    rules:\n"
        "      - senders: [pas une adresse]\n"
        "        actor: CHU Lyon\n"
        "        require: [dmarc]\n"
        "        accept: [pptx]\n"
        "  - host: imap.example.org\n"
        "    user: bot2\n"
        "    password_env: IMAP_PASSWORD\n"
        "smtp:\n"
        "  host: smtp.example.org\n"
        "  from: drcooper\n"
        "  user: bot\n",
    )

    with pytest.raises(ConfigError) as caught:
        load_settings(path)

    assert caught.value.problems == [
        "mailboxes[0].security: must be one of tls, starttls, plain",
        "mailboxes[0].port: must be a whole number up to 65535",
        "mailboxes[0]: the read, processed, rejected and quarantine folders must "
        "all differ",
        "mailboxes[0].rules[0].senders: 'pas une adresse' is neither an address "
        "nor a domain",
        "mailboxes[0].rules[0].accept: must be a list among xlsx, xlsm, xlsb, xls, "
        "ods, csv, docx, odt, pdf, rtf, txt, md, doc",
        "mailboxes[0].rules[0].require: must be a list among dkim, spf",
        "mailboxes[0].rules[0].actor: 'CHU Lyon' is not a slug (lowercase letters, "
        "digits, -)",
        "mailboxes[0].password: a password is never written here: name an "
        "environment variable (password_env) or a file (password_file)",
        "mailboxes[0].password_env: password_env or password_file is required",
        "mailboxes[1].rules: at least one rule is needed: who may send",
        "smtp.from: 'drcooper' is not an e-mail address",
        "smtp.password_env: password_env or password_file is required",
    ]


def test_passwords_come_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "secret").write_text("from-file\nignored\n")
    path = write_settings(
        tmp_path,
        "mailboxes:\n"
        "  - {host: h, user: u, password_env: DRCOOPER_TEST_PASSWORD,"
        " rules: [{senders: [chu-lyon.fr], actor: chu-lyon}]}\n"
        "  - {name: other, host: h, user: u, password_file: secret,"
        " rules: [{senders: [chu-lyon.fr], actor: chu-lyon}]}\n",
    )
    settings = load_settings(path)

    monkeypatch.delenv("DRCOOPER_TEST_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="DRCOOPER_TEST_PASSWORD"):
        settings.mailboxes[0].password.read()
    monkeypatch.setenv("DRCOOPER_TEST_PASSWORD", "from-env")
    assert settings.mailboxes[0].password.read() == "from-env"
    assert settings.mailboxes[1].password.read() == "from-file"
    assert settings.mailboxes[0].port == 993


def mail_from(sender: str, subject: str = "Projets", *results: str) -> MailContent:
    return MailContent(
        sender=sender,
        reply_to=sender,
        subject=subject,
        message_id=None,
        references=None,
        body_text="",
        authentication_results=list(results),
    )


def test_rules_match_addresses_domains_subdomains_and_subjects(tmp_path: Path):
    path = write_settings(
        tmp_path,
        "mailboxes:\n"
        "  - host: h\n    user: u\n    password_env: X\n"
        "    rules:\n"
        "      - {senders: [dri@inserm.fr], actor: inserm-dri}\n"
        "      - {senders: [inserm.fr], actor: inserm, subjects: [coopération]}\n",
    )
    account = load_settings(path).mailboxes[0]

    assert judge_sender(account, mail_from("dri@inserm.fr")).rule.actor == "inserm-dri"  # type: ignore[union-attr]
    verdict = judge_sender(account, mail_from("a@u1234.inserm.fr", "Nos COOPERATIONS"))
    assert verdict.rule is not None and verdict.rule.actor == "inserm"
    refused = judge_sender(account, mail_from("a@inserm.fr", "Bonjour"))
    assert refused.rejection is not None and "« coopération »" in refused.rejection
    assert judge_sender(account, mail_from("a@notinserm.fr")).quarantine


def test_only_the_receiving_servers_authentication_results_count(tmp_path: Path):
    path = write_settings(
        tmp_path,
        "mailboxes:\n"
        "  - host: h\n    user: u\n    password_env: X\n    authserv_id: mx.ours.fr\n"
        "    rules: [{senders: [chu-lyon.fr], actor: chu-lyon}]\n",
    )
    account = load_settings(path).mailboxes[0]
    forged_above = "mx.ours.fr; dkim=fail header.d=chu-lyon.fr; spf=pass"
    planted = "mx.ours.fr.evil; dkim=pass"

    assert failed_checks([forged_above, planted], ("dkim", "spf"), account) == ["dkim"]
    assert failed_checks(["mx.ours.fr; dkim=pass; spf=pass"], ("dkim",), account) == []
    assert failed_checks([], ("spf",), account) == ["spf"]

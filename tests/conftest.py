"""Fixtures shared by the tests: a settings file in a temporary folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bot.config import Settings, load_settings
from bot.ingest import Ingestor

from .mailserver import Dovecot, SmtpServer

REPOSITORY = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 3)

# Dovecot reads its passwd-file at start: one mailbox per test, made up front.
MAIL_USERS = {f"bot{number}@test.example": f"secret-{number}" for number in range(40)}


def write_settings(folder: Path, extra: str = "") -> Path:
    """Write an inbox_rules.yaml keeping everything inside `folder`."""
    path = folder / "inbox_rules.yaml"
    path.write_text(
        f"synonyms: {REPOSITORY / 'synonyms'}\n"
        "actors:\n"
        "  chu-lyon:\n"
        "    name: Hospices Civils de Lyon\n" + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(write_settings(tmp_path))


@pytest.fixture
def ingestor(settings: Settings) -> Iterator[Ingestor]:
    ingestor = Ingestor(settings)
    yield ingestor
    ingestor.warehouse.close()


def make_workbook(
    path: Path,
    rows: list[list[Any]],
    *,
    sheet: str = "Projets",
    title_rows: list[str] = (),  # type: ignore[assignment]
) -> Path:
    """Write a one-sheet workbook: optional title rows, then `rows` (header first)."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for title in title_rows:
        worksheet.append([title])
    if title_rows:
        worksheet.append([])
    for row in rows:
        worksheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def workbook_factory(tmp_path: Path) -> Callable[..., Path]:
    def factory(name: str, rows: list[list[Any]], **options: Any) -> Path:
        return make_workbook(tmp_path / name, rows, **options)

    return factory


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A real IMAP server on loopback, one per test module."""
    server = Dovecot(dict(MAIL_USERS)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, one per test module."""
    server = SmtpServer().start()
    yield server
    server.stop()

"""The bot's loop: a real bot in a thread (or a process) watching real folders."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest

from bot.archive import file_sha256
from bot.config import Settings, load_settings
from bot.scheduler import run_bot
from bot.warehouse import Warehouse

REPOSITORY = Path(__file__).resolve().parent.parent
COUNTRIES = ("Sénégal", "Mali", "Bénin", "Togo", "Viêt Nam")


def drop_workbook(path: Path, titles: list[str]) -> Path:
    """Write a small contributor workbook with one project per title."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Projets"
    sheet.append(["Titre", "Pays", "Partenaires", "Date de début"])
    for number, title in enumerate(titles):
        sheet.append(
            [
                title,
                COUNTRIES[number % len(COUNTRIES)],
                "Institut Pasteur de Dakar",
                dt.date(2025, 1 + number % 12, 1),
            ]
        )
    workbook.save(path)
    return path


def load_test_settings(
    folder: Path, *, stable_seconds: float = 0.3, actor_from: str = "subfolder"
) -> Settings:
    """Write an inbox_rules.yaml with one shared folder, `inbox/`, and load it."""
    rules = "    rules:\n      - {pattern: 'divers/*', actor: aphp}\n"
    path = folder / "inbox_rules.yaml"
    path.write_text(
        f"synonyms: {REPOSITORY / 'synonyms'}\n"
        "schedule:\n"
        "  rescan_minutes: 10\n"
        "actors:\n"
        "  aphp:\n"
        "    name: Assistance Publique – Hôpitaux de Paris\n"
        "folders:\n"
        "  - path: inbox\n"
        f"    actor_from: {actor_from}\n"
        f"    stable_seconds: {stable_seconds}\n"
        + (rules if actor_from == "rules" else ""),
        encoding="utf-8",
    )
    settings = load_settings(path)
    settings.folders[0].path.mkdir(parents=True, exist_ok=True)
    # Created before the bot starts, so that the test's own connection and the
    # bot's do not both migrate a new file.
    Warehouse(settings.warehouse).close()
    return settings


@contextmanager
def running_bot(settings: Settings) -> Iterator[threading.Thread]:
    """Run the bot in a thread; stop it on leaving and check that it stopped."""
    stop = threading.Event()
    bot = threading.Thread(
        target=run_bot, args=(settings,), kwargs={"stop_event": stop}
    )
    bot.start()
    try:
        yield bot
    finally:
        stop.set()
        bot.join(timeout=10)
    assert not bot.is_alive(), "the bot did not stop within 10 s"


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {condition.__doc__}")
        time.sleep(0.1)


def current_titles(settings: Settings) -> set[str]:
    with Warehouse(settings.warehouse) as warehouse:
        return {record["data"]["title"] for record in warehouse.current_records()}


def submissions(settings: Settings) -> list[dict[str, object]]:
    with Warehouse(settings.warehouse) as warehouse:
        return warehouse.submissions()


def test_file_dropped_in_actor_subfolder_is_ingested_while_bot_runs(
    tmp_path: Path,
) -> None:
    settings = load_test_settings(tmp_path)
    inbox = settings.folders[0].path
    titles = {"Tuberculose au Sénégal", "Paludisme au Mali"}

    with running_bot(settings):
        time.sleep(0.5)
        drop_workbook(inbox / "aphp" / "Projets 2025.xlsx", sorted(titles))

        def projects_stored() -> bool:
            """the dropped projects are in the warehouse"""
            return current_titles(settings) == titles

        wait_for(projects_stored)

    (submission,) = submissions(settings)
    assert submission["actor"] == "aphp"
    assert submission["file_name"] == "Projets 2025.xlsx"
    assert submission["source"] == f"folder:{inbox}"
    assert submission["outcome"] == "accepted"


def test_newer_workbook_from_same_actor_withdraws_missing_projects(
    tmp_path: Path,
) -> None:
    settings = load_test_settings(tmp_path)
    path = settings.folders[0].path / "aphp" / "projets.xlsx"
    drop_workbook(path, ["Tuberculose au Sénégal", "Paludisme au Mali", "VIH au Togo"])

    with running_bot(settings):

        def first_version_stored() -> bool:
            """the first version's three projects are current"""
            return len(current_titles(settings)) == 3

        wait_for(first_version_stored)
        drop_workbook(path, ["Tuberculose au Sénégal"])

        def second_version_stored() -> bool:
            """only the second version's project is current"""
            return current_titles(settings) == {"Tuberculose au Sénégal"}

        wait_for(second_version_stored)

    assert [row["outcome"] for row in submissions(settings)] == [
        "accepted",
        "accepted",
    ]


def test_same_content_under_another_name_is_one_submission_and_files_untouched(
    tmp_path: Path,
) -> None:
    settings = load_test_settings(tmp_path)
    actor_folder = settings.folders[0].path / "aphp"
    original = drop_workbook(actor_folder / "projets.xlsx", ["Tuberculose au Sénégal"])
    before = (file_sha256(original), original.stat().st_mtime_ns)

    with running_bot(settings):

        def first_copy_stored() -> bool:
            """the first copy is stored"""
            return len(submissions(settings)) == 1

        wait_for(first_copy_stored)
        copy = actor_folder / "projets (copie).xlsx"
        copy.write_bytes(original.read_bytes())
        # Long enough for the copy to settle and be looked at twice.
        time.sleep(2.5)

    assert len(submissions(settings)) == 1
    assert (file_sha256(original), original.stat().st_mtime_ns) == before
    assert sorted(path.name for path in actor_folder.iterdir()) == [
        "projets (copie).xlsx",
        "projets.xlsx",
    ]


def test_file_still_being_copied_is_not_ingested_until_it_settles(
    tmp_path: Path,
) -> None:
    settings = load_test_settings(tmp_path, stable_seconds=1.0)
    path = settings.folders[0].path / "aphp" / "projets.xlsx"
    path.parent.mkdir()
    content = drop_workbook(tmp_path / "source.xlsx", ["Tuberculose au Sénégal"])
    payload = content.read_bytes()

    with running_bot(settings):
        # Copy slowly: a new chunk every 0.4 s, faster than stable_seconds.
        with path.open("wb") as stream:
            for start in range(0, len(payload), len(payload) // 5 + 1):
                stream.write(payload[start : start + len(payload) // 5 + 1])
                stream.flush()
                time.sleep(0.4)
                assert submissions(settings) == [], "taken while being copied"

        def copy_stored() -> bool:
            """the copied workbook is stored once complete"""
            return current_titles(settings) == {"Tuberculose au Sénégal"}

        wait_for(copy_stored)

    assert [row["outcome"] for row in submissions(settings)] == ["accepted"]


def test_run_once_ingests_the_files_present_and_returns(tmp_path: Path) -> None:
    settings = load_test_settings(tmp_path, stable_seconds=30)
    inbox = settings.folders[0].path
    drop_workbook(inbox / "aphp" / "projets.xlsx", ["Tuberculose au Sénégal"])
    drop_workbook(inbox / "chu-lyon" / "cooperations.xlsx", ["Paludisme au Mali"])
    drop_workbook(inbox / "sans-acteur.xlsx", ["Projet orphelin"])
    past = time.time() - 120
    for path in inbox.rglob("*.xlsx"):
        os.utime(path, (past, past))

    started = time.monotonic()
    run_bot(settings, once=True)

    assert time.monotonic() - started < 10
    assert current_titles(settings) == {"Tuberculose au Sénégal", "Paludisme au Mali"}
    assert sorted(str(row["actor"]) for row in submissions(settings)) == [
        "aphp",
        "chu-lyon",
    ]


def test_rules_attribution_while_bot_runs(tmp_path: Path) -> None:
    settings = load_test_settings(tmp_path, actor_from="rules")
    inbox = settings.folders[0].path

    with running_bot(settings):
        drop_workbook(inbox / "divers" / "export.xlsx", ["Tuberculose au Sénégal"])

        def stored_for_aphp() -> bool:
            """the file is stored for the actor its rule names"""
            return [row["actor"] for row in submissions(settings)] == ["aphp"]

        wait_for(stored_for_aphp)


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_bot_cleanly(tmp_path: Path, signal_number: int) -> None:
    settings = load_test_settings(tmp_path)
    stderr_path = tmp_path / "stderr.txt"
    command = [
        str(Path(sys.executable).with_name("drcooper")),
        "--config",
        str(settings.path),
        "run",
    ]

    with stderr_path.open("w") as stderr:
        bot = subprocess.Popen(command, stderr=stderr, cwd=tmp_path)
        try:

            def bot_started() -> bool:
                """the bot logged that it started"""
                return "bot started" in stderr_path.read_text()

            wait_for(bot_started, timeout=20)
            bot.send_signal(signal_number)
            return_code = bot.wait(timeout=5)
        finally:
            bot.kill()
            bot.wait()

    log_text = stderr_path.read_text()
    assert return_code == 0, log_text
    assert "bot stopped" in log_text
    assert "Traceback" not in log_text


def test_second_bot_and_reindex_are_refused_while_a_bot_runs(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    settings = load_test_settings(tmp_path)
    config = ["--config", str(settings.path)]

    with running_bot(settings):
        time.sleep(0.5)
        second = CliRunner().invoke(main, [*config, "run", "--once"])
        reindex = CliRunner().invoke(main, [*config, "reindex"])

    assert second.exit_code == 1
    assert "is in use (bot, process" in second.output
    assert reindex.exit_code == 1
    assert "before the reindex" in reindex.output
    # Once the bot has stopped, the warehouse is free again.
    assert CliRunner().invoke(main, [*config, "reindex"]).exit_code == 0


def test_file_archived_but_never_processed_is_taken_at_next_start(
    tmp_path: Path,
) -> None:
    from bot.archive import Archive

    settings = load_test_settings(tmp_path)
    # The bot stopped right after archiving: a receipt, no submission.
    workbook = drop_workbook(tmp_path / "projets.xlsx", ["Rage à Madagascar"])
    Archive(settings.archive).store_file(
        workbook, actor="aphp", source=f"folder:{settings.folders[0].path}"
    )
    assert submissions(settings) == []

    run_bot(settings, once=True)

    [submission] = submissions(settings)
    assert submission["file_name"] == "projets.xlsx"
    assert current_titles(settings) == {"Rage à Madagascar"}

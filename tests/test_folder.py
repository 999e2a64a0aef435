"""The shared-folder source: which files are taken, when, and for which actor."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest

from bot.archive import file_sha256
from bot.config import FolderRule, FolderSource
from bot.folder import Arrival, FolderWatcher, actor_slug, ingest_arrival

from .test_scheduler import drop_workbook, load_test_settings


def poll_until_taken(watcher: FolderWatcher, timeout: float = 5.0) -> list[Arrival]:
    """Poll like the bot does until something is taken or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        arrivals = watcher.poll()
        if arrivals:
            return arrivals
        time.sleep(0.05)
    return []


def age(path: Path, seconds: float) -> None:
    """Make a file look as if it had been written `seconds` ago."""
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_file_still_being_written_is_taken_only_once_stable(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "aphp").mkdir(parents=True)
    target = inbox / "aphp" / "projets.csv"
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=0.4))
    finished = threading.Event()

    # A slow copy: a line every 0.1 s for about 1.2 s.
    def write_slowly() -> None:
        with target.open("w", encoding="utf-8") as stream:
            stream.write("Titre;Pays\n")
            for number in range(12):
                stream.write(f"Projet {number};Sénégal\n")
                stream.flush()
                time.sleep(0.1)
        finished.set()

    writer = threading.Thread(target=write_slowly)
    writer.start()
    arrivals: list[Arrival] = []
    while not arrivals:
        watcher.note(target)
        taken = watcher.poll()
        if taken:
            assert finished.is_set(), "taken while the file was still growing"
            arrivals = taken
        time.sleep(0.05)
    writer.join()

    assert [arrival.path for arrival in arrivals] == [target]
    assert arrivals[0].sha256 == file_sha256(target)
    assert arrivals[0].actor == "aphp"


def test_lock_temporary_hidden_and_other_kinds_are_ignored(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    actor_folder = inbox / "aphp"
    (inbox / "aphp" / ".cache").mkdir(parents=True)
    ignored = [
        "~$projets.xlsx",
        ".~lock.projets.xlsx#",
        "projets.xlsx.tmp",
        "projets.xlsx.part",
        "projets.xlsx.crdownload",
        "projets.xlsx~",
        ".projets.xlsx",
        "notes.txt",
        "projets.pdf",
        ".cache/projets.xlsx",
    ]
    for name in ignored:
        drop_workbook(actor_folder / name, ["Un projet"])
    drop_workbook(actor_folder / "projets.xlsx", ["Un projet"])
    drop_workbook(actor_folder / "export.ods", ["Un projet"])
    watcher = FolderWatcher(
        FolderSource(path=inbox, accept=("xlsx",), stable_seconds=0.1)
    )

    arrivals = watcher.scan_once()

    assert [arrival.file_name for arrival in arrivals] == ["projets.xlsx"]


def test_file_in_folder_root_has_no_actor_and_is_not_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop_workbook(inbox / "projets.xlsx", ["Un projet"])
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=0.1))

    with caplog.at_level(logging.WARNING, logger="bot.folder"):
        arrivals = watcher.scan_once()
        watcher.rescan()
        watcher.poll()

    assert arrivals == []
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1, "warned once per file, not at every rescan"
    assert "projets.xlsx has no actor and is not ingested" in warnings[0]
    assert "sub-folder named after its actor" in warnings[0]


def test_subfolder_name_becomes_the_actor_slug(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    drop_workbook(inbox / "CHU Bordeaux" / "2025" / "projets.xlsx", ["Un projet"])
    drop_workbook(inbox / "Institut_Pasteur" / "projets.xlsx", ["Un projet"])
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=0.1))

    arrivals = watcher.scan_once()

    assert sorted(arrival.actor for arrival in arrivals) == [
        "chu-bordeaux",
        "institut-pasteur",
    ]
    assert actor_slug("Hôpital Européen  Georges-Pompidou") == (
        "hopital-europeen-georges-pompidou"
    )


def test_rules_attribute_a_file_to_the_first_matching_pattern(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = tmp_path / "inbox"
    drop_workbook(inbox / "APHP" / "2025" / "projets.csv", ["Un projet"])
    drop_workbook(inbox / "divers" / "pasteur.csv", ["Un projet"])
    drop_workbook(inbox / "divers" / "inconnu.xlsx", ["Un projet"])
    rules = (
        FolderRule(pattern="aphp/*", actor="aphp"),
        FolderRule(pattern="*.csv", actor="institut-pasteur"),
    )
    watcher = FolderWatcher(
        FolderSource(path=inbox, actor_from="rules", rules=rules, stable_seconds=0.1)
    )

    with caplog.at_level(logging.WARNING, logger="bot.folder"):
        arrivals = watcher.scan_once()

    assert {arrival.path.name: arrival.actor for arrival in arrivals} == {
        "projets.csv": "aphp",
        "pasteur.csv": "institut-pasteur",
    }
    assert any(
        "divers/inconnu.xlsx has no actor" in record.getMessage()
        and "add a rule" in record.getMessage()
        for record in caplog.records
    )


def test_scan_once_takes_settled_files_without_waiting_stable_seconds(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    old_file = drop_workbook(inbox / "aphp" / "projets.xlsx", ["Un projet"])
    age(old_file, 120)
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=60))

    started = time.monotonic()
    arrivals = watcher.scan_once()

    assert [arrival.path for arrival in arrivals] == [old_file]
    assert time.monotonic() - started < 2


def test_scan_once_waits_for_a_fresh_file_to_settle(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    fresh_file = drop_workbook(inbox / "aphp" / "projets.xlsx", ["Un projet"])
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=1.0))

    started = time.monotonic()
    arrivals = watcher.scan_once()

    assert [arrival.path for arrival in arrivals] == [fresh_file]
    assert time.monotonic() - started >= 0.9


def test_unchanged_file_is_handed_over_once_and_a_changed_one_again(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    path = drop_workbook(inbox / "aphp" / "projets.xlsx", ["Un projet"])
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=0.2))
    watcher.rescan()
    first = poll_until_taken(watcher)

    watcher.rescan()
    again = poll_until_taken(watcher, timeout=0.6)
    drop_workbook(path, ["Un projet", "Un autre projet"])
    watcher.rescan()
    changed = poll_until_taken(watcher)

    assert [arrival.path for arrival in first] == [path]
    assert again == []
    assert [arrival.sha256 for arrival in changed] == [file_sha256(path)]
    assert changed[0].sha256 != first[0].sha256


def test_link_leading_out_of_the_folder_is_never_taken(tmp_path: Path) -> None:
    outside = drop_workbook(tmp_path / "private" / "secret.xlsx", ["Secret"])
    age(outside, 120)
    inbox = tmp_path / "inbox"
    (inbox / "aphp").mkdir(parents=True)
    (inbox / "aphp" / "lien.xlsx").symlink_to(outside)
    watcher = FolderWatcher(FolderSource(path=inbox, stable_seconds=0.1))

    assert watcher.scan_once() == []


def test_missing_folder_is_reported_and_does_not_stop_the_scan(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = FolderWatcher(FolderSource(path=tmp_path / "absent"))

    with caplog.at_level(logging.WARNING, logger="bot.folder"):
        arrivals = watcher.scan_once()

    assert arrivals == []
    assert "the folder does not exist or is not mounted" in caplog.text


def test_failed_ingestion_is_logged_and_the_next_file_still_ingested(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.ingest import Ingestor

    settings = load_test_settings(tmp_path)
    good = drop_workbook(settings.folders[0].path / "aphp" / "a.xlsx", ["Un projet"])
    gone = Arrival(
        path=settings.folders[0].path / "aphp" / "parti.xlsx",
        actor="aphp",
        source="folder:test",
        sha256="0" * 64,
    )
    ready = Arrival(
        path=good, actor="aphp", source="folder:test", sha256=file_sha256(good)
    )
    ingestor = Ingestor(settings)

    with caplog.at_level(logging.INFO):
        failed = ingest_arrival(ingestor, gone)
        result = ingest_arrival(ingestor, ready)
    ingestor.warehouse.close()

    assert failed is None
    assert result is not None and result.report.outcome == "accepted"
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1
    assert "parti.xlsx (actor aphp) could not be ingested" in errors[0].getMessage()
    assert f"submission {result.receipt.id} (a.xlsx): accepted" in caplog.text

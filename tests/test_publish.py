"""Publishing: atomic swap of the live site, kept releases, rollback."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from render.exceptions import PublishError
from render.publish import (
    current_release,
    publish,
    releases,
    releases_folder,
    rollback,
    staging_folder,
)
from tests.conftest import write_settings

PAGES = 30


def make_build(live: Path, label: str, pages: int = 3) -> Path:
    """Write a small build in a staging folder: every page carries its label."""
    staging = staging_folder(live)
    for index in range(pages):
        (staging / f"page{index}.html").write_text(label, encoding="utf-8")
    (staging / "index.html").write_text(label, encoding="utf-8")
    return staging


def labels(folder: Path) -> set[str]:
    return {page.read_text(encoding="utf-8") for page in folder.glob("*.html")}


def test_first_publish_creates_a_link_to_the_release(tmp_path: Path) -> None:
    live = tmp_path / "public"

    release = publish(make_build(live, "v1"), live)

    assert live.is_symlink()
    assert live.resolve() == release.resolve()
    assert release.parent == releases_folder(live)
    assert (live / "index.html").read_text(encoding="utf-8") == "v1"
    # The link is relative: the var/ folder can be moved as a whole.
    assert not live.readlink().is_absolute()


def test_new_build_replaces_the_live_one_and_consumes_the_staging(
    tmp_path: Path,
) -> None:
    live = tmp_path / "public"
    publish(make_build(live, "v1"), live)
    staging = make_build(live, "v2")

    publish(staging, live)

    assert labels(live) == {"v2"}
    assert not staging.exists()
    assert len(releases(live)) == 2


def test_reader_always_sees_one_complete_release_while_publishing(
    tmp_path: Path,
) -> None:
    live = tmp_path / "public"
    publish(make_build(live, "v0", PAGES), live)
    stop = threading.Event()
    seen: list[set[str]] = []
    problems: list[str] = []

    def read_continuously() -> None:
        while not stop.is_set():
            if not live.exists():
                problems.append("live missing")
                continue
            # Resolve once, as nginx does per request, then read the release.
            release = live.resolve()
            pages = list(release.glob("*.html"))
            if len(pages) != PAGES + 1:
                problems.append(f"{release.name}: {len(pages)} pages")
            seen.append({page.read_text(encoding="utf-8") for page in pages})

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        for version in range(1, 40):
            publish(make_build(live, f"v{version}", PAGES), live, keep=100)
    finally:
        stop.set()
        reader.join()

    assert problems == []
    assert len(seen) > 10
    assert all(len(release_labels) == 1 for release_labels in seen)
    assert labels(live) == {"v39"}


def test_failed_build_leaves_the_previous_release_live(tmp_path: Path) -> None:
    live = tmp_path / "public"
    first = publish(make_build(live, "v1"), live)

    def failing_build() -> None:
        staging = make_build(live, "half")
        (staging / "page0.html").unlink()
        raise RuntimeError("the renderer crashed")

    with pytest.raises(RuntimeError):
        failing_build()

    assert current_release(live) == first
    assert labels(live) == {"v1"}
    assert releases(live) == [first]


def test_missing_staging_folder_is_refused_and_live_unchanged(tmp_path: Path) -> None:
    live = tmp_path / "public"
    first = publish(make_build(live, "v1"), live)

    with pytest.raises(PublishError, match="n'existe pas"):
        publish(tmp_path / "nowhere", live)

    assert current_release(live) == first


def test_staging_inside_the_live_site_is_refused(tmp_path: Path) -> None:
    live = tmp_path / "public"
    publish(make_build(live, "v1"), live)
    inside = live / "nested"
    inside.mkdir()

    with pytest.raises(PublishError, match="jamais dedans"):
        publish(inside, live)


def test_only_the_last_releases_are_kept(tmp_path: Path) -> None:
    live = tmp_path / "public"
    published = [publish(make_build(live, f"v{n}"), live, keep=3) for n in range(6)]

    assert releases(live) == published[-3:]
    assert labels(live) == {"v5"}


def test_rollback_points_live_to_the_previous_release(tmp_path: Path) -> None:
    live = tmp_path / "public"
    first = publish(make_build(live, "v1"), live)
    second = publish(make_build(live, "v2"), live)
    publish(make_build(live, "v3"), live)

    assert rollback(live) == second
    assert labels(live) == {"v2"}
    assert rollback(live) == first
    assert labels(live) == {"v1"}
    with pytest.raises(PublishError, match="Aucune version antérieure"):
        rollback(live)
    assert labels(live) == {"v1"}


def test_rollback_before_any_publish_says_so(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="jamais été publié"):
        rollback(tmp_path / "public")


def test_publish_after_a_rollback_goes_live_and_keeps_the_newest(
    tmp_path: Path,
) -> None:
    live = tmp_path / "public"
    published = [publish(make_build(live, f"v{n}"), live, keep=3) for n in range(3)]
    rollback(live)
    rollback(live)

    newest = publish(make_build(live, "v3"), live, keep=3)

    assert labels(live) == {"v3"}
    assert releases(live) == [*published[1:], newest]


def test_first_publish_over_an_existing_folder_keeps_it_as_a_release(
    tmp_path: Path,
) -> None:
    live = tmp_path / "public"
    live.mkdir()
    (live / "index.html").write_text("hand-made", encoding="utf-8")

    publish(make_build(live, "v1"), live)

    assert live.is_symlink()
    assert labels(live) == {"v1"}
    assert rollback(live).joinpath("index.html").read_text() == "hand-made"


def test_staging_on_another_folder_is_copied_then_removed(tmp_path: Path) -> None:
    live = tmp_path / "site" / "public"
    staging = tmp_path / "elsewhere"
    staging.mkdir()
    (staging / "index.html").write_text("v1", encoding="utf-8")

    release = publish(staging, live)

    assert not staging.exists()
    assert labels(live) == {"v1"}
    assert release.parent == releases_folder(live)


def test_rollback_command_restores_both_builds(tmp_path: Path) -> None:
    config = write_settings(tmp_path)
    for name in ("public", "restricted"):
        live = tmp_path / "var" / name
        publish(make_build(live, f"{name}-1"), live)
        publish(make_build(live, f"{name}-2"), live)

    result = CliRunner().invoke(main, ["--config", str(config), "rollback"])

    assert result.exit_code == 0, result.output
    assert "Site public : version" in result.output
    assert labels(tmp_path / "var" / "public") == {"public-1"}
    assert labels(tmp_path / "var" / "restricted") == {"restricted-1"}


def test_rollback_command_of_one_build_without_history_fails_clearly(
    tmp_path: Path,
) -> None:
    config = write_settings(tmp_path)
    live = tmp_path / "var" / "public"
    publish(make_build(live, "public-1"), live)
    publish(make_build(live, "public-2"), live)

    result = CliRunner().invoke(
        main, ["--config", str(config), "rollback", "--restricted"]
    )

    assert result.exit_code == 1
    assert "Version restreinte" in result.output
    assert "jamais été publié" in result.output
    assert labels(live) == {"public-2"}

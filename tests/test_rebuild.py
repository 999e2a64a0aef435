"""The bot keeps the sites current: one rebuild once the warehouse is quiet."""

from __future__ import annotations

import time
from pathlib import Path

from bot.config import load_settings
from bot.rebuild import SiteRebuilder

from .test_scheduler import drop_workbook, load_test_settings, running_bot, wait_for


class Clock:
    """A clock the test moves by hand, to check the quiet time exactly."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rebuild_waits_until_the_warehouse_has_been_quiet(tmp_path: Path):
    (tmp_path / "inbox_rules.yaml").write_text("publish: {rebuild_after_seconds: 30}\n")
    clock = Clock()
    rebuilder = SiteRebuilder(load_settings(tmp_path / "inbox_rules.yaml"), clock=clock)

    assert not rebuilder.due()
    rebuilder.changed()
    clock.now = 20
    rebuilder.changed()  # a second file of the same burst
    clock.now = 45
    assert not rebuilder.due()
    clock.now = 50
    assert rebuilder.due()


def test_running_bot_publishes_both_sites_after_a_new_workbook(tmp_path: Path):
    settings = load_test_settings(tmp_path)
    rules = settings.path.read_text(encoding="utf-8")
    settings.path.write_text(
        rules + "publish:\n  rebuild_after_seconds: 0.5\n", encoding="utf-8"
    )
    settings = load_settings(settings.path)
    inbox = settings.folders[0].path

    with running_bot(settings):
        time.sleep(0.5)
        drop_workbook(inbox / "aphp" / "projets.xlsx", ["Dengue au Viêt Nam"])

        def published() -> bool:
            """the project page is in both live sites"""
            return all(
                (build / "projets" / "dengue-au-viet-nam" / "index.html").exists()
                for build in (settings.public_build, settings.restricted_build)
            )

        wait_for(published, timeout=60)

    page = settings.public_build / "projets" / "dengue-au-viet-nam" / "index.html"
    assert "Dengue au Viêt Nam" in page.read_text(encoding="utf-8")


def test_failed_rebuild_leaves_the_live_site_and_is_not_retried_in_a_loop(
    tmp_path: Path,
):
    (tmp_path / "inbox_rules.yaml").write_text("publish: {rebuild_after_seconds: 0}\n")
    settings = load_settings(tmp_path / "inbox_rules.yaml")
    rebuilder = SiteRebuilder(settings)
    rebuilder.changed()
    # The public build's place holds a file: publishing there must fail.
    settings.public_build.parent.mkdir(parents=True)
    settings.public_build.write_text("not a folder nor a link")

    assert rebuilder.rebuild("a test") is False
    assert not rebuilder.due()
    assert settings.public_build.read_text() == "not a folder nor a link"

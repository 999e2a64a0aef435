"""Keeping the sites current: rebuild after the warehouse changes, and nightly.

The bot's ingesting thread says when a submission was stored (`changed`); a
scheduler job asks `due()` every second and, once the warehouse has been quiet
for `publish.rebuild_after_seconds`, rebuilds the public then the restricted
build. A burst of files therefore gives one rebuild, not one per file. The
nightly rebuild refreshes what depends on the date alone: statuses (a planned
project becomes ongoing) and the actors not updated for six months.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from bot.config import Settings
from bot.exceptions import DrCooperError

log = logging.getLogger(__name__)


class SiteRebuilder:
    """Rebuilds both sites once the warehouse has settled after a change."""

    def __init__(
        self, settings: Settings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._changed_at: float | None = None

    def changed(self) -> None:
        """Note that the warehouse changed (called by the ingesting thread)."""
        with self._lock:
            self._changed_at = self.clock()

    def due(self) -> bool:
        """Tell whether a change has been quiet long enough to rebuild."""
        with self._lock:
            if self._changed_at is None:
                return False
            quiet = self.clock() - self._changed_at
            return quiet >= self.settings.publish.rebuild_after_seconds

    def rebuild_if_due(self) -> None:
        if self.due():
            self.rebuild("the warehouse changed")

    def rebuild(self, reason: str) -> bool:
        """Build and publish both sites; return whether both were published.

        A failure (a leak found, a build error) is logged and leaves the live
        sites as they were; the next change or the nightly run tries again.
        """
        # Imported here: the renderer pulls MkDocs, needed only when building.
        from render.build import build_site

        with self._lock:
            noted = self._changed_at
        started = time.perf_counter()
        log.info("sites: rebuilding because %s", reason)
        try:
            for visibility in ("public", "restricted"):
                build_site(self.settings, visibility, today=dt.date.today())
        except DrCooperError as err:
            log.error("sites: not published, the live sites stay as they were: %s", err)
            self._forget(noted)
            return False
        except Exception:
            log.exception("sites: the rebuild failed, the live sites stay as they were")
            self._forget(noted)
            return False
        self._forget(noted)
        log.info("sites: both published in %.1f s", time.perf_counter() - started)
        return True

    def _forget(self, noted: float | None) -> None:
        # A change noted while building needs a build of its own.
        with self._lock:
            if self._changed_at == noted:
                self._changed_at = None

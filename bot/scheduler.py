"""The bot's loop: sources polled on a schedule, files ingested one at a time.

Who runs where::

    watchdog observer    file events            -> FolderWatcher.note
    APScheduler thread   every second           -> source.poll() -> arrivals queue
                         every rescan_minutes   -> FolderWatcher.rescan
    the caller's thread  owns the Ingestor      <- arrivals queue, one at a time

The Ingestor's SQLite connection belongs to the thread that opened it, so only
the caller's thread ingests. A source is anything with a `name` and a `poll()`
returning the files ready to ingest; the shared folders are the first.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from watchdog.observers import Observer

from bot.config import Settings
from bot.folder import Arrival, FolderWatcher, ingest_arrival
from bot.ingest import Ingestor

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# How long the ingesting thread waits for an arrival before checking for a stop.
QUEUE_WAIT_SECONDS = 0.2


class Source(Protocol):
    """Somewhere files arrive from, polled every `POLL_SECONDS`."""

    @property
    def name(self) -> str: ...

    def poll(self) -> list[Arrival]: ...


def run_bot(
    settings: Settings, *, once: bool = False, stop_event: threading.Event | None = None
) -> None:
    """Collect and ingest files until stopped, or make a single pass with `once`.

    In the main thread, SIGTERM and SIGINT stop the bot cleanly; elsewhere, set
    `stop_event`.
    """
    stop = stop_event or threading.Event()
    ingestor = Ingestor(settings)
    watchers = [FolderWatcher(folder) for folder in settings.folders]
    if not watchers:
        log.warning("bot: no folder in inbox_rules.yaml (folders), nothing to collect")
    try:
        if once:
            _run_once(ingestor, watchers)
        else:
            with _stop_on_signals(stop):
                _run_until_stopped(ingestor, watchers, settings.rescan_minutes, stop)
    finally:
        ingestor.warehouse.close()
        log.info("bot stopped")


def _run_once(ingestor: Ingestor, watchers: list[FolderWatcher]) -> None:
    started = time.perf_counter()
    taken = 0
    for watcher in watchers:
        for arrival in watcher.scan_once():
            taken += ingest_arrival(ingestor, arrival) is not None
    log.info(
        "bot: single pass over %d folders, %d files ingested in %.1f s",
        len(watchers),
        taken,
        time.perf_counter() - started,
    )


def _run_until_stopped(
    ingestor: Ingestor,
    watchers: list[FolderWatcher],
    rescan_minutes: float,
    stop: threading.Event,
) -> None:
    arrivals: queue.Queue[Arrival] = queue.Queue()
    sources: list[Source] = list(watchers)

    def poll_sources() -> None:
        for source in sources:
            try:
                for arrival in source.poll():
                    arrivals.put(arrival)
            except Exception:
                log.exception("%s: poll failed", source.name)

    def rescan_folders() -> None:
        for watcher in watchers:
            try:
                watcher.rescan()
            except Exception:
                log.exception("%s: rescan failed", watcher.name)

    # Events for speed, the rescan for shares that send none; the first rescan
    # picks up what arrived while the bot was down.
    observer = Observer()
    watched = sum(watcher.observe(observer) for watcher in watchers)
    rescan_folders()
    _quiet_scheduler_log()
    scheduler = BackgroundScheduler(
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    )
    scheduler.add_job(poll_sources, "interval", seconds=POLL_SECONDS, id="poll")
    scheduler.add_job(
        rescan_folders, "interval", minutes=rescan_minutes, id="rescan-folders"
    )
    try:
        observer.start()
        scheduler.start()
        log.info(
            "bot started: %d folders (%d with change events), rescan every %s min",
            len(watchers),
            watched,
            rescan_minutes,
        )
        while not stop.is_set():
            try:
                arrival = arrivals.get(timeout=QUEUE_WAIT_SECONDS)
            except queue.Empty:
                continue
            ingest_arrival(ingestor, arrival)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        if observer.is_alive():
            observer.stop()
            observer.join()


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set `stop` on SIGTERM and SIGINT while in the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signal_number: int, _frame: FrameType | None) -> None:
        # Only set the event here: the loop logs and cleans up in its own time.
        stop.set()

    previous = {
        number: signal.signal(number, request_stop)
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _quiet_scheduler_log() -> None:
    # APScheduler logs every run of every job at info level: once a second
    # here. Its errors still come through, unless someone chose a level.
    scheduler_log = logging.getLogger("apscheduler")
    if scheduler_log.level == logging.NOTSET:
        scheduler_log.setLevel(logging.ERROR)

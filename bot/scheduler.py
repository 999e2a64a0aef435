"""The bot's loop: sources polled on a schedule, files ingested one at a time.

Who runs where::

    watchdog observer    file events            -> FolderWatcher.note
    APScheduler thread   every second           -> source.poll() -> arrivals queue
                         every rescan_minutes   -> FolderWatcher.rescan
                         every second           -> a due MailboxSource's cycle
                                                   -> arrivals queue
                         every minute           -> reply retries -> arrivals queue
                         every second           -> SiteRebuilder: build both sites
                                                   once the warehouse is quiet
                         nightly                -> SiteRebuilder: build both sites
                         every 5 seconds        -> synonyms changed? replay the
                                                   archive -> arrivals queue
    the caller's thread  owns the Ingestor      <- arrivals queue, one at a time

The Ingestor's SQLite connection belongs to the thread that opened it, so only
the caller's thread ingests. A source is anything with a `name` and a `poll()`
returning the files ready to ingest; the shared folders are the first. A
mailbox cycle needs the warehouse at every step, so the whole cycle is queued
as a job and run by the caller's thread; at most one per account is queued.
"""

from __future__ import annotations

import functools
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from watchdog.observers import Observer

from bot.config import Settings
from bot.folder import Arrival, FolderWatcher, ingest_arrival
from bot.ingest import Ingestor
from bot.mailbox import MailboxSource, send_replies
from bot.rebuild import SiteRebuilder
from bot.replay import replay_with_new_synonyms, synonyms_fingerprint
from bot.warehouse import exclusive_use

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# How long the ingesting thread waits for an arrival before checking for a stop.
QUEUE_WAIT_SECONDS = 0.2
REPLY_RETRY_SECONDS = 60.0
SYNONYMS_CHECK_SECONDS = 5.0

# What the ingesting thread is handed: a file, or a job needing the Ingestor.
Work = Arrival | Callable[[Ingestor], object]


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
    with exclusive_use(settings.warehouse, "bot"):
        _run_bot(settings, once=once, stop_event=stop_event)


def _run_bot(
    settings: Settings, *, once: bool, stop_event: threading.Event | None
) -> None:
    stop = stop_event or threading.Event()
    ingestor = Ingestor(settings)
    watchers = [FolderWatcher(folder) for folder in settings.folders]
    mailboxes = [MailboxSource(account, settings) for account in settings.mailboxes]
    if not watchers and not mailboxes:
        log.warning(
            "bot: no folder nor mailbox in inbox_rules.yaml (folders, mailboxes), "
            "nothing to collect"
        )
    try:
        ingestor.process_pending()
        if once:
            _run_once(ingestor, watchers, mailboxes)
        else:
            with _stop_on_signals(stop):
                _run_until_stopped(ingestor, watchers, mailboxes, settings, stop)
    finally:
        ingestor.warehouse.close()
        log.info("bot stopped")


def _run_once(
    ingestor: Ingestor, watchers: list[FolderWatcher], mailboxes: list[MailboxSource]
) -> None:
    started = time.perf_counter()
    taken = 0
    for watcher in watchers:
        for arrival in watcher.scan_once():
            taken += ingest_arrival(ingestor, arrival) is not None
    messages = sum(mailbox.collect(ingestor) for mailbox in mailboxes)
    log.info(
        "bot: single pass over %d folders and %d mailboxes, %d files and %d "
        "messages taken in %.1f s",
        len(watchers),
        len(mailboxes),
        taken,
        messages,
        time.perf_counter() - started,
    )


def _run_until_stopped(
    ingestor: Ingestor,
    watchers: list[FolderWatcher],
    mailboxes: list[MailboxSource],
    settings: Settings,
    stop: threading.Event,
) -> None:
    loop = _Loop(ingestor, watchers, mailboxes, settings)

    # Events for speed, the rescan for shares that send none; the first rescan
    # picks up what arrived while the bot was down.
    observer = Observer()
    watched = sum(watcher.observe(observer) for watcher in watchers)
    loop.rescan_folders()
    scheduler = loop.scheduler()
    try:
        observer.start()
        scheduler.start()
        log.info(
            "bot started: %d folders (%d with change events), rescan every %s min, "
            "%d mailboxes",
            len(watchers),
            watched,
            settings.rescan_minutes,
            len(mailboxes),
        )
        loop.work(stop)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        if observer.is_alive():
            observer.stop()
            observer.join()


class _Loop:
    """The scheduled jobs, which queue work, and the thread that does it."""

    def __init__(
        self,
        ingestor: Ingestor,
        watchers: list[FolderWatcher],
        mailboxes: list[MailboxSource],
        settings: Settings,
    ) -> None:
        self.ingestor = ingestor
        self.watchers = watchers
        self.mailboxes = mailboxes
        self.settings = settings
        self.sources: list[Source] = list(watchers)
        self.arrivals: queue.Queue[Work] = queue.Queue()
        self.rebuilder = SiteRebuilder(settings)
        self.synonyms_seen = synonyms_fingerprint(settings.synonyms)

    def scheduler(self) -> BackgroundScheduler:
        """Return a scheduler with every periodic job, not yet started."""
        _quiet_scheduler_log()
        scheduler = BackgroundScheduler(
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": 30,
            }
        )
        every = functools.partial(scheduler.add_job, trigger="interval")
        every(self.poll_sources, seconds=POLL_SECONDS, id="poll")
        every(self.rescan_folders, minutes=self.settings.rescan_minutes, id="rescan")
        if self.mailboxes:
            every(
                self.queue_mailboxes,
                seconds=POLL_SECONDS,
                id="mailboxes",
                next_run_time=datetime.now(),
            )
            every(self.queue_replies, seconds=REPLY_RETRY_SECONDS, id="replies")
        every(self.watch_synonyms, seconds=SYNONYMS_CHECK_SECONDS, id="synonyms")

        # Builds read the warehouse through their own connection, in the
        # scheduler's thread: ingestion goes on while a site is built.
        every(self.rebuilder.rebuild_if_due, seconds=POLL_SECONDS, id="rebuild")
        hour, minute = self.settings.publish.nightly_at
        scheduler.add_job(
            self.rebuilder.rebuild,
            "cron",
            hour=hour,
            minute=minute,
            args=["of the nightly run"],
            id="nightly-rebuild",
        )
        return scheduler

    # Jobs of the scheduler's threads: they only queue work.

    def poll_sources(self) -> None:
        for source in self.sources:
            try:
                for arrival in source.poll():
                    self.arrivals.put(arrival)
            except Exception:
                log.exception("%s: poll failed", source.name)

    def rescan_folders(self) -> None:
        for watcher in self.watchers:
            try:
                watcher.rescan()
            except Exception:
                log.exception("%s: rescan failed", watcher.name)

    def queue_mailboxes(self) -> None:
        for mailbox in self.mailboxes:
            if mailbox.due() and not mailbox.pending:
                mailbox.pending = True
                self.arrivals.put(mailbox.collect)

    def queue_replies(self) -> None:
        self.arrivals.put(lambda owner: send_replies(owner.warehouse, self.settings))

    def watch_synonyms(self) -> None:
        fingerprint = synonyms_fingerprint(self.settings.synonyms)
        if fingerprint != self.synonyms_seen:
            self.synonyms_seen = fingerprint
            self.arrivals.put(self.replay_and_rebuild)

    # Work done by the thread that owns the Ingestor.

    def replay_and_rebuild(self, owner: Ingestor) -> None:
        # The replay keeps the submissions but may change every project.
        if replay_with_new_synonyms(owner):
            self.rebuilder.changed()

    def work(self, stop: threading.Event) -> None:
        """Take queued work one item at a time until `stop` is set."""
        # The warehouse is read through the Ingestor: a replay replaces it.
        last_submission = self.ingestor.warehouse.last_submission_id()
        while not stop.is_set():
            try:
                arrival = self.arrivals.get(timeout=QUEUE_WAIT_SECONDS)
            except queue.Empty:
                continue
            if isinstance(arrival, Arrival):
                ingest_arrival(self.ingestor, arrival)
            else:
                _run_job(arrival, self.ingestor)

            # A new submission changes the sites: rebuild once things settle.
            latest = self.ingestor.warehouse.last_submission_id()
            if latest != last_submission:
                last_submission = latest
                self.rebuilder.changed()


def _run_job(job: Callable[[Ingestor], object], ingestor: Ingestor) -> None:
    try:
        job(ingestor)
    except Exception:
        # The jobs log their own faults; this is a last guard for the loop.
        log.exception("bot: a queued job failed")


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

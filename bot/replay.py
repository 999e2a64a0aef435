"""Replaying the archive when the synonyms change.

A better dictionary (a new header synonym, a country alias, a fixed typo)
should apply to every past submission, not only to the next ones: the bot
watches `synonyms/` and, when a file changes, loads the new vocabulary and
rebuilds the warehouse from the archive with it. A dictionary that does not
load is reported and the bot keeps the one it had.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.ingest import Ingestor
from bot.vocabulary import Vocabulary

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def synonyms_fingerprint(directory: Path) -> Fingerprint:
    """Return what changes when any dictionary file is edited, added or removed."""
    files = sorted(directory.glob("*.yaml"))
    return tuple(
        (path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in files
    )


def replay_with_new_synonyms(ingestor: Ingestor) -> bool:
    """Load the dictionaries again and replay the archive; return whether it did."""
    directory = ingestor.settings.synonyms
    try:
        vocabulary = Vocabulary.load(directory)
    except Exception as err:
        # A half-edited file must not stop the bot nor change the warehouse.
        log.error(
            "synonyms %s: not loaded, the previous dictionaries stay in use; "
            "fix the file and save it again: %s",
            directory,
            err,
        )
        return False
    ingestor.vocabulary = vocabulary
    count = ingestor.reindex()
    log.info("synonyms %s: changed, %d submissions replayed", directory, count)
    return True

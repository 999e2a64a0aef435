"""Errors raised while building, checking and publishing the sites.

Library code raises; only the command line and the bot's loop turn these into
messages. The tree::

    DrCooperError                (bot.exceptions)
    └── RenderError              a build cannot be made, checked or published
        ├── LeakFound            the public build holds a confidential value
        ├── PublishError         a build cannot be swapped in or rolled back
        └── AccessError          the restricted build's password file is refused

Messages are whole sentences in French: an administrator reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.exceptions import DrCooperError

if TYPE_CHECKING:
    from render.leakscan import Leak

# How many leaks a LeakFound message lists; the object carries them all.
LISTED_LEAKS = 10


class RenderError(DrCooperError):
    """Base class of the errors of building, checking and publishing."""


class LeakFound(RenderError):
    """The public build contains confidential values: it must not be published."""

    def __init__(self, leaks: Sequence[Leak]) -> None:
        self.leaks = list(leaks)
        lines = [
            f"  - {leak.path}: « {leak.value} » dans « {leak.context} »"
            for leak in self.leaks[:LISTED_LEAKS]
        ]
        if len(self.leaks) > LISTED_LEAKS:
            lines.append(f"  - … et {len(self.leaks) - LISTED_LEAKS} autre(s).")
        super().__init__(
            f"La version publique contient {len(self.leaks)} valeur(s) "
            "confidentielle(s) ; elle n'est pas publiée et le site en ligne reste "
            "inchangé :\n" + "\n".join(lines)
        )


class PublishError(RenderError):
    """A build cannot be published, or there is no release to go back to."""


class AccessError(RenderError):
    """A user or password for the restricted build is refused."""

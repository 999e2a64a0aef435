"""Errors raised by the bot's library code.

Library code raises; only the command line and the bot's loop turn these into
messages. The tree::

    DrCooperError
    ├── ConfigError          inbox_rules.yaml is invalid (carries every problem)
    ├── UnreadableFile       a received file cannot be read at all
    │   ├── FileTooLarge     over the size limit, or a zip bomb
    │   ├── EncryptedFile    password-protected workbook
    │   └── UnsupportedFile  not a spreadsheet we read, or corrupt
    └── WarehouseError       the warehouse cannot be opened or migrated
        └── WarehouseBusy    the bot or a reindex holds the warehouse

An `UnreadableFile` message is a whole sentence in French, meant for the
contributor: it names the file and says what to send instead.
"""

from __future__ import annotations


class DrCooperError(Exception):
    """Base class of every error Dr Cooper raises on purpose."""


class ConfigError(DrCooperError):
    """The settings file holds one or more mistakes, all listed."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} problem(s):\n{listing}")


class UnreadableFile(DrCooperError):
    """A received file cannot be read; the message is for the contributor."""


class FileTooLarge(UnreadableFile):
    """The file, or what it would expand to, is over the configured limit."""


class EncryptedFile(UnreadableFile):
    """The workbook is protected by a password."""


class UnsupportedFile(UnreadableFile):
    """The file is not a spreadsheet we can read, or it is damaged."""


class WarehouseError(DrCooperError):
    """The warehouse cannot be opened, migrated or written."""


class WarehouseBusy(WarehouseError):
    """Another process (the running bot, a reindex) is using the warehouse."""

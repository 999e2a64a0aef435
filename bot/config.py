"""The bot's settings, read from `inbox_rules.yaml` and validated at start.

Every key is declared once in `SETTINGS` with its help text; the README
documents each of them and a test checks that it does. Validation collects
every mistake with its key path and raises one `ConfigError` listing them all.
Relative paths are resolved against the folder that holds the settings file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.exceptions import ConfigError
from bot.model import CONTRIBUTED_FIELDS

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Contacts and amounts are never published unless the settings say otherwise;
# nor are unmapped columns ("extra"): nobody chose to publish them.
DEFAULT_CONFIDENTIAL = ("contact", "funding", "extra")

FILE_KINDS = ("xlsx", "xlsm", "xlsb", "xls", "ods", "csv")
# One-project documents (bot/documents.py); a .doc is taken to answer why not.
DOCUMENT_KINDS = ("docx", "odt", "pdf", "rtf", "txt", "md", "doc")
ALL_KINDS = FILE_KINDS + DOCUMENT_KINDS

# Every key of inbox_rules.yaml, with its help text. `[]` marks a list item.
SETTINGS: dict[str, str] = {
    "warehouse": "SQLite file of the warehouse.",
    "archive": "Folder of the content-addressed archive of every received file.",
    "synonyms": "Folder of the synonyms dictionaries (headers, countries, ...).",
    "builds.public": "Output folder of the public build.",
    "builds.restricted": "Output folder of the restricted build.",
    "confidentiality.always_confidential": (
        "Fields that are confidential whatever the contributor says."
    ),
    "limits.max_file_mb": "Largest file accepted, in megabytes.",
    "limits.max_uncompressed_mb": "Largest size a workbook may expand to, in MB.",
    "limits.max_compression_ratio": "Highest compression ratio of a workbook part.",
    "limits.max_rows": "Most rows read from one file.",
    "schedule.rescan_minutes": "Minutes between two full rescans of the folders.",
    "publish.keep": "Releases of each build kept for `drcooper rollback`.",
    "publish.rebuild_after_seconds": (
        "Quiet time after a change to the warehouse before the bot rebuilds."
    ),
    "publish.nightly_at": "Time of the nightly rebuild of both sites (HH:MM).",
    "site.title": "Title of both sites, shown in every page's header.",
    "site.contact_address": "Address contributors e-mail their files to (Contribuer).",
    "site.shared_folder": "Shared folder contributors drop files in (Contribuer).",
    "site.url": "Public address of the public site (canonical links, sitemap).",
    "access.htpasswd": (
        "Password file of the restricted build's users (outside both builds)."
    ),
    "actors": "Known actors: a map from actor slug to its details.",
    "actors.*.name": "Display name of the actor.",
    "folders": "Shared folders to watch, a list.",
    "folders[].path": "Folder to watch (contributors' files are never moved).",
    "folders[].actor_from": (
        "How a file is attributed: `subfolder` (first sub-folder is the actor "
        "slug) or `rules` (first matching rule)."
    ),
    "folders[].rules": "Ordered attribution rules, used when actor_from is rules.",
    "folders[].rules[].pattern": "Glob on the path relative to the folder.",
    "folders[].rules[].actor": "Actor slug given to a matching file.",
    "folders[].accept": "File kinds taken from this folder.",
    "folders[].stable_seconds": (
        "Seconds a file's size and time must stay unchanged before it is taken."
    ),
    "mailboxes": "IMAP accounts contributors e-mail their files to, a list.",
    "mailboxes[].name": "Short name of the account, used in logs and the warehouse.",
    "mailboxes[].host": "IMAP server name.",
    "mailboxes[].port": "IMAP port (993 with tls, 143 otherwise).",
    "mailboxes[].security": "`tls` (implicit TLS), `starttls` or `plain`.",
    "mailboxes[].user": "Login name on the IMAP server.",
    "mailboxes[].password_env": "Environment variable holding the password.",
    "mailboxes[].password_file": "File holding the password (first line).",
    "mailboxes[].folder": "Folder read for new messages.",
    "mailboxes[].poll_minutes": "Minutes between two looks at the folder.",
    "mailboxes[].processed_folder": "Where a message goes once its files are taken.",
    "mailboxes[].rejected_folder": "Where a message with nothing to take goes.",
    "mailboxes[].quarantine_folder": (
        "Where messages from senders no rule allows, or forged, go."
    ),
    "mailboxes[].authserv_id": (
        "Name your server writes in Authentication-Results; only those count."
    ),
    "mailboxes[].rules": "Ordered rules: who may send, as which actor.",
    "mailboxes[].rules[].senders": "Addresses or domains allowed by the rule.",
    "mailboxes[].rules[].actor": "Actor slug the files of matching messages go to.",
    "mailboxes[].rules[].subjects": (
        "Words one of which the subject must contain (any subject when empty)."
    ),
    "mailboxes[].rules[].accept": "File kinds taken from attachments.",
    "mailboxes[].rules[].max_attachment_mb": "Largest attachment taken, in MB.",
    "mailboxes[].rules[].require": (
        "Checks that must pass in Authentication-Results: `dkim`, `spf`."
    ),
    "smtp": "The server replies are sent through.",
    "smtp.host": "SMTP server name.",
    "smtp.port": "SMTP port (465 with tls, 587 with starttls, 25 with plain).",
    "smtp.security": "`tls`, `starttls` or `plain`.",
    "smtp.user": "Login name on the SMTP server (no login when absent).",
    "smtp.password_env": "Environment variable holding the SMTP password.",
    "smtp.password_file": "File holding the SMTP password (first line).",
    "smtp.from": "Address the replies are sent from.",
}


@dataclass(frozen=True)
class FolderRule:
    pattern: str
    actor: str


@dataclass(frozen=True)
class FolderSource:
    path: Path
    actor_from: str = "subfolder"
    rules: tuple[FolderRule, ...] = ()
    accept: tuple[str, ...] = ALL_KINDS
    stable_seconds: float = 3.0


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 20
    max_uncompressed_mb: float = 200
    max_compression_ratio: float = 100
    max_rows: int = 200_000


SECURITY_MODES = ("tls", "starttls", "plain")
AUTH_CHECKS = ("dkim", "spf")
IMAP_PORTS = {"tls": 993, "starttls": 143, "plain": 143}
SMTP_PORTS = {"tls": 465, "starttls": 587, "plain": 25}
ADDRESS_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_PATTERN = re.compile(r"^@?([a-z0-9-]+\.)+[a-z0-9-]+$")


@dataclass(frozen=True)
class Password:
    """Where a password is read from: never the settings file itself."""

    env: str | None = None
    file: Path | None = None

    def read(self) -> str:
        """Return the password; raise ConfigError saying where it was looked for."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise ConfigError(
                    f"${self.env}", ["the environment variable is not set or empty"]
                )
            return value
        if self.file is not None:
            try:
                lines = self.file.read_text(encoding="utf-8").splitlines()
            except OSError as err:
                raise ConfigError(str(self.file), [f"cannot be read: {err}"]) from err
            if not lines or not lines[0].strip():
                raise ConfigError(str(self.file), ["the password file is empty"])
            return lines[0].strip()
        return ""


@dataclass(frozen=True)
class MailRule:
    senders: tuple[str, ...]
    actor: str
    subjects: tuple[str, ...] = ()
    accept: tuple[str, ...] = ALL_KINDS
    max_attachment_mb: float = 20
    require: tuple[str, ...] = ()


@dataclass(frozen=True)
class MailAccount:
    name: str
    host: str
    port: int
    security: str
    user: str
    password: Password
    rules: tuple[MailRule, ...]
    folder: str = "INBOX"
    poll_minutes: float = 5.0
    processed_folder: str = "Processed"
    rejected_folder: str = "Rejected"
    quarantine_folder: str = "Quarantine"
    authserv_id: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    from_address: str
    user: str | None = None
    password: Password = Password()


@dataclass(frozen=True)
class SiteSettings:
    title: str = "Dr Cooper : la santé mondiale des acteurs français"
    contact_address: str | None = None
    shared_folder: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class PublishSettings:
    keep: int = 5
    rebuild_after_seconds: float = 30.0
    nightly_at: tuple[int, int] = (3, 0)


@dataclass
class Settings:
    path: Path
    warehouse: Path
    archive: Path
    synonyms: Path
    public_build: Path
    restricted_build: Path
    always_confidential: tuple[str, ...] = DEFAULT_CONFIDENTIAL
    limits: Limits = field(default_factory=Limits)
    rescan_minutes: float = 5.0
    publish: PublishSettings = field(default_factory=PublishSettings)
    htpasswd: Path = Path("var/restricted.htpasswd")
    actors: dict[str, str] = field(default_factory=dict)
    folders: list[FolderSource] = field(default_factory=list)
    mailboxes: list[MailAccount] = field(default_factory=list)
    smtp: SmtpSettings | None = None
    site: SiteSettings = field(default_factory=SiteSettings)


class _Checker:
    """Collects mistakes with their key paths while reading the YAML tree."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping")
            return {}
        return value

    def unknown_keys(self, value: dict[str, Any], key: str, allowed: set[str]) -> None:
        for name in sorted(set(value) - allowed):
            self.fail(f"{key}.{name}" if key else name, "unknown setting")

    def number(self, value: Any, key: str, default: float, minimum: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, not {value!r}")
            return default
        if value < minimum:
            self.fail(key, f"must be at least {minimum}")
            return default
        return float(value)

    def text(self, value: Any, key: str, default: str | None = None) -> str:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be a non-empty text")
            return default or ""
        return value

    def slug(self, value: Any, key: str) -> str:
        slug = self.text(value, key)
        if slug and not SLUG_PATTERN.match(slug):
            self.fail(key, f"{slug!r} is not a slug (lowercase letters, digits, -)")
        return slug


def _top_level_keys() -> set[str]:
    return {key.split(".")[0].split("[")[0] for key in SETTINGS}


def load_settings(path: Path) -> Settings:
    """Read and validate `inbox_rules.yaml`; raise ConfigError listing every mistake."""
    path = path.resolve()
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(str(path), [f"cannot be read: {err}"]) from err
    except yaml.YAMLError as err:
        raise ConfigError(str(path), [f"is not valid YAML: {err}"]) from err

    check = _Checker()
    tree = check.mapping(tree, "(top level)")
    check.unknown_keys(tree, "", _top_level_keys())
    base = path.parent

    def folder_path(key: str, default: str) -> Path:
        return base / check.text(tree.get(key), key, default)

    builds = check.mapping(tree.get("builds"), "builds")
    check.unknown_keys(builds, "builds", {"public", "restricted"})
    public = base / check.text(builds.get("public"), "builds.public", "var/public")
    restricted = base / check.text(
        builds.get("restricted"), "builds.restricted", "var/restricted"
    )
    if public.resolve().is_relative_to(
        restricted.resolve()
    ) or restricted.resolve().is_relative_to(public.resolve()):
        check.fail("builds", "the public and restricted builds must not nest")

    settings = Settings(
        path=path,
        warehouse=folder_path("warehouse", "var/warehouse.sqlite3"),
        archive=folder_path("archive", "var/archive"),
        synonyms=folder_path("synonyms", "synonyms"),
        public_build=public,
        restricted_build=restricted,
        always_confidential=_read_confidentiality(check, tree),
        limits=_read_limits(check, tree),
        rescan_minutes=_read_schedule(check, tree),
        actors=_read_actors(check, tree),
    )
    settings.publish = _read_publish(check, tree)
    settings.htpasswd = _read_access(check, tree, base, public, restricted)
    settings.folders = _read_folders(check, tree, base, settings.actors)
    settings.mailboxes = _read_mailboxes(check, tree, base, settings.limits)
    settings.smtp = _read_smtp(check, tree, base)
    settings.site = _read_site(check, tree)

    if check.problems:
        raise ConfigError(str(path), check.problems)
    return settings


def _read_confidentiality(check: _Checker, tree: dict[str, Any]) -> tuple[str, ...]:
    section = check.mapping(tree.get("confidentiality"), "confidentiality")
    check.unknown_keys(section, "confidentiality", {"always_confidential"})
    names = section.get("always_confidential", list(DEFAULT_CONFIDENTIAL))
    key = "confidentiality.always_confidential"
    if not isinstance(names, list):
        check.fail(key, "must be a list of field names")
        return DEFAULT_CONFIDENTIAL
    for name in names:
        known = name in CONTRIBUTED_FIELDS or name == "extra"
        if not known or name in ("title", "confidential"):
            check.fail(key, f"{name!r} is not a field that can be confidential")
    return tuple(str(name) for name in names)


def _read_limits(check: _Checker, tree: dict[str, Any]) -> Limits:
    section = check.mapping(tree.get("limits"), "limits")
    defaults = Limits()
    check.unknown_keys(section, "limits", set(vars(defaults)))
    values: dict[str, Any] = {
        name: check.number(section.get(name), f"limits.{name}", default, 1)
        for name, default in vars(defaults).items()
    }
    values["max_rows"] = int(values["max_rows"])
    return Limits(**values)


def _read_schedule(check: _Checker, tree: dict[str, Any]) -> float:
    section = check.mapping(tree.get("schedule"), "schedule")
    check.unknown_keys(section, "schedule", {"rescan_minutes"})
    return check.number(
        section.get("rescan_minutes"), "schedule.rescan_minutes", 5, 0.1
    )


NIGHTLY_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _read_publish(check: _Checker, tree: dict[str, Any]) -> PublishSettings:
    section = check.mapping(tree.get("publish"), "publish")
    check.unknown_keys(
        section, "publish", {"keep", "rebuild_after_seconds", "nightly_at"}
    )
    keep = check.number(section.get("keep"), "publish.keep", 5, 1)
    if not float(keep).is_integer():
        check.fail("publish.keep", "must be a whole number")
    after = check.number(
        section.get("rebuild_after_seconds"), "publish.rebuild_after_seconds", 30, 0
    )
    nightly = str(section.get("nightly_at", "03:00"))
    match = NIGHTLY_PATTERN.match(nightly)
    if match is None:
        check.fail("publish.nightly_at", f"{nightly!r} is not a time like 03:00")
    hour, minute = (int(match[1]), int(match[2])) if match else (3, 0)
    return PublishSettings(int(keep), after, (hour, minute))


def _read_site(check: _Checker, tree: dict[str, Any]) -> SiteSettings:
    section = check.mapping(tree.get("site"), "site")
    names = {"title", "contact_address", "shared_folder", "url"}
    check.unknown_keys(section, "site", names)
    values = {
        name: check.text(section[name], f"site.{name}")
        for name in names
        if section.get(name) is not None
    }
    address = values.get("contact_address")
    if address and not ADDRESS_PATTERN.match(address):
        check.fail("site.contact_address", f"{address!r} is not an e-mail address")
    url = values.get("url")
    if url and not url.startswith(("https://", "http://")):
        check.fail("site.url", "must start with https:// or http://")
    return SiteSettings(**values)


def _read_access(
    check: _Checker, tree: dict[str, Any], base: Path, *builds: Path
) -> Path:
    section = check.mapping(tree.get("access"), "access")
    check.unknown_keys(section, "access", {"htpasswd"})
    key = "access.htpasswd"
    htpasswd = base / check.text(
        section.get("htpasswd"), key, "var/restricted.htpasswd"
    )
    # Inside a build, the password hashes would be downloadable.
    for build in builds:
        if htpasswd.resolve().is_relative_to(build.resolve()):
            check.fail(key, f"must be outside the build folder {build}")
    return htpasswd


def _read_actors(check: _Checker, tree: dict[str, Any]) -> dict[str, str]:
    section = check.mapping(tree.get("actors"), "actors")
    actors: dict[str, str] = {}
    for slug, details in section.items():
        key = f"actors.{slug}"
        check.slug(slug, key)
        details = check.mapping(details, key)
        check.unknown_keys(details, key, {"name"})
        actors[slug] = check.text(details.get("name"), f"{key}.name", slug)
    return actors


def _read_folders(
    check: _Checker, tree: dict[str, Any], base: Path, actors: dict[str, str]
) -> list[FolderSource]:
    entries = tree.get("folders") or []
    if not isinstance(entries, list):
        check.fail("folders", "must be a list")
        return []
    allowed = {"path", "actor_from", "rules", "accept", "stable_seconds"}
    folders = []
    for index, entry in enumerate(entries):
        key = f"folders[{index}]"
        entry = check.mapping(entry, key)
        check.unknown_keys(entry, key, allowed)
        actor_from = entry.get("actor_from", "subfolder")
        if actor_from not in ("subfolder", "rules"):
            check.fail(f"{key}.actor_from", "must be `subfolder` or `rules`")
        rules = _read_folder_rules(check, entry.get("rules"), key, actors)
        if actor_from == "rules" and not rules:
            check.fail(f"{key}.rules", "at least one rule is needed with `rules`")
        accept = entry.get("accept", list(ALL_KINDS))
        if not isinstance(accept, list) or not set(accept) <= set(ALL_KINDS):
            check.fail(f"{key}.accept", f"must be a list among {', '.join(ALL_KINDS)}")
            accept = list(ALL_KINDS)
        folders.append(
            FolderSource(
                path=base / check.text(entry.get("path"), f"{key}.path"),
                actor_from=str(actor_from),
                rules=rules,
                accept=tuple(accept),
                stable_seconds=check.number(
                    entry.get("stable_seconds"), f"{key}.stable_seconds", 3, 0
                ),
            )
        )
    return folders


def _read_folder_rules(
    check: _Checker, entries: Any, key: str, actors: dict[str, str]
) -> tuple[FolderRule, ...]:
    if entries is None:
        return ()
    if not isinstance(entries, list):
        check.fail(f"{key}.rules", "must be a list")
        return ()
    rules = []
    for index, entry in enumerate(entries):
        rule_key = f"{key}.rules[{index}]"
        entry = check.mapping(entry, rule_key)
        check.unknown_keys(entry, rule_key, {"pattern", "actor"})
        pattern = check.text(entry.get("pattern"), f"{rule_key}.pattern")
        actor = check.slug(entry.get("actor"), f"{rule_key}.actor")
        rules.append(FolderRule(pattern=pattern, actor=actor))
    return tuple(rules)


def _read_password(
    check: _Checker, entry: dict[str, Any], key: str, base: Path, *, required: bool
) -> Password:
    if "password" in entry:
        check.fail(
            f"{key}.password",
            "a password is never written here: name an environment variable "
            "(password_env) or a file (password_file)",
        )
    env, file = entry.get("password_env"), entry.get("password_file")
    if env is not None and file is not None:
        check.fail(key, "give password_env or password_file, not both")
    if env is not None:
        return Password(env=check.text(env, f"{key}.password_env"))
    if file is not None:
        return Password(file=base / check.text(file, f"{key}.password_file"))
    if required:
        check.fail(f"{key}.password_env", "password_env or password_file is required")
    return Password()


def _read_security(
    check: _Checker,
    entry: dict[str, Any],
    key: str,
    default: str,
    ports: dict[str, int],
) -> tuple[str, int]:
    security = entry.get("security", default)
    if security not in SECURITY_MODES:
        check.fail(f"{key}.security", f"must be one of {', '.join(SECURITY_MODES)}")
        security = default
    port = float(check.number(entry.get("port"), f"{key}.port", ports[security], 1))
    if port > 65535 or not port.is_integer():
        check.fail(f"{key}.port", "must be a whole number up to 65535")
    return str(security), int(port)


def _read_texts(check: _Checker, value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        check.fail(key, "must be a list of texts")
        return ()
    return tuple(item.strip() for item in value)


def _read_mailboxes(
    check: _Checker, tree: dict[str, Any], base: Path, limits: Limits
) -> list[MailAccount]:
    entries = tree.get("mailboxes") or []
    if not isinstance(entries, list):
        check.fail("mailboxes", "must be a list")
        return []
    allowed = {
        key.removeprefix("mailboxes[].")
        for key in SETTINGS
        if key.startswith("mailboxes[].")
        and "." not in key.removeprefix("mailboxes[].")
    }
    accounts, names = [], set()
    for index, entry in enumerate(entries):
        key = f"mailboxes[{index}]"
        entry = check.mapping(entry, key)
        check.unknown_keys(entry, key, allowed | {"password"})
        host = check.text(entry.get("host"), f"{key}.host")
        user = check.text(entry.get("user"), f"{key}.user")
        name = check.text(entry.get("name"), f"{key}.name", f"{user}@{host}")
        if name in names:
            check.fail(f"{key}.name", f"{name!r} names two accounts")
        names.add(name)
        security, port = _read_security(check, entry, key, "tls", IMAP_PORTS)
        folders = {
            setting: check.text(entry.get(setting), f"{key}.{setting}", default)
            for setting, default in (
                ("folder", "INBOX"),
                ("processed_folder", "Processed"),
                ("rejected_folder", "Rejected"),
                ("quarantine_folder", "Quarantine"),
            )
        }
        if len(set(folders.values())) < len(folders):
            check.fail(
                key,
                "the read, processed, rejected and quarantine folders must all differ",
            )
        authserv_id = entry.get("authserv_id")
        rules = _read_mail_rules(check, entry.get("rules"), key, limits)
        accounts.append(
            MailAccount(
                name=name,
                host=host,
                port=port,
                security=security,
                user=user,
                password=_read_password(check, entry, key, base, required=True),
                rules=rules,
                poll_minutes=check.number(
                    entry.get("poll_minutes"), f"{key}.poll_minutes", 5, 0.01
                ),
                authserv_id=(
                    check.text(authserv_id, f"{key}.authserv_id")
                    if authserv_id is not None
                    else None
                ),
                **folders,
            )
        )
    return accounts


def _read_mail_rules(
    check: _Checker, entries: Any, key: str, limits: Limits
) -> tuple[MailRule, ...]:
    if not isinstance(entries, list) or not entries:
        check.fail(f"{key}.rules", "at least one rule is needed: who may send")
        return ()
    rules = []
    for index, entry in enumerate(entries):
        rule_key = f"{key}.rules[{index}]"
        entry = check.mapping(entry, rule_key)
        check.unknown_keys(
            entry,
            rule_key,
            {"senders", "actor", "subjects", "accept", "max_attachment_mb", "require"},
        )
        senders = tuple(
            sender.casefold()
            for sender in _read_texts(
                check, entry.get("senders"), f"{rule_key}.senders"
            )
        )
        if not senders:
            check.fail(f"{rule_key}.senders", "list at least one address or domain")
        for sender in senders:
            if not ADDRESS_PATTERN.match(sender) and not DOMAIN_PATTERN.match(sender):
                check.fail(
                    f"{rule_key}.senders",
                    f"{sender!r} is neither an address nor a domain",
                )
        accept = entry.get("accept", list(ALL_KINDS))
        if not isinstance(accept, list) or not set(accept) <= set(ALL_KINDS):
            check.fail(
                f"{rule_key}.accept", f"must be a list among {', '.join(ALL_KINDS)}"
            )
            accept = list(ALL_KINDS)
        require = _read_texts(check, entry.get("require"), f"{rule_key}.require")
        if not set(require) <= set(AUTH_CHECKS):
            check.fail(
                f"{rule_key}.require", f"must be a list among {', '.join(AUTH_CHECKS)}"
            )
        rules.append(
            MailRule(
                senders=senders,
                actor=check.slug(entry.get("actor"), f"{rule_key}.actor"),
                subjects=_read_texts(
                    check, entry.get("subjects"), f"{rule_key}.subjects"
                ),
                accept=tuple(accept),
                max_attachment_mb=check.number(
                    entry.get("max_attachment_mb"),
                    f"{rule_key}.max_attachment_mb",
                    limits.max_file_mb,
                    0.001,
                ),
                require=tuple(name for name in require if name in AUTH_CHECKS),
            )
        )
    return tuple(rules)


def _read_smtp(
    check: _Checker, tree: dict[str, Any], base: Path
) -> SmtpSettings | None:
    if tree.get("smtp") is None:
        return None
    section = check.mapping(tree.get("smtp"), "smtp")
    allowed = {key.removeprefix("smtp.") for key in SETTINGS if key.startswith("smtp.")}
    check.unknown_keys(section, "smtp", allowed | {"password"})
    security, port = _read_security(check, section, "smtp", "starttls", SMTP_PORTS)
    from_address = check.text(section.get("from"), "smtp.from")
    if from_address and not ADDRESS_PATTERN.match(from_address):
        check.fail("smtp.from", f"{from_address!r} is not an e-mail address")
    user = section.get("user")
    return SmtpSettings(
        host=check.text(section.get("host"), "smtp.host"),
        port=port,
        security=security,
        from_address=from_address,
        user=check.text(user, "smtp.user") if user is not None else None,
        password=_read_password(
            check, section, "smtp", base, required=user is not None
        ),
    )

"""The leak scan: no confidential value may be in the public build.

After the public build is written and before it is published, every file it
holds is searched for every confidential value of the warehouse. Files are
read as a browser or a spreadsheet would get them: gzip files (the sitemap,
Pagefind's index, fragments and filters) are decompressed and Pagefind's
`pagefind_dcd` signature is stripped; zip files (XLSX) are opened and each of
their parts searched. Each text is searched as it is, HTML-unescaped,
JSON-unescaped and URL-decoded, so `&eacute;`, `&#39;` and `\\u00e9` forms of a
value are found too. Matching ignores case, treats any run of white space
(including no-break spaces) as one space and both apostrophes (' and ’) alike.

Which values are secret (`confidential_values`): every text of a
confidential project (title, id, description, contact, url, funders,
keywords, partner names, unmapped columns, funding) and the value of every
field marked confidential in a public project, long texts also cut into
sentences so that a quoted excerpt is caught. A value is dropped when the
public projects themselves show it (a partner or a keyword shared with a
public project is no secret), and when it is too short or too generic to
mean anything: fewer than `MIN_LENGTH` characters, or a single word shorter
than `MIN_WORD_LENGTH`.

# Limitation: the scan finds values, not facts. Countries, domains, statuses
# and dates are codes shared by many projects and are not searched: a count on
# the map that includes a confidential project, or a country reached only by
# confidential projects, is not detected here; `visible_projects` is the one
# place that prevents those. A value cut by markup (a word in bold inside a
# confidential description) is found only through its other sentences.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
import urllib.parse
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import ahocorasick

from bot.projects import visible_projects

log = logging.getLogger(__name__)

MIN_LENGTH = 5
MIN_WORD_LENGTH = 6
# A sentence of a long text is searched on its own from this length.
MIN_SENTENCE_LENGTH = 24
# Funding below this is too common a number to mean a given project.
MIN_FUNDING = 10_000
# Largest size a compressed part may expand to; the build is ours, this only
# keeps a corrupt file from filling the memory.
MAX_EXPANDED_BYTES = 1 << 30
PAGEFIND_SIGNATURE = b"pagefind_dcd"
CONTEXT_CHARS = 40
# Files where a bare amount (150000) would be project data: exports, data
# for the pages, Pagefind's fragments (JSON once decompressed).
DATA_SUFFIXES = frozenset({".csv", ".json", ".pf_fragment"})

# Fields whose text names or describes a project; countries, domains, status,
# dates and actors are codes or public names (see the limitation above).
TEXT_FIELDS = (
    "id",
    "title",
    "description",
    "contact",
    "url",
    "funders",
    "keywords",
    "partners",
    "extra",
    "funding",
)
SENTENCE_BREAK = re.compile(r"[.!?;:\n\r]\s|[\n\r*_`#|<>\[\]()]+")
APOSTROPHES = "'’ʼ"
# Characters no text file of a build holds: their presence marks binary data.
BINARY_MARKS = frozenset(map(chr, [*range(0, 9), 11, 12, *range(14, 32)]))


@dataclass(frozen=True)
class Leak:
    """A confidential value found in a published file (`part`: inside a zip)."""

    path: Path
    value: str
    context: str
    part: str = ""


def confidential_values(
    projects: list[dict[str, Any]], *, public_texts: Iterable[str] = ()
) -> set[str]:
    """Return every value of the projects that the public build must not show.

    `projects` are the restricted projects (`merged_projects`); `public_texts`
    are other texts known to be public (hand-written pages), whose values are
    no secret either.
    """
    candidates: set[str] = set()
    for project in projects:
        if project["confidential"]:
            names = TEXT_FIELDS
        else:
            names = tuple(project.get("confidential_fields") or ())
        for name in names:
            candidates |= set(_field_values(project, name))
    candidates = {value for value in candidates if _is_specific(value)}

    # Drop what the public projects (or pages) legitimately show.
    public = [
        text
        for project in visible_projects(projects, "public")
        for name, value in project.items()
        for text in _texts(name, value)
    ]
    public.extend(public_texts)
    matcher = _Matcher(candidates)
    shown = {key for text in public for _, _, key in matcher.find(_key(text))}
    secrets = {value for value in candidates if _key(value) not in shown}
    log.info(
        "leak scan: %s confidential values (%s also public, ignored)",
        len(secrets),
        len(candidates) - len(secrets),
    )
    return secrets


def _field_values(project: dict[str, Any], name: str) -> Iterator[str]:
    if name.startswith("extra."):
        value = (project.get("extra") or {}).get(name.removeprefix("extra."))
        yield from _texts("extra", {"": value} if value is not None else {})
        return
    yield from _texts(name, project.get(name))


def _texts(name: str, value: Any) -> Iterator[str]:
    """Yield the searchable texts of one field's value."""
    if value is None or isinstance(value, bool):
        return
    if name == "funding" and isinstance(value, int | float):
        yield from _amounts(value)
    elif name == "partners" and isinstance(value, list):
        for partner in value:
            yield from _texts("", partner.get("name") if partner else None)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts("", item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts("", item)
    else:
        text = " ".join(str(value).split())
        yield text
        if len(text) >= 2 * MIN_SENTENCE_LENGTH:
            for sentence in SENTENCE_BREAK.split(text):
                sentence = sentence.strip(" .,;:!?")
                if len(sentence) >= MIN_SENTENCE_LENGTH and " " in sentence:
                    yield sentence


def _amounts(funding: float) -> Iterator[str]:
    """Yield the ways an amount is written: 150000, 150 000 (any space), 150,000."""
    if funding < MIN_FUNDING:
        return
    if funding != int(funding):
        yield str(funding)
        yield str(funding).replace(".", ",")
    whole = int(funding)
    grouped = f"{whole:,}"
    yield str(whole)
    yield grouped.replace(",", " ")
    yield grouped


def _is_specific(value: str) -> bool:
    if len(value) < MIN_LENGTH:
        return False
    if " " not in value and not value.isdigit():
        return len(value) >= MIN_WORD_LENGTH
    return True


def _key(text: str) -> str:
    """Return the form two texts share when the scan treats them as equal."""
    text = " ".join(text.lower().split())
    for apostrophe in APOSTROPHES[1:]:
        text = text.replace(apostrophe, "'")
    return text


class _Matcher:
    """Finds any of many values in a text at once (Aho-Corasick).

    A regular expression of thousands of alternatives, even merged into a
    trie, took tens of minutes on a 20,000-project build; the automaton
    reads each text once, whatever the number of values. Texts are compared
    in their `_key` form: lower case, one space for any white space, one
    apostrophe.
    """

    def __init__(self, values: Iterable[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        for value in values:
            key = _key(value)
            if key:
                self.automaton.add_word(key, key)
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def find(
        self, text: str, *, bounded: bool = True, numbers: bool = False
    ) -> Iterator[tuple[int, int, str]]:
        """Yield (start, end, key) of each value found in a `_key`-form text.

        `bounded`: a value must not be glued to a letter or digit ("Kivu" is
        not found in "Kivuvu"); binary files are searched unbounded, because a
        CBOR length byte before a word is often a letter. `numbers`: whole
        numbers only, 150000 is not in 1150000, 150000.5 or 0.150000.
        """
        if self.empty:
            return
        found = []
        for last, key in self.automaton.iter(text):
            start, end = last - len(key) + 1, last + 1
            if numbers and not _whole_number(text, start, end):
                continue
            if bounded and not _standalone(text, start, end):
                continue
            found.append((start, end, key))

        # A value inside a longer one found at the same place is not reported
        # on its own ("vaccin" within "vaccin-zorglubium-au-kivu").
        found.sort(key=lambda match: (match[0], -match[1]))
        reach = -1
        for start, end, key in found:
            if end > reach:
                reach = end
                yield start, end, key


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _standalone(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not _is_word_char(before) and not _is_word_char(after)


def _whole_number(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end : end + 2]
    if _is_word_char(before) or before in ".,":
        return False
    if after[:1] and _is_word_char(after[0]):
        return False
    return not (after[:1] in (".", ",") and after[1:2].isdigit())


def find_leaks(folder: Path, values: Iterable[str]) -> list[Leak]:
    """Return every occurrence of a value in the files under `folder`.

    Each value is reported once per file (or zip part), with the text around
    its first occurrence. Raises nothing: a file that cannot be read is
    searched as raw bytes.
    """
    values = [value for value in values if value.strip()]
    words = _Matcher(value for value in values if not value.isdigit())
    numbers = _Matcher(value for value in values if value.isdigit())
    originals = {_key(value): value for value in values}
    started = time.monotonic()
    leaks: list[Leak] = []
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for path in files:
        for part, data in _parts("", path.read_bytes()):
            found: dict[str, Leak] = {}
            text, is_binary = _decode(data)
            holds_data = _holds_data(path, part)
            for view in _views(text):
                view = _key(view)
                matches = list(words.find(view, bounded=not is_binary))
                if holds_data:
                    matches += numbers.find(view, numbers=True)
                for start, end, key in matches:
                    value = originals.get(key, key)
                    if value not in found:
                        found[value] = Leak(
                            path=path.relative_to(folder),
                            value=value,
                            context=_context(view, start, end),
                            part=part,
                        )
            leaks.extend(found.values())
    log.info(
        "leak scan of %s: %s files, %s values, %s leaks in %.2f s",
        folder,
        len(files),
        len(originals),
        len(leaks),
        time.monotonic() - started,
    )
    return leaks


def _holds_data(path: Path, part: str) -> bool:
    """Tell whether a file or zip part holds project data rather than code.

    Bare numbers (amounts) are searched only there: scripts, source maps,
    styles, drawings and a workbook's theme are full of round numbers.
    """
    if part:
        return part == "xl/sharedStrings.xml" or part.startswith("xl/worksheets/")
    return path.suffix in DATA_SUFFIXES


def _parts(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield the readable parts of a file: itself, decompressed, or unzipped."""
    if depth < 3 and data[:2] == b"\x1f\x8b":
        expanded = _gunzip(data)
        if expanded is not None:
            yield from _parts(name, expanded, depth + 1)
            return
    if depth < 3 and data[:4] == b"PK\x03\x04":
        members = _unzip(data)
        if members is not None:
            for member, content in members:
                yield from _parts(member, content, depth + 1)
            return
    yield name, data.removeprefix(PAGEFIND_SIGNATURE)


def _gunzip(data: bytes) -> bytes | None:
    try:
        inflater = zlib.decompressobj(wbits=31)
        return inflater.decompress(data, MAX_EXPANDED_BYTES)
    except zlib.error:
        return None


def _unzip(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return [
                (info.filename, archive.read(info))
                for info in archive.infolist()
                if not info.is_dir() and info.file_size <= MAX_EXPANDED_BYTES
            ]
    except (zipfile.BadZipFile, OSError, EOFError):
        return None


def _decode(data: bytes) -> tuple[str, bool]:
    """Return the text of a part, and whether it is binary."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Binary (images, fonts): UTF-8 strings inside still decode, the rest
        # becomes replacement characters.
        return data.decode("utf-8", errors="replace"), True
    # Pagefind's index, filters and metadata are CBOR: valid UTF-8 at times,
    # but with control characters between the words.
    return text, any(char in text[:512] for char in BINARY_MARKS)


JSON_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}(?:\\u[0-9a-fA-F]{4})?|[\"\\/bfnrt])")
JSON_CONTROL = {"b": " ", "f": " ", "n": " ", "r": " ", "t": " "}


def _json_unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] == "u":
            try:
                return str(json.loads(f'"\\{escape}"'))
            except ValueError:
                return match.group()
        return JSON_CONTROL.get(escape, escape)

    return JSON_ESCAPE.sub(replace, text)


def _views(text: str) -> Iterator[str]:
    """Yield the text as it is and with each escaping a page may use undone."""
    yield text
    unescaped = html.unescape(text) if "&" in text else text
    if unescaped is not text:
        yield unescaped
    if "\\" in text:
        yield _json_unescape(unescaped)
    if "%" in text:
        yield urllib.parse.unquote(unescaped)


def _context(view: str, start: int, end: int) -> str:
    around = view[max(0, start - CONTEXT_CHARS) : end + CONTEXT_CHARS]
    return " ".join("".join(c if c.isprintable() else " " for c in around).split())

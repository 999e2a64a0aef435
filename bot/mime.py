"""What a received e-mail holds: its sender, its text and its files, found by content.

Mail programs label files in many ways: an `attachment` or an `inline` part,
`application/octet-stream` instead of a spreadsheet type, a file name in
RFC 2231 form or as an RFC 2047 encoded word, a whole forwarded message
(`message/rfc822`) carrying the file, or Outlook's `winmail.dat` (TNEF) hiding
it. Each leaf part is therefore judged by its bytes: a part is a spreadsheet
when its content is one, whatever its headers say.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from pathlib import PurePosixPath, PureWindowsPath

log = logging.getLogger(__name__)

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# MS-OXTNEF 2.1.3.1: a TNEF stream starts with the signature 0x223E9F78 (LE).
TNEF_MAGIC = b"\x78\x9f\x3e\x22"
OPENDOCUMENT_KINDS = {
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.text": "odt",
}
# A .txt or .md attachment is a one-project document; a table is sent as .csv.
DOCUMENT_TEXT_SUFFIXES = (".txt", ".md")
TEXT_TABLE_SUFFIXES = (".csv", ".tsv", ".tab")
TEXT_TABLE_TYPES = ("text/csv", "text/tab-separated-values", "application/csv")
FILE_NAME_MAX = 150
BODY_TEXT_MAX = 100_000


@dataclass(frozen=True)
class Attachment:
    """A file found in a message, with the spreadsheet kind its bytes show."""

    file_name: str
    content: bytes
    content_type: str
    kind: str | None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class MailContent:
    """The parts of a message Dr Cooper cares about."""

    sender: str
    reply_to: str
    subject: str
    message_id: str | None
    references: str | None
    body_text: str
    attachments: list[Attachment] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    authentication_results: list[str] = field(default_factory=list)


def parse_message(raw: bytes) -> MailContent:
    """Read a raw message (RFC 5322 bytes) into its sender, text and files."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    sender = address_of(message.get("From"))
    content = MailContent(
        sender=sender,
        reply_to=address_of(message.get("Reply-To")) or sender,
        subject=_header_text(message.get("Subject")),
        message_id=_header_text(message.get("Message-ID")).strip() or None,
        references=_header_text(message.get("References")).strip() or None,
        body_text="",
        authentication_results=[
            _header_text(value)
            for value in message.get_all("Authentication-Results", [])
        ],
    )

    body_parts: dict[str, list[str]] = {"text/plain": [], "text/html": []}
    for index, part in enumerate(message.walk(), start=1):
        if part.is_multipart() or part.get_content_maintype() == "multipart":
            continue
        _take_part(part, index, content, body_parts)
    # multipart/alternative carries the same text twice: prefer the plain one.
    texts = body_parts["text/plain"] or body_parts["text/html"]
    content.body_text = "\n\n".join(text for text in texts if text)[:BODY_TEXT_MAX]
    return content


def _take_part(
    part: Message,
    index: int,
    content: MailContent,
    body_parts: dict[str, list[str]],
) -> None:
    """Sort one leaf part into the body text, the files, or what cannot be read."""
    content_type = part.get_content_type()
    file_name = file_name_of(part)
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""

    # Outlook's rich-text wrapper hides the real attachments inside it.
    if (
        content_type == "application/ms-tnef"
        or (file_name or "").lower() == "winmail.dat"
        or data.startswith(TNEF_MAGIC)
    ):
        content.unsupported.append(
            f"La pièce jointe « {file_name or 'winmail.dat'} » est au format TNEF "
            "d'Outlook (texte enrichi), que Dr Cooper ne sait pas ouvrir : merci de "
            "renvoyer le message au format HTML ou texte brut, avec le classeur "
            "joint tel quel."
        )
        return

    kind = sniff_kind(data, file_name or "", content_type)
    if file_name is None and kind is None:
        if content_type in ("text/plain", "text/html"):
            body_parts[content_type].append(_text_of(part, content_type))
        # Unnamed images are signature logos and the like: not submissions.
        return
    if kind is None and content_type.startswith("image/"):
        log.debug("part %d: image %s is not a submission", index, file_name)
        return

    name = file_name or f"piece-jointe-{index}.{kind}"
    content.attachments.append(
        Attachment(file_name=name, content=data, content_type=content_type, kind=kind)
    )


def sniff_kind(data: bytes, file_name: str, content_type: str = "") -> str | None:
    """Return the kind of a file's bytes (a workbook or a document), or None."""
    if data.startswith(ZIP_MAGIC):
        return _zip_kind(data)
    suffix = PurePosixPath(file_name.lower()).suffix
    if data.startswith(OLE2_MAGIC):
        # An OLE2 file is an .xls or a legacy .doc; the reader tells them apart.
        return "doc" if suffix == ".doc" else "xls"
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if not data or b"\x00" in data[:4096]:
        return None
    if suffix in DOCUMENT_TEXT_SUFFIXES:
        return suffix.lstrip(".")
    if suffix in TEXT_TABLE_SUFFIXES or content_type in TEXT_TABLE_TYPES:
        return "csv"
    return None


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].strip()
                return OPENDOCUMENT_KINDS.get(mimetype)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsm" if "xl/vbaProject.bin" in names else "xlsx"
    return None


def file_name_of(part: Message) -> str | None:
    """Return a part's file name, decoded and stripped of any folder, or None."""
    try:
        name = part.get_filename()
    except (ValueError, LookupError):
        name = None
    if not name:
        return None
    if "=?" in name:
        # An encoded word inside a quoted parameter is outside RFC 2047, yet
        # common (Outlook, Thunderbird's older versions); decode it anyway.
        with contextlib.suppress(ValueError, LookupError):
            name = str(make_header(decode_header(name)))
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    return name[:FILE_NAME_MAX] or None


def address_of(value: object) -> str:
    """Return the bare lowercase address of a From or Reply-To header ('' if none)."""
    if value is None:
        return ""
    _, address = email.utils.parseaddr(_header_text(value))
    return address.strip().casefold()


def _header_text(value: object) -> str:
    return "" if value is None else str(value)


def _text_of(part: Message, content_type: str) -> str:
    try:
        text = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AttributeError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(text)
    if content_type == "text/html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
        text = re.sub(r"<[^>]+>", " ", text)
    return text.strip()

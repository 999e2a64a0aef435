"""Checks made on a received file before any reader opens it.

A contributor's file is untrusted. Before a spreadsheet library parses it we
check its size, recognise its format from its content (the extension comes
second: people rename files, and some tools export CSV under an `.xls` name),
spot password-protected workbooks, and refuse zip archives that would expand
to far more than they weigh (zip bombs). Every refusal is an `UnreadableFile`
whose message, in French, names the file and says what to send instead.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import olefile

from bot.exceptions import EncryptedFile, FileTooLarge, UnsupportedFile

logger = logging.getLogger(__name__)

# Formats the reader accepts, as returned by `sniff_kind`.
ZIP_KINDS = frozenset({"xlsx", "xlsm", "xlsb", "ods"})
KINDS = ZIP_KINDS | {"xls", "csv"}

# Below this declared size a member is never called a bomb, whatever its
# ratio: a few kilobytes of repeated styles legitimately compress 200 times.
RATIO_FLOOR_BYTES = 1024 * 1024

# [Content_Types].xml is small; read no more of it than this.
CONTENT_TYPES_MAX_BYTES = 1024 * 1024

SAMPLE_BYTES = 8192

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# Main-part content types of OOXML packages (ECMA-376 part 2 and MS-OFFCRYPTO
# do not list them in one place; these are the ones Office writes).
OOXML_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "xlsx"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": (
        "xlsx"
    ),
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main": "xlsb",
}
OOXML_OTHER_TYPES = {
    "wordprocessingml": "un document Word",
    "presentationml": "une présentation PowerPoint",
}
ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
ODF_OTHER_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "un document texte OpenDocument (.odt)",
    "application/vnd.oasis.opendocument.presentation": (
        "une présentation OpenDocument (.odp)"
    ),
}

# Leading bytes of formats people send by mistake, and what to call them.
MAGIC_NAMES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "un document PDF"),
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"II*\x00", "une image TIFF"),
    (b"MM\x00*", "une image TIFF"),
    (b"{\\rtf", "un document RTF"),
    (b"Rar!", "une archive RAR"),
    (b"7z\xbc\xaf\x27\x1c", "une archive 7-Zip"),
    (b"\x1f\x8b", "une archive gzip"),
)

TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt", ".tab"})

SEND_INSTEAD = (
    "Merci d'envoyer un classeur Excel (.xlsx), OpenDocument (.ods) ou un fichier CSV."
)

# BIFF8 record type of FILEPASS, which opens an encrypted .xls workbook stream
# ([MS-XLS] 2.4.117); it follows BOF, so it sits among the first records.
BIFF_FILEPASS = 0x002F
BIFF_EOF = 0x000A
BIFF_SCAN_RECORDS = 64


@dataclass(frozen=True)
class ReadLimits:
    """How much of a received file the reader accepts."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 100.0
    max_rows: int = 200_000
    max_archive_members: int = 10_000


def sniff_kind(path: Path, file_name: str, limits: ReadLimits | None = None) -> str:
    """Return the format of a received file, judged by its content first.

    One of "xlsx", "xlsm", "xlsb", "xls", "ods", "csv". Raise `FileTooLarge`,
    `EncryptedFile` or `UnsupportedFile` with a French message for the sender.
    """
    limits = limits or ReadLimits()
    size = path.stat().st_size
    if size == 0:
        raise UnsupportedFile(
            f"Le fichier « {file_name} » est vide (0 octet) : il a sans doute été "
            f"mal enregistré ou mal joint. {SEND_INSTEAD}"
        )
    if size > limits.max_file_bytes:
        raise FileTooLarge(
            f"Le fichier « {file_name} » pèse {megabytes(size)} Mo, au-delà de la "
            f"limite de {megabytes(limits.max_file_bytes)} Mo que Dr Cooper accepte. "
            "Merci de l'alléger (supprimer les images, les feuilles sans projets) "
            "ou de le découper en plusieurs fichiers."
        )

    with path.open("rb") as stream:
        head = stream.read(SAMPLE_BYTES)
    if head.startswith(ZIP_MAGICS):
        return sniff_zip(path, file_name)
    if head.startswith(OLE2_MAGIC):
        return sniff_ole(path, file_name)
    for magic, description in MAGIC_NAMES:
        if head.startswith(magic):
            raise not_a_spreadsheet(file_name, description)
    if looks_like_html(head):
        raise UnsupportedFile(
            f"Le fichier « {file_name} » est une page web (HTML) ou un ancien "
            "format « Feuille de calcul XML 2003 », même si son nom dit autre "
            "chose. Merci de l'ouvrir dans Excel et de l'enregistrer au format "
            "Classeur Excel (.xlsx) avant de le renvoyer."
        )
    if looks_like_text(head):
        return "csv"
    if Path(file_name).suffix.lower() in TEXT_EXTENSIONS:
        raise UnsupportedFile(
            f"Le fichier « {file_name} » porte un nom de fichier texte mais contient "
            f"des données binaires illisibles. {SEND_INSTEAD}"
        )
    raise not_a_spreadsheet(file_name, "un fichier d'un format inconnu")


# Documents that describe one project each, read by bot.documents.
DOCUMENT_KINDS = frozenset({"docx", "odt", "pdf", "rtf", "text", "html", "doc"})
DOCUMENT_TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".htm", ".html"})
ODF_TEXT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def sniff_format(path: Path, file_name: str, limits: ReadLimits | None = None) -> str:
    """Return the kind of a received file: a workbook kind or a document kind.

    Documents are "docx", "odt", "pdf", "rtf", "html", "text" (a .txt or .md
    name) and "doc" (legacy Word, which the document reader refuses with its
    own message). A text file with another name stays "csv".
    """
    try:
        kind = sniff_kind(path, file_name, limits)
    except UnsupportedFile:
        document_kind = _document_kind(path, Path(file_name).suffix.lower())
        if document_kind is None:
            raise
        return document_kind
    if kind == "csv" and Path(file_name).suffix.lower() in DOCUMENT_TEXT_SUFFIXES:
        return "text"
    return kind


def _document_kind(path: Path, suffix: str) -> str | None:
    """Recognise a text document by its content, or return None."""
    with path.open("rb") as stream:
        head = stream.read(SAMPLE_BYTES)
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if looks_like_html(head) and suffix in HTML_SUFFIXES:
        return "html"
    if head.startswith(OLE2_MAGIC):
        try:
            with olefile.OleFileIO(str(path)) as container:
                if container.exists("WordDocument"):
                    return "doc"
        except (OSError, ValueError):
            return None
        return None
    if not head.startswith(ZIP_MAGICS):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = read_member(archive, "mimetype").decode("ascii", "replace")
                if mimetype.strip().startswith(ODF_TEXT_MIMETYPE):
                    return "odt"
            elif "[Content_Types].xml" in names:
                content_types = read_member(archive, "[Content_Types].xml")
                if b"wordprocessingml.document.main+xml" in content_types:
                    return "docx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        return None
    return None


def check_archive_limits(path: Path, limits: ReadLimits, file_name: str) -> None:
    """Refuse a zip-based file that would expand past the limits (a zip bomb).

    The central directory's declared sizes are checked first, without
    decompressing. Then every member is decompressed into nothing, counting
    bytes: a forged directory that understates a member's size is caught
    there, because Python's zipfile stops at the declared size and the CRC no
    longer matches. Nothing is written to disk.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            check_declared_sizes(members, limits, file_name)
            check_actual_sizes(archive, members, limits, file_name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as err:
        raise damaged(file_name) from err
    except NotImplementedError as err:
        # An unknown compression method (or zip-level encryption) in a member.
        raise damaged(file_name) from err


def check_declared_sizes(
    members: list[zipfile.ZipInfo], limits: ReadLimits, file_name: str
) -> None:
    """Compare the directory's member count, sizes and ratios with the limits."""
    if len(members) > limits.max_archive_members:
        raise FileTooLarge(
            f"Le fichier « {file_name} » contient {len(members)} éléments internes, "
            f"bien plus que les {limits.max_archive_members} qu'un classeur "
            "ordinaire contient : Dr Cooper ne l'ouvre pas, par prudence. Merci de "
            "l'enregistrer à nouveau depuis Excel ou LibreOffice, ou d'envoyer un CSV."
        )
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise expands_too_much(file_name, limits)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if (
            member.file_size > RATIO_FLOOR_BYTES
            and ratio > limits.max_compression_ratio
        ):
            logger.debug(
                "file %s: member %s expands %.0f times",
                file_name,
                member.filename,
                ratio,
            )
            raise expands_too_much(file_name, limits)


def check_actual_sizes(
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    limits: ReadLimits,
    file_name: str,
) -> None:
    """Decompress each member into nothing, stopping past the byte budget."""
    budget = limits.max_uncompressed_bytes
    for member in members:
        with archive.open(member) as stream:
            while chunk := stream.read(1024 * 1024):
                budget -= len(chunk)
                if budget < 0:
                    raise expands_too_much(file_name, limits)


def sniff_zip(path: Path, file_name: str) -> str:
    """Tell an OOXML or OpenDocument workbook from other zip archives."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = read_member(archive, "mimetype").decode("ascii", "replace")
                return kind_of_odf(mimetype.strip(), file_name)
            if "[Content_Types].xml" in names:
                content_types = read_member(archive, "[Content_Types].xml")
                return kind_of_ooxml(
                    content_types.decode("utf-8", "replace"), file_name
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as err:
        raise damaged(file_name) from err
    except NotImplementedError as err:
        raise damaged(file_name) from err
    raise not_a_spreadsheet(file_name, "une archive ZIP")


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read the start of one small member, never more than a megabyte."""
    with archive.open(name) as stream:
        return stream.read(CONTENT_TYPES_MAX_BYTES)


def kind_of_odf(mimetype: str, file_name: str) -> str:
    """Map an OpenDocument mimetype member to a kind, or refuse it."""
    if mimetype in ODF_MIMETYPES:
        return ODF_MIMETYPES[mimetype]
    description = ODF_OTHER_MIMETYPES.get(mimetype, "un document OpenDocument")
    raise not_a_spreadsheet(file_name, description)


def kind_of_ooxml(content_types: str, file_name: str) -> str:
    """Map the main part's content type of an OOXML package to a kind."""
    declared = set(re.findall(r'ContentType="([^"]+)"', content_types))
    for content_type, kind in OOXML_WORKBOOK_TYPES.items():
        if content_type in declared:
            return kind
    for marker, description in OOXML_OTHER_TYPES.items():
        if any(marker in content_type for content_type in declared):
            raise not_a_spreadsheet(file_name, description)
    raise not_a_spreadsheet(file_name, "un document Office qui n'est pas un classeur")


def sniff_ole(path: Path, file_name: str) -> str:
    """Tell a legacy .xls from an encrypted OOXML package or a Word .doc."""
    try:
        with olefile.OleFileIO(str(path)) as container:
            streams = {"/".join(entry) for entry in container.listdir()}
            if {"EncryptionInfo", "EncryptedPackage"} <= streams:
                # [MS-OFFCRYPTO] 2.3.4: an encrypted .xlsx/.docx is an OLE2
                # container holding these two streams.
                raise password_protected(file_name)
            for workbook_stream in ("Workbook", "Book"):
                if workbook_stream in streams:
                    if biff_has_filepass(container.openstream(workbook_stream).read()):
                        raise password_protected(file_name)
                    return "xls"
            if "WordDocument" in streams:
                raise not_a_spreadsheet(file_name, "un document Word ancien (.doc)")
            if "PowerPoint Document" in streams:
                raise not_a_spreadsheet(
                    file_name, "une présentation PowerPoint ancienne (.ppt)"
                )
    except (OSError, ValueError) as err:
        # olefile raises OSError subclasses, and ValueError on some malformed
        # sector tables.
        raise damaged(file_name) from err
    raise not_a_spreadsheet(file_name, "un document Office qui n'est pas un classeur")


def biff_has_filepass(workbook_stream: bytes) -> bool:
    """Say whether the globals of a BIFF8 workbook stream open with FILEPASS."""
    offset = 0
    for _ in range(BIFF_SCAN_RECORDS):
        if offset + 4 > len(workbook_stream):
            return False
        record_type = int.from_bytes(workbook_stream[offset : offset + 2], "little")
        length = int.from_bytes(workbook_stream[offset + 2 : offset + 4], "little")
        if record_type == BIFF_FILEPASS:
            return True
        if record_type == BIFF_EOF:
            return False
        offset += 4 + length
    return False


def looks_like_html(head: bytes) -> bool:
    """Say whether the bytes open an HTML page or an XML Spreadsheet 2003."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<?xml")) or (
        b"urn:schemas-microsoft-com:office:spreadsheet" in head
    )


def looks_like_text(head: bytes) -> bool:
    """Say whether a sample of bytes is text rather than binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    control = sum(1 for byte in head if byte < 32 and byte not in b"\t\r\n\x0c")
    return control <= len(head) // 100


def megabytes(size: int) -> str:
    """Format a byte count as megabytes with one decimal, French style."""
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def not_a_spreadsheet(file_name: str, description: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"Le fichier « {file_name} » est {description}, pas un tableur : Dr Cooper "
        f"ne sait pas en lire les projets. {SEND_INSTEAD}"
    )


def damaged(file_name: str) -> UnsupportedFile:
    return UnsupportedFile(
        f"Le fichier « {file_name} » est endommagé ou incomplet : Dr Cooper ne peut "
        "pas l'ouvrir. Merci de vérifier qu'il s'ouvre dans Excel ou LibreOffice, "
        "de l'enregistrer à nouveau et de le renvoyer."
    )


def password_protected(file_name: str) -> EncryptedFile:
    if Path(file_name).suffix.lower() in (".docx", ".doc", ".odt", ".pdf", ".rtf"):
        return EncryptedFile(
            f"Le document « {file_name} » est protégé par un mot de passe : Dr "
            "Cooper ne peut pas le lire. Merci d'envoyer une version sans mot de "
            "passe (dans Word : Fichier > Informations > Protéger le document > "
            "Chiffrer avec mot de passe, puis effacer le mot de passe)."
        )
    return EncryptedFile(
        f"Le fichier « {file_name} » est protégé par un mot de passe : Dr Cooper ne "
        "peut pas le lire. Merci d'envoyer une version sans mot de passe (dans "
        "Excel : Fichier > Informations > Protéger le classeur > Chiffrer avec "
        "mot de passe, puis effacer le mot de passe)."
    )


def expands_too_much(file_name: str, limits: ReadLimits) -> FileTooLarge:
    return FileTooLarge(
        f"Le fichier « {file_name} » se décompresse en plus de "
        f"{megabytes(limits.max_uncompressed_bytes)} Mo, ou bien plus que son poids "
        "ne le laisse attendre : Dr Cooper ne l'ouvre pas, par prudence. Merci de "
        "l'enregistrer à nouveau depuis Excel ou LibreOffice, ou de le découper en "
        "plusieurs fichiers."
    )

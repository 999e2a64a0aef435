"""Refusing files that should not reach a spreadsheet reader, with a clear reason."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
import olefile
import pytest
from openpyxl import Workbook
from python_calamine import CalamineError

from bot.exceptions import EncryptedFile, FileTooLarge, UnsupportedFile
from bot.safety import ReadLimits, check_archive_limits, sniff_kind
from bot.workbook import read_workbook
from tests.workbook_factory import (
    convert,
    is_known_header,
    project_workbook,
    rewrite_zip,
    save,
)

XLSX_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)


def read(path: Path, limits: ReadLimits | None = None) -> None:
    read_workbook(
        path,
        file_name=path.name,
        is_header=is_known_header,
        limits=limits or ReadLimits(),
    )


@pytest.fixture
def projects_xlsx(tmp_path: Path) -> Path:
    return save(project_workbook(), tmp_path / "Coopérations 2025.xlsx")


def test_password_protected_xlsx_is_refused_with_advice(
    projects_xlsx: Path, tmp_path: Path
) -> None:
    encrypted = tmp_path / "Coopérations chiffrées.xlsx"
    with projects_xlsx.open("rb") as plain, encrypted.open("wb") as out:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("secret", out)

    with pytest.raises(EncryptedFile) as caught:
        read(encrypted)

    message = str(caught.value)
    assert "« Coopérations chiffrées.xlsx »" in message
    assert "mot de passe" in message
    assert "Merci d'envoyer une version sans mot de passe" in message


def test_xls_whose_workbook_stream_opens_with_filepass_is_refused_as_encrypted(
    projects_xlsx: Path, tmp_path: Path
) -> None:
    xls = convert(projects_xlsx, "xls", tmp_path)
    # Turn the record after BOF into a FILEPASS record of the same length, as
    # Excel writes it at the head of an encrypted workbook stream.
    with olefile.OleFileIO(str(xls), write_mode=True) as container:
        stream = bytearray(container.openstream("Workbook").read())
        bof_length = struct.unpack_from("<H", stream, 2)[0]
        struct.pack_into("<H", stream, 4 + bof_length, 0x002F)
        container.write_stream("Workbook", bytes(stream))

    with pytest.raises(EncryptedFile):
        sniff_kind(xls, "ancien.xls")


def test_truncated_xlsx_is_refused_as_damaged(projects_xlsx: Path) -> None:
    data = projects_xlsx.read_bytes()
    projects_xlsx.write_bytes(data[: len(data) // 2])

    with pytest.raises(UnsupportedFile, match="endommagé ou incomplet"):
        read(projects_xlsx)


def test_random_bytes_named_xlsx_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "projets.xlsx"
    path.write_bytes(bytes(range(256)) * 40)

    with pytest.raises(UnsupportedFile, match=r"« projets\.xlsx »"):
        read(path)


def test_workbook_whose_xml_is_broken_is_refused_with_calamine_error_chained(
    projects_xlsx: Path, tmp_path: Path
) -> None:
    broken = rewrite_zip(
        projects_xlsx,
        tmp_path / "cassé.xlsx",
        replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"},
    )

    with pytest.raises(UnsupportedFile) as caught:
        read(broken)

    assert "« cassé.xlsx »" in str(caught.value)
    assert isinstance(caught.value.__cause__, CalamineError)


@pytest.mark.parametrize(
    ("content", "described"),
    [
        (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "un document PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "une image PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), "une image JPEG"),
    ],
)
def test_pdf_or_image_renamed_xlsx_is_refused_naming_what_it_is(
    tmp_path: Path, content: bytes, described: str
) -> None:
    path = tmp_path / "tableau.xlsx"
    path.write_bytes(content)

    with pytest.raises(UnsupportedFile) as caught:
        read(path)

    message = str(caught.value)
    assert f"Le fichier « tableau.xlsx » est {described}, pas un tableur" in message
    assert "Merci d'envoyer un classeur Excel (.xlsx)" in message


def write_docx(path: Path) -> Path:
    """Write a minimal but complete WordprocessingML package."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.'
            "openxmlformats.org/officeDocument/2006/relationships/officeDocument"
            '" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Projet : '
            "vaccination au Niger</w:t></w:r></w:p></w:body></w:document>",
        )
    return path


def write_odt(path: Path) -> Path:
    """Write a minimal OpenDocument text: mimetype first, stored, then content."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:'
            'opendocument:xmlns:text:1.0"><office:body><office:text><text:p>'
            "Projet : vaccination au Niger</text:p></office:text></office:body>"
            "</office:document-content>",
        )
    return path


def test_word_document_sent_instead_of_a_workbook_is_refused(tmp_path: Path) -> None:
    document = write_docx(tmp_path / "fiche-projet.docx")

    with pytest.raises(UnsupportedFile, match="est un document Word, pas un tableur"):
        read(document)


def test_opendocument_text_sent_instead_of_a_workbook_is_refused(
    tmp_path: Path,
) -> None:
    document = write_odt(tmp_path / "fiche-projet.odt")

    with pytest.raises(UnsupportedFile, match=r"document texte OpenDocument \(\.odt\)"):
        read(document)


def test_html_saved_with_xls_name_is_refused_with_resave_advice(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<html><body><table><tr><td>Pays</td></tr></table></body></html>")

    with pytest.raises(UnsupportedFile, match="page web"):
        read(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "projets.xlsx"
    path.write_bytes(b"")

    with pytest.raises(UnsupportedFile, match=r"« projets\.xlsx » est vide"):
        read(path)


def test_file_over_the_size_limit_is_refused_before_reading(
    projects_xlsx: Path,
) -> None:
    with pytest.raises(FileTooLarge, match="au-delà de la limite"):
        read(projects_xlsx, ReadLimits(max_file_bytes=1000))


def test_zip_bomb_expanding_past_the_total_limit_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = bytes(1024 * 1024)
            for _ in range(300):
                member.write(zeros)
    assert bomb.stat().st_size < 1024 * 1024

    with pytest.raises(FileTooLarge, match="se décompresse en plus de 200,0 Mo"):
        read(bomb)


def test_member_compressed_far_beyond_the_ratio_is_refused(tmp_path: Path) -> None:
    archive_path = tmp_path / "dense.xlsx"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_CONTENT_TYPES)
        archive.writestr("xl/sharedStrings.xml", bytes(20 * 1024 * 1024))

    with pytest.raises(FileTooLarge):
        check_archive_limits(archive_path, ReadLimits(), archive_path.name)


def test_member_whose_declared_size_understates_its_content_is_refused(
    tmp_path: Path,
) -> None:
    forged = tmp_path / "forgé.xlsx"
    with zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", bytes(5 * 1024 * 1024))
    data = bytearray(forged.read_bytes())
    # Claim 1,000 bytes in both the local header and the central directory.
    struct.pack_into("<I", data, 22, 1000)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    forged.write_bytes(bytes(data))
    with zipfile.ZipFile(forged) as archive:
        assert archive.infolist()[0].file_size == 1000

    with pytest.raises(UnsupportedFile):
        check_archive_limits(forged, ReadLimits(), forged.name)


def test_archive_with_too_many_members_is_refused(projects_xlsx: Path) -> None:
    with pytest.raises(FileTooLarge, match="éléments internes"):
        check_archive_limits(
            projects_xlsx, ReadLimits(max_archive_members=3), projects_xlsx.name
        )


def test_ordinary_workbook_passes_the_archive_checks(projects_xlsx: Path) -> None:
    check_archive_limits(projects_xlsx, ReadLimits(), projects_xlsx.name)


def test_workbook_over_the_row_limit_is_refused_naming_the_last_row(
    tmp_path: Path,
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Titre", "Pays"])
    for number in range(30):
        sheet.append([f"Projet {number}", "Niger"])
    path = save(workbook, tmp_path / "long.xlsx")

    with pytest.raises(FileTooLarge, match="va jusqu'à la ligne 31"):
        read(path, ReadLimits(max_rows=20))


def test_csv_over_the_row_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("Titre;Pays\n" + "Projet;Niger\n" * 30, encoding="utf-8")

    with pytest.raises(FileTooLarge, match="trop de lignes"):
        read(path, ReadLimits(max_rows=20))


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.xlsx", "xlsx"), ("renommé.xls", "xlsx"), ("sans-extension", "xlsx")],
)
def test_kind_is_judged_by_content_not_by_name(
    projects_xlsx: Path, tmp_path: Path, name: str, kind: str
) -> None:
    copy = tmp_path / name
    copy.write_bytes(projects_xlsx.read_bytes())

    assert sniff_kind(copy, name) == kind


def test_csv_sent_under_an_xls_name_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("Titre;Pays\nVaccination;Niger\n", encoding="utf-8")

    assert sniff_kind(path, path.name) == "csv"


def test_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "projets.csv"
    path.write_bytes(bytes(range(256)) * 4)

    with pytest.raises(UnsupportedFile, match="données binaires"):
        read(path)

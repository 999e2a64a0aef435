"""The archive is the source of truth: reindex gives the same warehouse."""

from __future__ import annotations

from bot.warehouse import MIGRATIONS, Warehouse, document_key

from .test_ingest import lyon_rows


def test_reindex_rebuilds_the_same_warehouse_from_the_archive(
    ingestor, workbook_factory, tmp_path
):
    first = workbook_factory("Projets 2025.xlsx", lyon_rows())
    shorter = workbook_factory("Projets 2026.xlsx", lyon_rows()[:2])
    broken = tmp_path / "cassé.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    for path, actor in [
        (first, "chu-lyon"),
        (broken, "chu-lyon"),
        (first, "inserm"),
        (shorter, "chu-lyon"),
        (first, "chu-lyon"),
    ]:
        ingestor.ingest(path, actor=actor, source="test")
    before = ingestor.warehouse.dump()

    replayed = ingestor.reindex()

    assert replayed == 5
    assert ingestor.warehouse.dump() == before
    assert len(before["records"]) > 0


def test_reindex_of_an_empty_archive_gives_an_empty_warehouse(ingestor):
    assert ingestor.reindex() == 0
    assert ingestor.warehouse.submissions() == []


def test_warehouse_is_migrated_to_the_latest_schema(tmp_path):
    with Warehouse(tmp_path / "w.sqlite3") as warehouse:
        assert warehouse.schema_version == len(MIGRATIONS)
    with Warehouse(tmp_path / "w.sqlite3") as reopened:
        assert reopened.schema_version == len(MIGRATIONS)


def test_document_key_ignores_years_versions_and_copies():
    assert document_key("Projets 2025 v3.xlsx") == "projets"
    assert document_key("projets_2026 (copie).xlsx") == "projets"
    assert document_key("Coopérations-Afrique_FINAL.xlsx") == "cooperations afrique"
    assert document_key("2025.xlsx") == "2025"


def test_reindex_keeps_how_mail_was_handled(ingestor):
    ingestor.warehouse.db.execute(
        "INSERT INTO mail_messages (account, uidvalidity, uid, eml_sha256, sender, "
        "subject, received_at, state, verdict) VALUES "
        "('boite', 7, 42, 'abc', 'x@y.fr', 'Projets', '2026-12-01', 'done', "
        "'quarantine')"
    )

    ingestor.reindex()

    rows = ingestor.warehouse.db.execute(
        "SELECT account, uid, verdict FROM mail_messages"
    ).fetchall()
    assert [tuple(row) for row in rows] == [("boite", 42, "quarantine")]

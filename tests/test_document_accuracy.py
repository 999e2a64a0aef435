"""Precision and recall of document understanding over the test corpus.

tests/documents/corpus.yaml lists documents written for these tests, each with
the fields a careful reader would take from it. The figures are printed (run
pytest with -s) and the main fields must stay above their thresholds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from bot.documents import DocumentUnderstanding, read_document, read_text_submission
from bot.vocabulary import Vocabulary, normalise

CORPUS = Path(__file__).resolve().parent / "documents"
FIELDS = (
    "title",
    "countries",
    "partners",
    "french_actors",
    "domains",
    "start_date",
    "end_date",
    "confidential",
)
THRESHOLDS = {"countries": 0.95, "title": 0.95, "partners": 0.85, "domains": 0.85}


def corpus_entries() -> list[dict[str, Any]]:
    with (CORPUS / "corpus.yaml").open(encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["documents"])


def understand_entry(
    entry: dict[str, Any], vocabulary: Vocabulary, settings: Settings
) -> DocumentUnderstanding:
    path = CORPUS / entry["file"]
    if path.name.endswith((".email.txt", ".email.html")):
        return read_text_submission(
            path.read_text(encoding="utf-8"),
            file_name=path.name,
            vocabulary=vocabulary,
            settings=settings,
            html=path.name.endswith(".html"),
        )
    return read_document(
        path, file_name=path.name, vocabulary=vocabulary, settings=settings
    )


def found_values(result: DocumentUnderstanding, name: str) -> set[str]:
    """Return a field's values as comparable keys."""
    if result.record is None:
        return set()
    fields = result.record.fields
    if name == "confidential":
        return {"oui"} if result.record.confidential else set()
    value = fields.get(name)
    if name == "partners":
        return {normalise(partner["name"]) for partner in value or []}
    if isinstance(value, list):
        return {normalise(str(item)) for item in value}
    return {normalise(str(value))} if value else set()


def expected_values(entry: dict[str, Any], name: str) -> set[str]:
    value = entry["expected"].get(name)
    if name == "confidential":
        return {"oui"} if value else set()
    if isinstance(value, list):
        return {normalise(str(item)) for item in value}
    return {normalise(str(value))} if value else set()


def score_corpus(
    vocabulary: Vocabulary, settings: Settings
) -> tuple[dict[str, Counter[str]], list[str]]:
    """Count true positives, false positives and misses per field."""
    counts = {name: Counter[str]() for name in FIELDS}
    mistakes = []
    for entry in corpus_entries():
        result = understand_entry(entry, vocabulary, settings)
        for name in FIELDS:
            found = found_values(result, name)
            expected = expected_values(entry, name)
            counts[name]["tp"] += len(found & expected)
            counts[name]["fp"] += len(found - expected)
            counts[name]["fn"] += len(expected - found)
            if found != expected:
                mistakes.append(
                    f"{entry['file']} {name}: found {sorted(found - expected)}, "
                    f"missed {sorted(expected - found)}"
                )
    return counts, mistakes


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


@pytest.fixture(scope="module")
def scores() -> tuple[dict[str, Counter[str]], list[str]]:
    from bot.config import load_settings
    from tests.conftest import REPOSITORY

    settings = load_settings(REPOSITORY / "inbox_rules.yaml")
    vocabulary = Vocabulary.load(settings.synonyms)
    return score_corpus(vocabulary, settings)


def test_corpus_holds_at_least_thirty_documents_in_every_format() -> None:
    entries = corpus_entries()
    suffixes = {Path(entry["file"]).suffix for entry in entries}

    assert len(entries) >= 30
    assert {".docx", ".odt", ".pdf", ".txt", ".md", ".rtf", ".html"} <= suffixes
    for entry in entries:
        assert (CORPUS / entry["file"]).is_file(), entry["file"]


@pytest.mark.parametrize("name", sorted(THRESHOLDS))
def test_main_fields_are_read_with_high_precision_and_recall(
    scores: tuple[dict[str, Counter[str]], list[str]], name: str
) -> None:
    counts, mistakes = scores
    tp, fp, fn = counts[name]["tp"], counts[name]["fp"], counts[name]["fn"]
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    print()
    for field_name in FIELDS:
        c = counts[field_name]
        print(
            f"{field_name:<14} precision {ratio(c['tp'], c['tp'] + c['fp']):.3f}  "
            f"recall {ratio(c['tp'], c['tp'] + c['fn']):.3f}  "
            f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']})"
        )
    print("\n".join(mistakes))

    assert precision > THRESHOLDS[name], mistakes
    assert recall > THRESHOLDS[name], mistakes

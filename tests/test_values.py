"""Tests of list splitting, partner parsing and funding amounts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.values import parse_funding, parse_partner, split_list
from bot.vocabulary import Vocabulary

SYNONYMS = Path(__file__).resolve().parents[1] / "synonyms"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.load(SYNONYMS)


def _is_country(vocabulary: Vocabulary) -> Callable[[str], bool]:
    return lambda text: vocabulary.country(text).code is not None


# split_list


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("Sénégal; Mali", ["Sénégal", "Mali"]),
        ("Sénégal\nMali\n\n", ["Sénégal", "Mali"]),
        ("• Sénégal • Mali", ["Sénégal", "Mali"]),
        ("- AP-HP\n- Inserm", ["AP-HP", "Inserm"]),
        ("AP-HP | Inserm", ["AP-HP", "Inserm"]),
        ("Inserm, CNRS", ["Inserm", "CNRS"]),
        ("VIH/sida", ["VIH", "sida"]),
        (" ; Inserm ;; CNRS. ;", ["Inserm", "CNRS"]),
        ("", []),
    ],
)
def test_split_list_without_recogniser(text: str, items: list[str]) -> None:
    assert split_list(text) == items


def test_split_list_without_recogniser_keeps_et_and_and() -> None:
    assert split_list("Hospices civils et universitaires") == [
        "Hospices civils et universitaires"
    ]
    assert split_list("Research and Development") == ["Research and Development"]


def test_split_list_never_splits_inside_parentheses() -> None:
    assert split_list("Institut (Paris, Lyon); CNRS") == [
        "Institut (Paris, Lyon)",
        "CNRS",
    ]
    assert split_list("UCAD (Dakar / Sénégal), Inserm") == [
        "UCAD (Dakar / Sénégal)",
        "Inserm",
    ]


def test_split_list_keeps_numbers_with_decimal_comma_or_date_slash() -> None:
    assert split_list("1,5 ; 03/2025") == ["1,5", "03/2025"]


def test_split_list_splits_on_et_when_every_part_is_recognised(
    vocabulary: Vocabulary,
) -> None:
    assert split_list("Sénégal, Mali et Burkina Faso", _is_country(vocabulary)) == [
        "Sénégal",
        "Mali",
        "Burkina Faso",
    ]
    assert split_list("Sénégal & Mali", _is_country(vocabulary)) == ["Sénégal", "Mali"]


def test_split_list_keeps_a_name_containing_et(vocabulary: Vocabulary) -> None:
    recognise = _is_country(vocabulary)
    assert split_list("Trinité et Tobago", recognise) == ["Trinité et Tobago"]
    assert split_list("Sénégal, Trinité et Tobago", recognise) == [
        "Sénégal",
        "Trinité et Tobago",
    ]


def test_split_list_with_recogniser_keeps_unrecognised_text_whole(
    vocabulary: Vocabulary,
) -> None:
    assert split_list("Mali, Cuisine", _is_country(vocabulary)) == ["Mali, Cuisine"]
    # Hard separators still split.
    assert split_list("Mali; Cuisine", _is_country(vocabulary)) == ["Mali", "Cuisine"]


# parse_partner


@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("Université Cheikh Anta Diop (Sénégal)", "Université Cheikh Anta Diop", "SN"),
        ("UCAD, Dakar, Sénégal", "Université Cheikh Anta Diop", "SN"),
        ("Institut Pasteur de Dakar", "Institut Pasteur de Dakar", "SN"),
        ("WHO", "Organisation mondiale de la santé", None),
        ("Hôpital X - Maroc", "Hôpital X", "MA"),
        ("Hôpital X – Maroc", "Hôpital X", "MA"),
        ("Ministère de la Santé du Sénégal", "Ministère de la Santé du Sénégal", "SN"),
        ("Charité, Berlin, Allemagne", "Charité – Universitätsmedizin Berlin", "DE"),
        ("UCAD (Université Cheikh Anta Diop)", "Université Cheikh Anta Diop", "SN"),
        ("Hôpital Principal de Dakar", "Hôpital Principal de Dakar", "SN"),
        ("Mahosot Hospital, Vientiane", "Mahosot Hospital, Vientiane", "LA"),
        ("Réseau Dakar–Bamako", "Réseau Dakar–Bamako", None),
        ("Hôpital X (Dakar)", "Hôpital X (Dakar)", "SN"),
        ("Centre de santé, Bamako, Mali", "Centre de santé, Bamako", "ML"),
        ("Gavi, l'Alliance du Vaccin", "Gavi, l'Alliance du Vaccin", None),
    ],
)
def test_parse_partner_finds_name_and_country(
    vocabulary: Vocabulary, text: str, name: str, country: str | None
) -> None:
    assert parse_partner(text, vocabulary) == (name, country)


def test_written_country_wins_over_dictionary(vocabulary: Vocabulary) -> None:
    assert parse_partner("Institut Pasteur (Madagascar)", vocabulary) == (
        "Institut Pasteur",
        "MG",
    )


# parse_funding


@pytest.mark.parametrize(
    ("value", "euros"),
    [
        (150000, 150000.0),
        (150000.0, 150000.0),
        ("150000", 150000.0),
        ("150 000 €", 150000.0),
        ("150\u00a0000\u00a0€", 150000.0),
        ("150\u202f000 €", 150000.0),
        ("150 000,50 €", 150000.5),
        ("1,2 M€", 1200000.0),
        ("1.2M EUR", 1200000.0),
        ("150 k€", 150000.0),
        ("150K", 150000.0),
        ("€ 2 500", 2500.0),
        ("environ 100 000 €", 100000.0),
        ("~ 50 000 euros", 50000.0),
        ("2 millions d'euros", 2000000.0),
        ("150.000", 150000.0),
        ("1,250,000", 1250000.0),
        ("1 250 000.00 €", 1250000.0),
        ("1.250.000,00 €", 1250000.0),
        ("150 000 € HT", 150000.0),
        ("0", 0.0),
    ],
)
def test_parse_funding_reads_euro_amounts(value: object, euros: float) -> None:
    assert parse_funding(value) == pytest.approx(euros)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_funding_empty_is_none(value: object) -> None:
    assert parse_funding(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "à définir",
        "$ 100 000",
        "100 000 USD",
        "10 000 000 FCFA",
        "£5,000",
        "-5",
        -5,
        "12 abc",
        "100 000 - 150 000",
        True,
        float("nan"),
    ],
)
def test_parse_funding_refuses_what_it_cannot_read(value: object) -> None:
    with pytest.raises(ValueError):
        parse_funding(value)

"""Tests of dates and periods as contributors write them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dates import Period, parse_period

TODAY = dt.date(2025, 6, 1)


def _span(start: str, end: str) -> Period:
    return Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))


@pytest.mark.parametrize(
    ("value", "period"),
    [
        (dt.date(2025, 3, 14), _span("2025-03-14", "2025-03-14")),
        (dt.datetime(2025, 3, 14, 10, 30), _span("2025-03-14", "2025-03-14")),
        (45000, _span("2023-03-15", "2023-03-15")),
        (45000.0, _span("2023-03-15", "2023-03-15")),
        (45000.75, _span("2023-03-15", "2023-03-15")),
        ("45000", _span("2023-03-15", "2023-03-15")),
        (2025, _span("2025-01-01", "2025-12-31")),
        (2025.0, _span("2025-01-01", "2025-12-31")),
    ],
)
def test_spreadsheet_values_are_read(value: object, period: Period) -> None:
    assert parse_period(value, TODAY) == period


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2025-03-14", _span("2025-03-14", "2025-03-14")),
        ("2025-03-14 00:00:00", _span("2025-03-14", "2025-03-14")),
        ("14/03/2025", _span("2025-03-14", "2025-03-14")),
        ("14.03.2025", _span("2025-03-14", "2025-03-14")),
        ("14-03-2025", _span("2025-03-14", "2025-03-14")),
        ("03/04/2025", _span("2025-04-03", "2025-04-03")),
        ("14/03/25", _span("2025-03-14", "2025-03-14")),
        ("03/2025", _span("2025-03-01", "2025-03-31")),
        ("02/2024", _span("2024-02-01", "2024-02-29")),
        ("2025-12", _span("2025-12-01", "2025-12-31")),
        ("mars 2025", _span("2025-03-01", "2025-03-31")),
        ("Mars 2025", _span("2025-03-01", "2025-03-31")),
        ("march 2025", _span("2025-03-01", "2025-03-31")),
        ("janv. 2025", _span("2025-01-01", "2025-01-31")),
        ("Février 2025", _span("2025-02-01", "2025-02-28")),
        ("août 2025", _span("2025-08-01", "2025-08-31")),
        ("1er mars 2025", _span("2025-03-01", "2025-03-01")),
        ("14 mars 2025", _span("2025-03-14", "2025-03-14")),
        ("March 14, 2025", _span("2025-03-14", "2025-03-14")),
        ("2025", _span("2025-01-01", "2025-12-31")),
        ("  2025. ", _span("2025-01-01", "2025-12-31")),
    ],
)
def test_single_dates_give_the_span_they_name(text: str, period: Period) -> None:
    assert parse_period(text, TODAY) == period


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2024-2026", _span("2024-01-01", "2026-12-31")),
        ("2024 - 2026", _span("2024-01-01", "2026-12-31")),
        ("2024–2026", _span("2024-01-01", "2026-12-31")),
        ("2024/2026", _span("2024-01-01", "2026-12-31")),
        ("2024-26", _span("2024-01-01", "2026-12-31")),
        ("de 2024 à 2026", _span("2024-01-01", "2026-12-31")),
        ("from 2024 to 2026", _span("2024-01-01", "2026-12-31")),
        ("janvier 2024 - juin 2025", _span("2024-01-01", "2025-06-30")),
        ("janvier - juin 2025", _span("2025-01-01", "2025-06-30")),
        ("du 01/01/2024 au 31/12/2025", _span("2024-01-01", "2025-12-31")),
        ("14/03/2025 - 30/06/2026", _span("2025-03-14", "2026-06-30")),
        ("2025-03-14 - 2026-03-13", _span("2025-03-14", "2026-03-13")),
    ],
)
def test_ranges_run_from_first_to_last_day(text: str, period: Period) -> None:
    assert parse_period(text, TODAY) == period


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("S1 2025", _span("2025-01-01", "2025-06-30")),
        ("S2 2025", _span("2025-07-01", "2025-12-31")),
        ("1er semestre 2025", _span("2025-01-01", "2025-06-30")),
        ("second semestre 2025", _span("2025-07-01", "2025-12-31")),
        ("T3 2025", _span("2025-07-01", "2025-09-30")),
        ("Q3 2025", _span("2025-07-01", "2025-09-30")),
        ("3e trimestre 2025", _span("2025-07-01", "2025-09-30")),
        ("T1 2025", _span("2025-01-01", "2025-03-31")),
        ("été 2025", _span("2025-06-01", "2025-08-31")),
        ("fin 2025", _span("2025-10-01", "2025-12-31")),
        ("début 2026", _span("2026-01-01", "2026-03-31")),
        ("mi-2025", _span("2025-05-01", "2025-08-31")),
        ("fin mars 2025", _span("2025-03-01", "2025-03-31")),
        ("S1 2025 - T3 2026", _span("2025-01-01", "2026-09-30")),
    ],
)
def test_parts_of_years_are_understood(text: str, period: Period) -> None:
    assert parse_period(text, TODAY) == period


@pytest.mark.parametrize(
    "value",
    [
        "en cours",
        "à définir",
        "TBD",
        "",
        "3/25",
        "31/02/2025",
        "29/02/2025",
        "13/2025",
        "32/01/2025",
        "2026-2024",
        "1850",
        "2090",
        12,
        True,
        "hiver 2025",
        "S3 2025",
        "36 mois",
        None,
    ],
)
def test_what_is_not_a_date_raises_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        parse_period(value, TODAY)


def test_ambiguous_short_date_says_how_to_write_it() -> None:
    with pytest.raises(ValueError, match="03/2025"):
        parse_period("3/25", TODAY)


def test_plausible_years_follow_today() -> None:
    assert parse_period("2060", dt.date(2040, 1, 1)).start == dt.date(2060, 1, 1)
    with pytest.raises(ValueError):
        parse_period("2060", TODAY)

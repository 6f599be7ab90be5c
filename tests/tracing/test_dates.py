"""Partial dates of birth."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.tracing.dates import PartialDate, PartialDateError


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_full_dates_round_trip(day: date) -> None:
    parsed = PartialDate.parse(day.isoformat())
    assert str(parsed) == day.isoformat()
    assert parsed.is_full


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("1990-04-12", (1990, 4, 12)),
        ("1990-04", (1990, 4, None)),
        ("1990", (1990, None, None)),
        ("", (None, None, None)),
        ("  ", (None, None, None)),
    ],
)
def test_partial_forms(text: str, parts: tuple[int | None, ...]) -> None:
    d = PartialDate.parse(text)
    assert (d.year, d.month, d.day) == parts


@pytest.mark.parametrize("text", ["1990-13-01", "1990-02-30", "12.04.1990", "90", "1990-4-1"])
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(PartialDateError):
        PartialDate.parse(text)


@given(st.text())
def test_parse_raises_only_partial_date_error(text: str) -> None:
    with contextlib.suppress(PartialDateError):
        PartialDate.parse(text)

"""Partial dates of birth as the tracing engine reads them (the rule is `people.policy`'s)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct import clock
from safeconduct.people import policy
from safeconduct.tracing.dates import PartialDate, PartialDateError

NOW = clock.ManualClock(datetime(2026, 6, 1, tzinfo=UTC))


def test_tracing_uses_the_one_rule() -> None:
    assert PartialDate is policy.PartialDate
    assert PartialDateError is policy.PartialDateError


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)))
def test_full_dates_round_trip(day: date) -> None:
    with clock.using(NOW):
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


@pytest.mark.parametrize(
    "text",
    [
        "1990-13-01",
        "1990-02-30",
        "1990-00",
        "1990-01-00",
        "12.04.1990",
        "90",
        "1990-4-1",
        "19٩٠",  # Arabic-Indic nine and zero
        "１９９０-01-01",  # full-width
        "1899",
        "2027",
        "0000",
    ],
)
def test_malformed_or_implausible_dates_are_refused(text: str) -> None:
    with clock.using(NOW), pytest.raises(PartialDateError) as caught:
        PartialDate.parse(text.strip(" "))
    assert text.strip() not in str(caught.value)  # a date of birth is never echoed


@given(st.text())
def test_parse_raises_only_partial_date_error(text: str) -> None:
    with contextlib.suppress(PartialDateError):
        PartialDate.parse(text)

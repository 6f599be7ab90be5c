"""The one rule for partial dates of birth: shape, ASCII digits, real dates, plausible years."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from safeconduct import clock
from safeconduct.people.policy import PartialDateError, check_partial_date
from safeconduct.schemas_common import BirthDate

IN_2026 = clock.ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
API = TypeAdapter(BirthDate)
# Digits that `\d`, str.isdigit() and int() all take, and no one files a date with.
FOREIGN_DIGITS = ["19٩٠", "١٩٩٠", "۱۹۹۰", "१९९०", "１９９０", "1990-0٤", "1990-04-1２", "𝟏𝟗𝟗𝟎"]


@pytest.mark.parametrize("value", ["1990-02-28", "1990-02", "1990", "2000-02-29", "1900", "2026"])
def test_plausible_partial_dates_are_accepted(value: str) -> None:
    with clock.using(IN_2026):
        assert check_partial_date(value) == value
        assert API.validate_python(f" {value} ") == value


@pytest.mark.parametrize(
    "value",
    [
        "1990-02-30",
        "1990-13",
        "1990-00",
        "1990-01-00",
        "90",
        "1990/02/01",
        "1899",
        "2027",
        "0001-01-01",
        "",
        " ",
        *FOREIGN_DIGITS,
    ],
)
def test_impossible_implausible_or_foreign_dates_are_refused(value: str) -> None:
    with clock.using(IN_2026):
        with pytest.raises(PartialDateError):
            check_partial_date(value)
        with pytest.raises(ValidationError):
            API.validate_python(value)


def test_the_latest_year_follows_the_clock() -> None:
    with clock.using(IN_2026), pytest.raises(PartialDateError, match="1900 and 2026"):
        check_partial_date("2027-01")
    with clock.using(clock.ManualClock(datetime(2027, 1, 1, tzinfo=UTC))):
        assert check_partial_date("2027-01") == "2027-01"


@given(st.text(alphabet="0123456789-٩１ ", max_size=12))
def test_the_api_type_and_the_rule_agree(value: str) -> None:
    with clock.using(IN_2026):
        try:
            expected: str | None = check_partial_date(value.strip())
        except PartialDateError:
            expected = None
        got: str | None = None
        with contextlib.suppress(ValidationError):
            got = API.validate_python(value)
    assert got == expected


@given(st.text())
def test_the_rule_raises_only_its_own_error(value: str) -> None:
    with contextlib.suppress(PartialDateError):
        check_partial_date(value)

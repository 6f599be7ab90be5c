"""The queue's pure rules: references staff can say aloud, which moves need a reason, and
what a note or a reason may hold."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.intake.models import RequestStatus
from safeconduct.intake.policy import (
    MAX_TEXT,
    SHORT_TRIES,
    TextError,
    check_text,
    needs_reason,
    optional_text,
    parse_reference,
    reference,
)

# Written out by hand: Crockford's base 32, without I, L, O and U.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT_REF = re.compile(r"^R-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}$")
LONG_REF = re.compile(r"^R-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{6}$")
references = st.builds(
    lambda seed, attempt: reference(random.Random(seed).choice, attempt=attempt),
    st.integers(),
    st.sampled_from([0, SHORT_TRIES]),
)


@given(seed=st.integers())
def test_a_reference_is_short_and_never_holds_a_lookalike(seed: int) -> None:
    drawn = reference(random.Random(seed).choice)
    assert SHORT_REF.match(drawn), drawn
    assert not set(drawn[2:]) & set("ILOU")


def test_a_crowded_space_draws_longer_references() -> None:
    pick = random.Random(1).choice
    assert SHORT_REF.match(reference(pick, attempt=SHORT_TRIES - 1))
    assert LONG_REF.match(reference(pick, attempt=SHORT_TRIES))


def test_the_generator_draws_only_from_its_source() -> None:
    seen: list[str] = []

    def pick(alphabet: str) -> str:
        seen.append(alphabet)
        return alphabet[-1]

    assert reference(pick) == "R-ZZZZ"
    assert seen == [CROCKFORD] * 4


@given(
    drawn=references,
    lower=st.booleans(),
    prefix=st.sampled_from(["R-", "r-", "R", "", " R - "]),
    spaced=st.booleans(),
    one=st.sampled_from("IL1"),
)
def test_a_reference_is_found_however_it_is_typed(
    drawn: str, lower: bool, prefix: str, spaced: bool, one: str
) -> None:
    # Said on the phone, 1 is heard as I or L and 0 as O.
    typed = drawn[2:].replace("1", one).replace("0", "O")
    typed = " ".join(typed) if spaced else typed
    typed = prefix + (typed.lower() if lower else typed)
    assert parse_reference(typed) == drawn


@pytest.mark.parametrize(
    "typed", ["", "R-", "R-12", "R-12345", "R-1234567", "R-ABCU", "KOVALENKO", "R-7KQ4'--"]
)
def test_what_cannot_be_a_reference_is_none(typed: str) -> None:
    assert parse_reference(typed) is None


def test_only_rejecting_and_withdrawing_need_a_reason() -> None:
    assert {s.value for s in RequestStatus if needs_reason(s)} == {"rejected", "withdrawn"}


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\ufeff\n\t", "\x00\x1b"])
def test_a_note_with_nothing_visible_is_refused(text: str) -> None:
    assert optional_text(text, field="reason") is None
    with pytest.raises(TextError) as refused:
        check_text(text, field="reason")
    assert refused.value.field == "reason"


def test_a_note_keeps_its_lines_and_has_a_limit() -> None:
    assert check_text(" first line\r\nsecond\u200b line ", field="text") == (
        "first line\nsecond line"
    )
    assert len(check_text("x" * MAX_TEXT, field="text")) == MAX_TEXT
    with pytest.raises(TextError, match="at most"):
        check_text("x" * (MAX_TEXT + 1), field="text")

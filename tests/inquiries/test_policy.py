"""The answer ladder and the rules of an inquiry, as pure functions: one test per step, and
the prisoner's consent as a hard constraint whatever the record says."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.bureau import gate
from safeconduct.bureau.gate import Output
from safeconduct.channels.policy import FieldError
from safeconduct.inquiries.policy import (
    MIN_DAYS_TO_ANSWER,
    RELEASE_SPREAD_DAYS,
    Consent,
    RecordFacts,
    Step,
    StepNotSupportedError,
    answer_document,
    check_fields,
    read_answer,
    release_day,
    supported_steps,
)

TOLD = Consent(family_may_be_told=True)
TOLD_WITH_PLACE = Consent(family_may_be_told=True, place_may_be_told=True)
DAY = date(2026, 6, 10)
HELD_VISITED = RecordFacts(custody_status="held", last_visit_on=date(2026, 5, 2),
                           place_of_internment="Camp 7")  # fmt: skip


def _answer(step: Step, facts: RecordFacts | None, consent: Consent | None) -> dict[str, str]:
    doc = answer_document(step, reference="R-ABCD", facts=facts, consent=consent,
                          released_on=DAY)  # fmt: skip
    # Every answer passes the export gate: nothing undeclared reaches an inquirer.
    return dict(gate.admit(Output.INQUIRY_ANSWER, doc).plain())


def test_no_information_is_always_possible_and_says_nothing_else() -> None:
    for facts in (None, HELD_VISITED, RecordFacts(custody_status="deceased")):
        doc = _answer(Step.NO_INFORMATION, facts, TOLD_WITH_PLACE)
        assert set(doc) == {"format", "reference", "step", "answered_on"}
        assert doc["step"] == "no_information"


def test_registered_needs_a_link_and_consent() -> None:
    assert Step.REGISTERED in supported_steps(RecordFacts(custody_status="escaped"), TOLD)
    assert _answer(Step.REGISTERED, RecordFacts(), TOLD)["step"] == "registered"
    with pytest.raises(StepNotSupportedError):
        _answer(Step.REGISTERED, None, TOLD)


def test_in_custody_visited_gives_the_visit_day_and_the_place_only_with_consent() -> None:
    doc = _answer(Step.IN_CUSTODY_VISITED, HELD_VISITED, TOLD)
    assert doc["visited_on"] == "2026-05-02"
    assert "place_of_internment" not in doc
    with_place = _answer(Step.IN_CUSTODY_VISITED, HELD_VISITED, TOLD_WITH_PLACE)
    assert with_place["place_of_internment"] == "Camp 7"


def test_in_custody_needs_a_neutral_visit() -> None:
    unvisited = RecordFacts(custody_status="held")
    assert Step.IN_CUSTODY_VISITED not in supported_steps(unvisited, TOLD)
    with pytest.raises(StepNotSupportedError):
        _answer(Step.IN_CUSTODY_VISITED, unvisited, TOLD)


@pytest.mark.parametrize("status", ["released", "repatriated"])
def test_released_or_repatriated(status: str) -> None:
    facts = RecordFacts(custody_status=status, place_of_internment="Camp 7")
    assert supported_steps(facts, TOLD_WITH_PLACE)[-1] == Step.RELEASED
    doc = _answer(Step.RELEASED, facts, TOLD_WITH_PLACE)
    assert doc["step"] == "released"
    assert "place_of_internment" not in doc


def test_deceased() -> None:
    facts = RecordFacts(custody_status="deceased", place_of_internment="Camp 7")
    assert supported_steps(facts, TOLD)[-1] == Step.DECEASED
    assert set(_answer(Step.DECEASED, facts, TOLD_WITH_PLACE)) == {
        "format", "reference", "step", "answered_on"}  # fmt: skip


statuses = st.sampled_from(
    [None, "held", "hospitalised", "escaped", "released", "repatriated", "deceased"]
)
facts_st = st.builds(
    RecordFacts,
    erased=st.booleans(),
    custody_status=statuses,
    last_visit_on=st.none() | st.dates(),
    place_of_internment=st.none() | st.text(min_size=1, max_size=20),
)
withheld = st.none() | st.builds(Consent, st.just(False), st.booleans())


@given(facts=facts_st, consent=withheld)
def test_without_consent_only_no_information_whatever_the_record_says(
    facts: RecordFacts, consent: Consent | None
) -> None:
    assert supported_steps(facts, consent) == (Step.NO_INFORMATION,)
    for step in Step:
        if step is not Step.NO_INFORMATION:
            with pytest.raises(StepNotSupportedError):
                _answer(step, facts, consent)


@given(facts=facts_st, consent=st.none() | st.builds(Consent, st.booleans(), st.booleans()))
def test_an_answer_never_carries_more_than_the_ladder_allows(
    facts: RecordFacts, consent: Consent | None
) -> None:
    for step in supported_steps(facts, consent):
        doc = _answer(step, facts, consent)
        assert set(doc) <= {"format", "reference", "step", "answered_on", "visited_on",
                            "place_of_internment"}  # fmt: skip
        if "place_of_internment" in doc:
            assert consent is not None
            assert consent.place_may_be_told
            assert step == Step.IN_CUSTODY_VISITED
        assert read_answer(json.dumps(doc)) == {k: str(v) for k, v in doc.items()}


@given(
    received=st.dates(), delay=st.integers(0, 60), spread=st.integers(0, RELEASE_SPREAD_DAYS - 1)
)
def test_an_answer_is_never_read_on_the_day_it_is_given_nor_soon_after_the_inquiry(
    received: date, delay: int, spread: int
) -> None:
    if received > date(9000, 1, 1):
        return
    answered = received + timedelta(days=delay)
    day = release_day(received, answered, spread)
    assert day > answered
    assert day >= received + timedelta(days=MIN_DAYS_TO_ANSWER)


def test_a_plain_reply_is_not_an_answer() -> None:
    assert read_answer("Thank you, we are looking.") is None
    assert read_answer('{"format": "other"}') is None
    assert read_answer("{not json") is None


def _form(**changes: str) -> dict[str, str]:
    values = {"surname": "Коваленко", "given_name": "Петро", "contact": "+380 50 000 0000",
              "relationship": "parent"}  # fmt: skip
    return values | changes


@pytest.mark.parametrize(
    ("field", "value"),
    [("surname", ""), ("given_name", " "), ("contact", ""), ("date_of_birth", "1990-13-01"),
     ("relationship", "neighbour"), ("language", "de"), ("surname", "x" * 101),
     ("place_last_seen", "y" * 201)],
)  # fmt: skip
def test_bad_fields_are_refused_by_name_never_by_value(field: str, value: str) -> None:
    with pytest.raises(FieldError) as caught:
        check_fields(_form(**{field: value}))
    assert caught.value.field == field
    if len(value) > 3:
        assert value not in str(caught.value)


def test_names_keep_one_line_without_control_characters() -> None:
    kept = check_fields(_form(surname="Ко\u200bвален\nко", given_name="  Петро  "))
    assert kept.surname == "Коваленко"
    assert kept.given_name == "Петро"
    assert kept.language == "ru"

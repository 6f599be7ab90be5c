"""The custody state machine: which event may follow which status, where each leads, and
that no sequence of events leaves a final state or depends on refused moves."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from safeconduct.custody import policy
from safeconduct.custody.models import CustodyEventKind as K
from safeconduct.custody.models import CustodyStatus as S
from safeconduct.custody.schemas import CustodyEventCreate

# Written out by hand, not derived from the policy's tables: what each status allows next.
EXPECTED_NEXT: dict[S, set[K]] = {
    S.HELD: {K.TRANSFER, K.HOSPITALISATION, K.RELEASE, K.REPATRIATION, K.ESCAPE, K.DEATH},
    S.HOSPITALISED: {K.DISCHARGE, K.RELEASE, K.REPATRIATION, K.ESCAPE, K.DEATH},
    S.ESCAPED: {K.RECAPTURE, K.DEATH},
    S.RELEASED: set(),
    S.REPATRIATED: set(),
    S.DECEASED: set(),
}
EXPECTED_TARGET = {
    K.TRANSFER: S.HELD,
    K.HOSPITALISATION: S.HOSPITALISED,
    K.DISCHARGE: S.HELD,
    K.RELEASE: S.RELEASED,
    K.REPATRIATION: S.REPATRIATED,
    K.ESCAPE: S.ESCAPED,
    K.RECAPTURE: S.HELD,
    K.DEATH: S.DECEASED,
}
FINAL = {S.RELEASED, S.REPATRIATED, S.DECEASED}
kinds = st.lists(st.sampled_from(list(K)), max_size=40)


@pytest.mark.parametrize("status", list(S))
def test_each_status_allows_exactly_the_expected_events(status: S) -> None:
    assert set(policy.allowed(status)) == EXPECTED_NEXT[status]
    for kind in K:
        if kind in EXPECTED_NEXT[status]:
            assert policy.next_status(status, kind) is EXPECTED_TARGET[kind]
        else:
            with pytest.raises(policy.RefusedMoveError) as refused:
                policy.next_status(status, kind)
            # The refusal names the current state, the event and the state asked for.
            assert (refused.value.current, refused.value.kind) == (status, kind)
            assert refused.value.target is EXPECTED_TARGET[kind]


def test_the_final_states_are_release_repatriation_and_death() -> None:
    assert policy.FINAL == FINAL
    assert all(policy.allowed(s) == [] for s in FINAL)
    # From every other status some event ends the custody: none is a dead end.
    for status in set(S) - FINAL:
        assert {EXPECTED_TARGET[k] for k in policy.allowed(status)} & FINAL


def _apply(kinds: list[K]) -> tuple[S, list[K], list[S]]:
    """Apply events one by one as the service does: a refused move changes nothing.
    Return the final status, the events taken, and the status after each event offered."""
    status, taken, trail = S.HELD, [], []
    for kind in kinds:
        if policy.can_follow(status, kind):
            status = policy.next_status(status, kind)
            taken.append(kind)
        else:
            with pytest.raises(policy.RefusedMoveError) as refused:
                policy.next_status(status, kind)
            assert refused.value.current is status
        trail.append(status)
    return status, taken, trail


@given(kinds)
def test_no_sequence_of_events_leaves_a_final_state(kinds: list[K]) -> None:
    _status, _taken, trail = _apply(kinds)
    for before, after in itertools.pairwise(trail):
        if before in FINAL:
            assert after is before


@given(kinds)
def test_replaying_the_events_taken_gives_the_status(kinds: list[K]) -> None:
    status, taken, _trail = _apply(kinds)
    assert policy.replay(taken) is status
    # Each event taken leads where its kind says, whatever came before.
    if taken:
        assert status is EXPECTED_TARGET[taken[-1]]


@given(kinds, st.sampled_from(list(K)))
def test_a_refused_move_changes_nothing(kinds: list[K], extra: K) -> None:
    status, taken, _trail = _apply(kinds)
    if policy.can_follow(status, extra):
        return
    with pytest.raises(policy.RefusedMoveError):
        policy.replay([*taken, extra])
    # The sequence without the refused move still replays to the same status.
    assert policy.replay(taken) is status


def test_replay_refuses_an_impossible_sequence() -> None:
    with pytest.raises(policy.RefusedMoveError):
        policy.replay([K.RELEASE, K.RELEASE])
    with pytest.raises(policy.RefusedMoveError):
        policy.replay([K.DISCHARGE])
    assert policy.replay([K.ESCAPE, K.RECAPTURE, K.HOSPITALISATION]) is S.HOSPITALISED


@pytest.mark.parametrize(
    ("day", "previous", "problem"),
    [
        (date(2026, 3, 1), None, None),
        (date(2026, 2, 28), None, "custody began"),
        (date(2026, 3, 10), date(2026, 3, 10), None),
        (date(2026, 3, 9), date(2026, 3, 10), "previous event"),
    ],
)
def test_an_event_day_is_not_before_the_custody_nor_the_previous_event(
    day: date, previous: date | None, problem: str | None
) -> None:
    found = policy.date_problem(day, since=date(2026, 3, 1), previous=previous)
    assert (found is None) if problem is None else (found is not None and problem in found)


def _refused_fields(body: dict[str, object]) -> set[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as caught:
        CustodyEventCreate.model_validate(body)
    return {tuple(e["loc"]) for e in caught.value.errors()}


BASE = {"occurred_on": "2026-03-05", "reason": "as ordered"}


@pytest.mark.parametrize("kind", ["transfer", "hospitalisation", "recapture"])
def test_an_event_at_a_place_needs_the_place(kind: str) -> None:
    assert _refused_fields({**BASE, "kind": kind}) == {("place",)}
    assert CustodyEventCreate.model_validate({**BASE, "kind": kind, "place": "Camp 2"})


def test_a_death_keeps_its_place_out_of_the_plain_column() -> None:
    assert _refused_fields({**BASE, "kind": "death", "place": "ward 3"}) == {("place",)}
    event = CustodyEventCreate.model_validate(
        {**BASE, "kind": "death", "details": {"place": "ward 3", "cause": "illness"}}
    )
    assert event.place is None
    assert event.details is not None


def test_only_a_death_has_sealed_details() -> None:
    body = {**BASE, "kind": "release", "details": {"cause": "x"}}
    assert _refused_fields(body) == {("details",)}


@pytest.mark.parametrize("reason", ["", "  ", "ab", "x" * 1001])
def test_an_event_needs_a_reason(reason: str) -> None:
    assert _refused_fields({**BASE, "kind": "release", "reason": reason}) == {("reason",)}


@pytest.mark.parametrize("day", ["1949-08-11", "9999-12-31", "２０２６-03-05"])
def test_an_event_day_is_plausible(day: str) -> None:
    assert _refused_fields({**BASE, "kind": "release", "occurred_on": day}) == {("occurred_on",)}

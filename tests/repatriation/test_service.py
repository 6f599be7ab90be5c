"""Wishes and exchange lists through the services: the builder, four eyes, freezing and
invalidation, each on its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeconduct.repatriation import exchange
from safeconduct.repatriation.models import ExchangeEvent, ListStatus, Wish
from safeconduct.runtime import Runtime
from tests.repatriation.conftest import (
    BUILDER,
    TODAY,
    approve,
    build,
    held,
    interview,
    new_event,
    statement,
)


def _view(rt: Runtime, event_id: str) -> exchange.ExchangeListRead:
    with rt.transaction() as s:
        event = s.get(ExchangeEvent, event_id)
        assert event is not None
        return exchange.view(s, event=event)


def test_the_builder_proposes_only_fresh_verified_returns(rt: Runtime) -> None:
    wants = held(rt, "A")
    stays = held(rt, "B")
    old = held(rt, "C")
    changed = held(rt, "D")
    unheard = held(rt, "E")
    before = held(rt, "F")
    interview(rt, wants.person_id)
    interview(rt, stays.person_id, Wish.STAY)
    interview(rt, old.person_id, held_on=TODAY - timedelta(days=40))
    interview(rt, changed.person_id)
    statement(rt, changed.person_id, Wish.UNDECIDED)
    interview(rt, before.person_id, private=False)
    event = new_event(rt, TODAY + timedelta(days=10))
    proposed = build(rt, event.id)
    assert proposed == [wants.person_id]
    assert unheard.person_id not in proposed


def test_the_author_cannot_approve_and_another_officer_can(rt: Runtime) -> None:
    custody = held(rt)
    interview(rt, custody.person_id)
    event = new_event(rt, TODAY + timedelta(days=10))
    build(rt, event.id)
    with pytest.raises(exchange.ListConflictError) as refused:
        approve(rt, event.id, BUILDER)
    assert refused.value.problems == [(None, "own_list")]
    approve(rt, event.id)
    view = _view(rt, event.id)
    assert view.status is ListStatus.APPROVED
    assert view.sha256 is not None


def test_a_statement_after_approval_invalidates_and_names_the_person(rt: Runtime) -> None:
    one, two = held(rt, "A"), held(rt, "B")
    interview(rt, one.person_id)
    interview(rt, two.person_id)
    event = new_event(rt, TODAY + timedelta(days=10))
    build(rt, event.id)
    approve(rt, event.id)
    statement(rt, two.person_id, Wish.STAY)
    view = _view(rt, event.id)
    assert view.status is ListStatus.INVALIDATED
    assert [(i.person_id, i.reason.value) for i in view.invalidations] == [
        (two.person_id, "unverified")
    ]

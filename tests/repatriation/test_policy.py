"""The rules in `repatriation.policy`, pure: the wish in effect against the plain rule of
`reference` over generated histories, the builder's order, and the reasons the exchange
role is told (never a wish)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from safeconduct.custody.models import CustodyStatus
from safeconduct.repatriation import policy
from safeconduct.repatriation.models import Category, Wish, WishSource
from safeconduct.repatriation.policy import Heard, Ineligible, Standing, WishFinding
from tests.repatriation import reference

DAY = date(2027, 6, 1)

heard = st.builds(
    Heard,
    number=st.just(0),
    wish=st.sampled_from(Wish),
    source=st.sampled_from(WishSource),
    stated_on=st.integers(-90, 0).map(lambda d: DAY + timedelta(days=d)),
    without_witnesses=st.sampled_from([True, False, None]),
)
histories = st.lists(heard, max_size=8).map(
    lambda rs: [
        Heard(i + 1, r.wish, r.source, r.stated_on, r.without_witnesses) for i, r in enumerate(rs)
    ]
)


def _said(records: list[Heard]) -> list[reference.Said]:
    return [reference.Said(r.number, r.wish.value, r.verifies, r.stated_on) for r in records]


@given(records=histories, ahead=st.integers(0, 60), window=st.integers(1, 60))
def test_the_wish_in_effect_is_the_rule(records: list[Heard], ahead: int, window: int) -> None:
    on = DAY + timedelta(days=ahead)
    found = policy.effective_wish(records, on=on, window_days=window)
    assert found.returns == reference.fresh_return(
        _said(records), exchange_on=on, window_days=window
    )


@given(records=histories)
def test_order_of_recording_not_day_decides_what_is_later(records: list[Heard]) -> None:
    # Shuffling the input changes nothing: records are ordered by number.
    found = policy.effective_wish(list(reversed(records)), on=DAY, window_days=30)
    assert found == policy.effective_wish(records, on=DAY, window_days=30)


def test_a_later_statement_of_another_wish_ends_a_verified_return_at_once() -> None:
    verified = Heard(1, Wish.RETURN, WishSource.INTERVIEW, DAY, True)
    assert policy.effective_wish([verified], on=DAY, window_days=30).returns
    same = Heard(2, Wish.RETURN, WishSource.STATEMENT, DAY, None)
    assert policy.effective_wish([verified, same], on=DAY, window_days=30).returns
    changed = Heard(3, Wish.UNDECIDED, WishSource.STATEMENT, DAY - timedelta(days=5), None)
    found = policy.effective_wish([verified, same, changed], on=DAY, window_days=30)
    assert found.finding is WishFinding.CHANGED
    heard_again = Heard(4, Wish.RETURN, WishSource.INTERVIEW, DAY, True)
    assert policy.effective_wish([verified, changed, heard_again], on=DAY, window_days=30).returns


def test_an_interview_before_witnesses_verifies_nothing() -> None:
    public = Heard(1, Wish.RETURN, WishSource.INTERVIEW, DAY, False)
    assert (
        policy.effective_wish([public], on=DAY, window_days=30).finding is WishFinding.NO_INTERVIEW
    )


def test_freshness_counts_back_from_the_exchange_day() -> None:
    verified = Heard(1, Wish.RETURN, WishSource.INTERVIEW, DAY, True)
    assert policy.effective_wish([verified], on=DAY + timedelta(days=30), window_days=30).returns
    stale = policy.effective_wish([verified], on=DAY + timedelta(days=31), window_days=30)
    assert stale.finding is WishFinding.STALE


def _standing(status: CustodyStatus | None, wish: Wish, place: str = "Camp 1") -> Standing:
    records = (Heard(1, wish, WishSource.INTERVIEW, DAY, True),)
    custody = None if status is None else "c1"
    return Standing("p1", records, custody, status, place)


def test_the_exchange_role_is_never_told_the_wish() -> None:
    stays = policy.ineligible(_standing(CustodyStatus.HELD, Wish.STAY), on=DAY, window_days=30)
    undecided = policy.ineligible(
        _standing(CustodyStatus.HELD, Wish.UNDECIDED), on=DAY, window_days=30
    )
    assert stays is undecided is Ineligible.UNVERIFIED
    late = policy.ineligible(
        _standing(CustodyStatus.HELD, Wish.RETURN), on=DAY + timedelta(days=40), window_days=30
    )
    assert late is Ineligible.STALE
    assert {r.value for r in Ineligible}.isdisjoint({w.value for w in Wish})


def test_custody_reasons_come_before_the_wish() -> None:
    for status, why in policy.CUSTODY_REASONS.items():
        assert policy.ineligible(_standing(status, Wish.RETURN), on=DAY, window_days=30) is why
    gone = policy.ineligible(_standing(None, Wish.RETURN), on=DAY, window_days=30)
    assert gone is Ineligible.NOT_IN_CUSTODY
    moved = policy.ineligible(
        _standing(CustodyStatus.HELD, Wish.RETURN, "Camp 2"), on=DAY, window_days=30,
        custody_id="c1", place="Camp 1",
    )  # fmt: skip
    assert moved is Ineligible.TRANSFERRED
    here = _standing(CustodyStatus.HOSPITALISED, Wish.RETURN)
    assert policy.ineligible(here, on=DAY, window_days=30, custody_id="c1", place="Camp 1") is None


def test_the_builder_takes_the_sick_first_then_the_longest_held_up_to_each_quota() -> None:
    def candidate(pid: str, category: Category, ill: bool, days: int) -> policy.Candidate:
        return policy.Candidate(pid, f"c-{pid}", category, ill, DAY - timedelta(days=days))

    pool = [
        candidate("a", Category.ENLISTED, False, 10),
        candidate("b", Category.ENLISTED, False, 300),
        candidate("c", Category.ENLISTED, False, 200),
        candidate("d", Category.WOUNDED_SICK, True, 5),
        candidate("e", Category.OFFICER, False, 50),
    ]
    quotas = {Category.WOUNDED_SICK: 1, Category.OFFICER: 0, Category.ENLISTED: 2}
    assert [c.person_id for c in policy.proposal(pool, quotas)] == ["d", "b", "c"]


def test_category_puts_the_seriously_ill_before_rank() -> None:
    assert policy.category_of("major", True) is Category.WOUNDED_SICK
    assert policy.category_of("major", False) is Category.OFFICER
    assert policy.category_of("sergeant", False) is Category.ENLISTED
    assert policy.category_of(None, False) is Category.ENLISTED

"""The rules of guarantee 3, pure: what a person's wish is in effect on a day, who may be on
an exchange list, in which category, and in which order the builder proposes them.

Only a fresh, verified wish to return makes a person eligible. A wish is verified by a
neutral verifier's private interview (held without witnesses); it is fresh when the
interview was held within the window before the exchange; and a later record of any other
wish (a statement to welfare, an interview with witnesses) contradicts it at once, until the
verifier hears the person again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from safeconduct.custody.models import CustodyStatus
from safeconduct.repatriation.models import Category, Wish, WishSource

DEFAULT_WINDOW_DAYS = 30
# Ranks that make an officer (people.ranks); any other rank, or none, is enlisted.
OFFICER_RANKS = frozenset({"lieutenant", "senior lieutenant", "captain", "major"})
CATEGORY_ORDER: tuple[Category, ...] = (Category.WOUNDED_SICK, Category.OFFICER, Category.ENLISTED)
# A custody in one of these has its person there to hand over.
PRESENT = frozenset({CustodyStatus.HELD, CustodyStatus.HOSPITALISED})


class WishFinding(StrEnum):
    """Why a wish is or is not in effect, for the verifier (who may know the wish)."""

    VERIFIED = "verified"
    NO_INTERVIEW = "no_interview"  # no private interview yet
    STALE = "stale"  # the interview was held before the window
    CHANGED = "changed"  # a later record says otherwise


class Ineligible(StrEnum):
    """Why a person may not be on an exchange list, as the exchange role is told it. The
    wish itself is never among the reasons: "unverified" covers a verified wish to stay,
    an undecided one, a changed one and none at all."""

    UNVERIFIED = "unverified"  # no fresh verified wish to return
    STALE = "stale"  # a verified wish to return, heard before the window
    NOT_IN_CUSTODY = "not_in_custody"
    DECEASED = "deceased"
    ESCAPED = "escaped"
    RELEASED = "released"
    REPATRIATED = "repatriated"
    TRANSFERRED = "transferred"  # moved since the list was approved
    ERASED = "erased"


@dataclass(frozen=True, slots=True)
class Heard:
    """One wish record as the rules need it."""

    number: int
    wish: Wish
    source: WishSource
    stated_on: date
    without_witnesses: bool | None = None

    @property
    def verifies(self) -> bool:
        """A private interview verifies; one held before witnesses is only a statement."""
        return self.source is WishSource.INTERVIEW and self.without_witnesses is True


@dataclass(frozen=True, slots=True)
class EffectiveWish:
    """The wish in effect on a day: `wish` is set only when `finding` is VERIFIED."""

    finding: WishFinding
    wish: Wish | None = None
    verified_on: date | None = None
    # The wish last verified, whether or not it is still in effect (the verifier's view).
    last_verified: Wish | None = None

    @property
    def returns(self) -> bool:
        return self.finding is WishFinding.VERIFIED and self.wish is Wish.RETURN


def effective_wish(records: Iterable[Heard], *, on: date, window_days: int) -> EffectiveWish:
    """The wish in effect for an exchange on day `on`: the latest private interview's
    finding if it was held on or after `on - window_days` and nothing recorded after it
    says otherwise; else no wish in effect, with the reason."""
    ordered = sorted(records, key=lambda r: r.number)
    interview = next((r for r in reversed(ordered) if r.verifies), None)
    if interview is None:
        return EffectiveWish(WishFinding.NO_INTERVIEW)
    last = interview.wish
    if any(r.number > interview.number and r.wish is not last for r in ordered):
        return EffectiveWish(WishFinding.CHANGED, last_verified=last)
    if interview.stated_on < on - timedelta(days=window_days):
        return EffectiveWish(WishFinding.STALE, verified_on=interview.stated_on, last_verified=last)
    return EffectiveWish(WishFinding.VERIFIED, last, interview.stated_on, last)


def wish_reason(effective: EffectiveWish) -> Ineligible | None:
    """The exchange role's reason for a wish that does not make one eligible, or None."""
    if effective.returns:
        return None
    if effective.finding is WishFinding.STALE and effective.last_verified is Wish.RETURN:
        return Ineligible.STALE
    return Ineligible.UNVERIFIED


CUSTODY_REASONS: dict[CustodyStatus, Ineligible] = {
    CustodyStatus.DECEASED: Ineligible.DECEASED,
    CustodyStatus.ESCAPED: Ineligible.ESCAPED,
    CustodyStatus.RELEASED: Ineligible.RELEASED,
    CustodyStatus.REPATRIATED: Ineligible.REPATRIATED,
}


@dataclass(frozen=True, slots=True)
class Standing:
    """What eligibility turns on for one person: their custody now (None when they have
    none), whether they were erased, and their wish records."""

    person_id: str
    records: tuple[Heard, ...]
    custody_id: str | None
    status: CustodyStatus | None
    place: str | None
    erased: bool = False
    since: date | None = None  # the custody's first day


def ineligible(
    standing: Standing,
    *,
    on: date,
    window_days: int,
    custody_id: str | None = None,
    place: str | None = None,
) -> Ineligible | None:
    """Why a person may not be on a list for an exchange on day `on`, or None when they
    may. Given the custody and place a list holds them in, a different custody or place
    (a transfer, a new capture) is a reason too."""
    if standing.erased:
        return Ineligible.ERASED
    if standing.status is None or standing.custody_id is None:
        return Ineligible.NOT_IN_CUSTODY
    if standing.status not in PRESENT:
        return CUSTODY_REASONS.get(standing.status, Ineligible.NOT_IN_CUSTODY)
    if custody_id is not None and custody_id != standing.custody_id:
        return Ineligible.NOT_IN_CUSTODY
    if place is not None and place != standing.place:
        return Ineligible.TRANSFERRED
    return wish_reason(effective_wish(standing.records, on=on, window_days=window_days))


def category_of(rank: str | None, seriously_ill: bool) -> Category:
    """The category a person is exchanged in: the seriously wounded and sick before rank."""
    if seriously_ill:
        return Category.WOUNDED_SICK
    return Category.OFFICER if rank in OFFICER_RANKS else Category.ENLISTED


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible person as the builder orders them."""

    person_id: str
    custody_id: str
    category: Category
    seriously_ill: bool
    since: date


def proposal(candidates: Iterable[Candidate], quotas: dict[Category, int]) -> list[Candidate]:
    """Whom the builder proposes: per category, up to its quota, the seriously wounded and
    sick first, then the longest in custody (then by id, so the proposal is stable)."""
    by_category: dict[Category, list[Candidate]] = {c: [] for c in CATEGORY_ORDER}
    for candidate in candidates:
        by_category[candidate.category].append(candidate)
    chosen: list[Candidate] = []
    for category in CATEGORY_ORDER:
        ranked = sorted(
            by_category[category], key=lambda c: (not c.seriously_ill, c.since, c.person_id)
        )
        chosen.extend(ranked[: max(0, quotas.get(category, 0))])
    return chosen


def interview_window(planned_on: date, window_days: int) -> tuple[date, date]:
    """The days an interview must fall between to be fresh for an exchange on `planned_on`."""
    return planned_on - timedelta(days=window_days), planned_on


def needs_interview(
    records: Sequence[Heard], *, planned_on: date, window_days: int
) -> WishFinding | None:
    """For the verifier's schedule: why this person must be heard before the exchange
    (no interview, one that will be stale, a change since), or None when the wish in
    effect on the planned day is verified."""
    found = effective_wish(records, on=planned_on, window_days=window_days)
    return None if found.finding is WishFinding.VERIFIED else found.finding

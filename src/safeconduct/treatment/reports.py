"""What the duties engine tells people outside the bureau: the overdue duties per place of
internment, for the protecting power. Counts only: no names, no ids, nothing sealed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy.orm import Session

from safeconduct.bureau import gate
from safeconduct.bureau.gate import Output
from safeconduct.treatment import engine, policy
from safeconduct.treatment.policy import DEFAULT_TERMS, DutyState, Terms

OVERDUE_COLUMNS = ("place", "duty", "article", "overdue", "escalated")


@dataclass(frozen=True, slots=True)
class OverdueLine:
    """How many custodies at a place are behind on one duty."""

    place: str
    duty: str
    article: str
    overdue: int
    escalated: int


def overdue(
    session: Session, *, today: date, terms: Terms = DEFAULT_TERMS, place: str | None = None
) -> list[OverdueLine]:
    """Every (place, duty) with a custody overdue or escalated on `today`, by place then in
    the order of `policy.duties`."""
    found = engine.counts(session, today=today, terms=terms)
    lines: list[OverdueLine] = []
    for where in sorted({p for p, _d, _s in found if place is None or p == place}):
        for duty in policy.duties(terms):
            late = found.get((where, duty.code, DutyState.OVERDUE), 0)
            worse = found.get((where, duty.code, DutyState.ESCALATED), 0)
            if late or worse:
                lines.append(OverdueLine(where, duty.code, duty.article, late, worse))
    return lines


def overdue_csv(lines: list[OverdueLine]) -> str:
    """The lines as CSV with a header row (RFC 4180 line ends), through the export gate."""
    rows = [gate.admit(Output.OVERDUE_DUTIES, asdict(line)) for line in lines]
    return gate.csv_text(rows, OVERDUE_COLUMNS)

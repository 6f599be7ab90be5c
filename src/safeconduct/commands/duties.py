"""`safeconduct duties report`: how many custodies stand in each state of each GC III duty,
per place of internment, on a day. Counts only: no name, no id, nothing sealed.

It reads the database alone, as `db reindex` does: no key is opened, so a cron job that
runs it needs none. Exit 0, or 1 when any duty is escalated, for that cron job to alert.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from safeconduct import clock
from safeconduct.commands.common import DbOption, settings_for
from safeconduct.db import make_engine, make_sessionmaker
from safeconduct.treatment import engine as duties_engine
from safeconduct.treatment import policy
from safeconduct.treatment.policy import Duty, DutyState

duties_app = typer.Typer(help="The detaining power's duties under GC III.", no_args_is_help=True)

# The columns, in the order a duty moves through them, and their headings.
STATES: tuple[tuple[DutyState, str], ...] = (
    (DutyState.MET, "met"),
    (DutyState.DUE, "due"),
    (DutyState.OVERDUE, "overdue"),
    (DutyState.ESCALATED, "escalated"),
    (DutyState.NOT_APPLICABLE, "n/a"),
)
STYLES = {DutyState.OVERDUE: "yellow", DutyState.ESCALATED: "bold red"}

Counts = dict[tuple[str, str, DutyState], int]

AtOption = Annotated[
    datetime | None,
    typer.Option(
        "--at",
        formats=["%Y-%m-%d"],
        help="The day to report on, YYYY-MM-DD (default: today, UTC).",
        show_default=False,
    ),
]
PlaceOption = Annotated[str | None, typer.Option("--place", help="Only this place of internment.")]


def _count(found: Counts, place: str, duty: Duty, state: DutyState) -> int:
    return found.get((place, duty.code, state), 0)


def _cell(n: int, state: DutyState) -> str:
    style = STYLES.get(state)
    return f"[{style}]{n}[/{style}]" if style and n else str(n)


def _table(found: Counts, place: str, duties: tuple[Duty, ...], day: date) -> Table:
    # Every custody held at the place has one state of each duty: any duty's row sums
    # to how many are held there.
    held = sum(_count(found, place, duties[0], s) for s, _ in STATES) if duties else 0
    table = Table(
        title=f"{escape(place)}: {held} in custody on {day.isoformat()}",
        title_justify="left",
        caption="n/a: not applicable (the duty has not started for them)",
        caption_justify="left",
    )
    table.add_column("duty")
    table.add_column("article")
    for _state, heading in STATES:
        table.add_column(heading, justify="right")
    for duty in duties:
        cells = [_cell(_count(found, place, duty, s), s) for s, _ in STATES]
        table.add_row(duty.code, f"Art. {duty.article}", *cells)
    return table


def _totals(found: Counts, places: list[str]) -> dict[DutyState, int]:
    return {
        state: sum(n for (p, _d, s), n in found.items() if s is state and p in places)
        for state, _ in STATES
    }


@duties_app.command("report")
def duties_report(
    at: AtOption = None,
    place: PlaceOption = None,
    db: DbOption = None,
) -> None:
    """Print, per place of internment, how many custodies are met, due, overdue, escalated
    or not concerned for each duty on the day; exit 1 when any duty is escalated."""
    settings = settings_for(db)
    day = at.date() if at is not None else clock.today()
    terms = policy.terms_of(settings)
    engine = make_engine(settings.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            found = duties_engine.counts(session, today=day, terms=terms)
    finally:
        engine.dispose()
    places = sorted({p for p, _d, _s in found if place is None or p == place})
    duties = policy.duties(terms)
    out = Console()
    for where in places:
        out.print(_table(found, where, duties, day))
    if place is not None and not places:
        out.print(f"no one is in custody at {escape(place)} on {day.isoformat()}")
    totals = _totals(found, places)
    line = ", ".join(f"{state.value.replace('_', ' ')} {totals[state]}" for state, _ in STATES)
    out.print(f"total on {day.isoformat()}: {line}", soft_wrap=True)
    if totals[DutyState.ESCALATED]:
        raise typer.Exit(1)


@duties_app.command("rebuild")
def duties_rebuild(db: DbOption = None) -> None:
    """Make every custody's duty marks again from the treatment events (they are kept on
    every write; this is for a store restored or loaded in bulk)."""
    settings = settings_for(db)
    engine = make_engine(settings.db_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            made = duties_engine.rebuild(session)
    finally:
        engine.dispose()
    Console().print(f"duty marks made for {made} custodies")

"""`safeconduct retention`: destroy channel data that has served."""

from __future__ import annotations

from typing import Annotated

import typer

from safeconduct.channels import retention
from safeconduct.commands.common import DbOption, console, runtime_for, settings_for
from safeconduct.db import today
from safeconduct.inquiries import retention as inquiry_retention

retention_app = typer.Typer(help="Two-stage retention of channel data.", no_args_is_help=True)

DaysOption = Annotated[
    int | None,
    typer.Option(
        "--days",
        min=0,
        max=3650,
        help="The period in days (default: SAFECONDUCT_RETENTION_DAYS, 30).",
    ),
]


@retention_app.command("run")
def retention_run(db: DbOption = None, days: DaysOption = None) -> None:
    """Destroy the channel data (contact, content, notes, replies) of every request closed,
    withdrawn, rejected or accepted at least the period ago, and the personal data of every
    family inquiry closed that long ago, by destroying their data keys; `serve` does it
    daily. Each destruction is audited; running it again destroys nothing more."""
    rt = runtime_for(settings_for(db))
    period = rt.settings.retention_days if days is None else days
    try:
        destroyed = retention.run_all(rt, days=days)
        with rt.transaction() as session:
            forgotten = inquiry_retention.run(
                session, keyring=rt.keyring, audit=rt.audit, on=today(), days=period
            )
    finally:
        rt.close()
    console.print(f"requests whose channel data was destroyed: {destroyed} (period {period} days)")
    console.print(f"family inquiries whose personal data was destroyed: {forgotten}")

"""`safeconduct channels`: integrations (bots, phone lines) and the public face's inbox."""

from __future__ import annotations

import typer

from safeconduct.channels import service as channels
from safeconduct.commands.common import DbOption, console, fail, runtime_for, settings_for

channels_app = typer.Typer(
    help="Surrender channels: integrations and the inbox.", no_args_is_help=True
)


@channels_app.command("ingest")
def channels_ingest(db: DbOption = None) -> None:
    """Take the public face's inbox into the intake queue now (`serve` does it every few
    seconds): open each submission with the private intake key, re-seal it, delete the box."""
    rt = runtime_for(settings_for(db))
    try:
        total = channels.IngestReport()
        while True:
            with rt.transaction() as session:
                report = channels.ingest(
                    session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit
                )
            total.requests += report.requests
            total.messages += report.messages
            total.dropped += report.dropped
            if report.requests + report.messages + report.dropped == 0:
                break
    except channels.ChannelsNotConfiguredError as exc:
        raise fail(str(exc)) from None
    finally:
        rt.close()
    console.print(
        f"taken in: {total.requests} requests, {total.messages} messages"
        f" ({total.dropped} messages to closed requests dropped)"
    )

"""`safeconduct channels`: integrations (bots, phone lines) and the public face's inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from safeconduct.channels import integrations
from safeconduct.channels import service as channels
from safeconduct.channels.models import Integration, IntegrationKind
from safeconduct.commands.common import (
    DbOption,
    cli_actor,
    console,
    fail,
    runtime_for,
    settings_for,
)
from safeconduct.inquiries import service as inquiries
from safeconduct.runtime import ChannelKeys, Runtime

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
        asked = 0
        while True:
            with rt.transaction() as session:
                taken = inquiries.ingest(
                    session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit
                )
            asked += taken
            if taken == 0:
                break
    except channels.ChannelsNotConfiguredError as exc:
        raise fail(str(exc)) from None
    finally:
        rt.close()
    console.print(
        f"taken in: {total.requests} requests, {total.messages} messages"
        f" ({total.dropped} messages to closed requests dropped), {asked} family inquiries"
    )


# Integrations ----------------------------------------------------------------------------

BOT_TOKEN_BYTES = 1024


def _keys(rt: Runtime) -> ChannelKeys:
    if rt.channels is None:
        raise fail("the channel keys are not configured (SAFECONDUCT_CHANNEL_*_FILE)")
    return rt.channels


def _integration(session: Session, name: str) -> Integration:
    found = integrations.get_by_name(session, name)
    if found is None:
        raise fail(f"no integration named {name!r}")
    return found


def _read_token(path: Path) -> str:
    """The bot token from its file (never from the command line, where `ps` and the shell
    history would keep it)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(BOT_TOKEN_BYTES + 1)
    except OSError as exc:
        raise fail(f"cannot read the bot token file: {type(exc).__name__}") from None
    if len(data) > BOT_TOKEN_BYTES:
        raise fail("the bot token file is too long")
    return data.decode("utf-8", "replace").strip()


def _print_secret(name: str, secret: str, what: str) -> None:
    # The secret alone on stdout, so a script can take it; the words on stderr.
    console.print(f"{what} {name}. Its secret, shown once (put it in the platform now):")
    typer.echo(secret)


@channels_app.command("add")
def channels_add(
    kind: Annotated[IntegrationKind, typer.Option(help="webhook (bots, phone lines) or telegram.")],
    name: Annotated[str, typer.Option(help="Its name in the webhook's URL: a-z, 0-9, - and _.")],
    handle: Annotated[
        str | None, typer.Option(help="What the official list shows: a bot handle, a number.")
    ] = None,
    bot_token_file: Annotated[
        Path | None, typer.Option(help="A file holding the Telegram bot's token.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Allow a bot or phone platform to post to the public face; prints its secret once."""
    token = _read_token(bot_token_file) if bot_token_file is not None else None
    rt = runtime_for(settings_for(db))
    try:
        keys = _keys(rt)
        with rt.transaction() as session:
            made = integrations.add(session, secret=keys.secret, audit=rt.audit,
                                    actor=cli_actor(), name=name, kind=kind, handle=handle,
                                    bot_token=token)  # fmt: skip
    except integrations.IntegrationError as exc:
        raise fail(str(exc)) from None
    finally:
        rt.close()
    _print_secret(made.integration.name, made.secret, "Added")


@channels_app.command("list")
def channels_list(db: DbOption = None) -> None:
    """The integrations: name, kind, handle, days made and disabled, secret version. Never
    a secret or a token."""
    rt = runtime_for(settings_for(db))
    try:
        with rt.sessions() as session:
            rows = integrations.list_(session)
            table = Table("name", "kind", "handle", "created", "disabled", "secret version")
            for i in rows:
                table.add_row(i.name, i.kind, i.handle or "", i.created_on.isoformat(),
                              i.disabled_on.isoformat() if i.disabled_on else "",
                              str(i.secret_version))  # fmt: skip
    finally:
        rt.close()
    Console(width=120).print(table)


@channels_app.command("rotate-secret")
def channels_rotate(name: str, db: DbOption = None) -> None:
    """Give an integration a new secret (printed once); the old one stops working at once."""
    rt = runtime_for(settings_for(db))
    try:
        keys = _keys(rt)
        with rt.transaction() as session:
            made = integrations.rotate_secret(session, secret=keys.secret, audit=rt.audit,
                                              actor=cli_actor(),
                                              integration=_integration(session, name))  # fmt: skip
    except integrations.IntegrationError as exc:
        raise fail(str(exc)) from None
    finally:
        rt.close()
    _print_secret(made.integration.name, made.secret, "New secret for")


@channels_app.command("disable")
def channels_disable(name: str, db: DbOption = None) -> None:
    """Stop an integration: its endpoint answers 404 from now on. Not undone: add another."""
    rt = runtime_for(settings_for(db))
    try:
        with rt.transaction() as session:
            integrations.disable(session, audit=rt.audit, actor=cli_actor(),
                                 integration=_integration(session, name))  # fmt: skip
    except integrations.IntegrationError as exc:
        raise fail(str(exc)) from None
    finally:
        rt.close()
    console.print(f"Disabled {name}.")

"""What every command shares: the console, the `--db` option, settings, runtime, actor."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from safeconduct.audit.actors import Actor
from safeconduct.config import Settings, SettingsError
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.security.channel_secret import ChannelSecretError
from safeconduct.security.intake_box import IntakeKeyError
from safeconduct.security.keys import KeyProviderError
from safeconduct.security.signing import SigningKeyError
from safeconduct.security.statements import KeySetError

console = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (or SAFECONDUCT_DB_URL).")]
KEY_ERRORS = (
    SettingsError,
    KeyProviderError,
    SigningKeyError,
    IntakeKeyError,
    ChannelSecretError,
    KeySetError,
)


def cli_actor() -> Actor:
    """The command line acts as `cli`, with the operating-system user who ran it."""
    import getpass

    return Actor("cli", f"os:{getpass.getuser()}")


def settings_for(db: str | None, *, demo: bool = False) -> Settings:
    overrides: dict[str, object] = {}
    if db is not None:
        overrides["db_url"] = db
    if demo:
        overrides["demo"] = True
    return Settings(**overrides)  # type: ignore[arg-type]


def runtime_for(settings: Settings) -> Runtime:
    try:
        return open_runtime(settings)
    except KEY_ERRORS as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)

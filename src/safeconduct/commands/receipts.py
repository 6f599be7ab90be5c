"""`safeconduct receipt verify`: check a receipt, a bot answer or the official list offline.

Needs no database and no key but the published list: the file the public face serves at
`/.well-known/safeconduct-keys.json` (`--keys`), or that address fetched (`--url`), or the
list this deployment publishes. Exit 0 valid, 1 not valid, 2 unreadable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from safeconduct.channels.official import inspect
from safeconduct.commands.common import fail, published_keys

receipt_app = typer.Typer(help="Signed receipts and answers.", no_args_is_help=True)

MAX_STATEMENT = 1024 * 1024


def _read_statement(file: str) -> str:
    try:
        data = sys.stdin.buffer.read(MAX_STATEMENT + 1) if file == "-" else _read_file(file)
        if len(data) > MAX_STATEMENT:
            raise ValueError("too large")
        return data.decode("utf-8")
    except (OSError, ValueError) as exc:
        raise fail(f"cannot read {file}: {type(exc).__name__}") from None


def _read_file(file: str) -> bytes:
    with Path(file).open("rb") as handle:
        return handle.read(MAX_STATEMENT + 1)


@receipt_app.command("verify")
def verify(
    file: Annotated[str, typer.Argument(help="The saved text, or - to read it from stdin.")],
    keys: Annotated[
        Path | None, typer.Option("--keys", help="The published key list (JSON file).")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Fetch the key list from this public face.")
    ] = None,
) -> None:
    """Check a receipt, a bot answer or the official list against the published keys."""
    if keys is not None and url is not None:
        raise fail("give --keys or --url, not both")
    statement = _read_statement(file)
    published = published_keys(keys, url)
    result = inspect(statement, published)
    if not result.ok or result.key is None or result.kind is None:
        typer.echo(f"NOT VALID: {result.problem}")
        raise typer.Exit(1)
    key = result.key
    until = f" until {key.valid_until.isoformat()}" if key.valid_until else ""
    typer.echo(f"valid {result.kind.value.replace('_', ' ')}: signed by key {key.key_id} "
               f"(in use from {key.valid_from.isoformat()}{until})")  # fmt: skip
    typer.echo("signed text:")
    typer.echo(result.body)

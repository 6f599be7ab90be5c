"""`safeconduct exchange verify`: check an exported exchange list (JSON, CSV or PDF) offline.

Needs no database and no key but the published list (`--keys`, `--url`, or the list this
deployment publishes, which names the "service" key that signs exchange lists). The file
must be exactly what the signed document renders to: a change to any byte fails. Exit 0
valid, 1 not valid, 2 unreadable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from safeconduct.commands.common import fail, published_keys, read_limited
from safeconduct.repatriation import documents

exchange_app = typer.Typer(help="Exchange lists.", no_args_is_help=True)

# An export is a few kilobytes per hundred people; the exporter refuses far larger ones.
MAX_FILE = documents.MAX_EXPORT


@exchange_app.command("verify")
def verify(
    file: Annotated[str, typer.Argument(help="The exported list (JSON, CSV or PDF), or -.")],
    keys: Annotated[
        Path | None, typer.Option("--keys", help="The published key list (JSON file).")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Fetch the key list from this public face.")
    ] = None,
) -> None:
    """Check an exported exchange list against the published service key."""
    if keys is not None and url is not None:
        raise fail("give --keys or --url, not both")
    data = read_limited(file, MAX_FILE)
    published = published_keys(keys, url)
    check = documents.verify(data, published)
    if not check.ok or check.signed is None or check.key is None or check.fmt is None:
        typer.echo(f"NOT VALID: {check.problem}")
        raise typer.Exit(1)
    doc = check.signed.document
    people = doc.get("people")
    typer.echo(f"valid exchange list ({check.fmt.value.upper()}): signed by key {check.key.key_id}")
    typer.echo(f"counterpart: {doc.get('counterpart')}")
    typer.echo(f"planned day: {doc.get('planned_on')}")
    typer.echo(f"approval: {doc.get('approval')}, approved {doc.get('approved_on')}")
    typer.echo(f"people: {len(people) if isinstance(people, list) else 0}")
    typer.echo(f"sha256: {check.signed.sha256}")

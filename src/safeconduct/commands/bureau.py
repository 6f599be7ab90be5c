"""`safeconduct bureau batch --out DIR`: make the next batch of notifications to the Central
Tracing Agency and write its three files (the signed JSON, the CSV, the detached signature)
into DIR; `safeconduct bureau verify FILE.json --signature FILE.json.sig`: check a batch
offline against the published service keys.

`batch` prints the number, the count of records and the hash, never a name. Exit 0 (also
when nothing is to be sent, saying so), 2 when it cannot run. `verify`: exit 0 valid, 1 not
valid, 2 unreadable."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from safeconduct.bureau import cta
from safeconduct.commands.common import (
    DbOption,
    cli_actor,
    fail,
    published_keys,
    read_limited,
    runtime_for,
    settings_for,
)

bureau_app = typer.Typer(help="The information bureau's outputs.", no_args_is_help=True)
# A signature file is a few hundred bytes.
MAX_SIGNATURE = 64 * 1024


def _folder(out: Path) -> Path:
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"cannot make {out}: {type(exc).__name__}") from None
    if not out.is_dir():
        raise fail(f"{out} is not a folder")
    return out


def _write(folder: Path, files: cta.BatchFiles, written: list[Path]) -> None:
    for name, content in files.named():
        path = folder / name
        # O_EXCL: a file already there is never overwritten; owner-only, as a batch holds
        # family details.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise fail(f"{path} exists already: choose another folder") from None
        except OSError as exc:
            raise fail(f"cannot write {path}: {type(exc).__name__}") from None
        written.append(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)


@bureau_app.command("batch")
def batch(
    out: Annotated[Path, typer.Option("--out", help="The folder to write the files into.")],
    db: DbOption = None,
) -> None:
    """Make the next CTA batch and write its files into --out."""
    folder = _folder(out)
    rt = runtime_for(settings_for(db))
    written: list[Path] = []
    try:
        # The files are written before the batch is committed, and removed if it is not:
        # a batch is logged as sent only when its files are there, and files are there only
        # for a batch logged.
        with rt.transaction() as session:
            files = cta.make_batch(
                session,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=cli_actor(),
                signer=rt.audit.signer,
            )
            if files is not None:
                _write(folder, files, written)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(exc, cta.BatchError):
            raise fail(str(exc)) from None
        raise
    finally:
        rt.close()
    if files is None:
        typer.echo("nothing to send: no record is new or changed since the last batch")
        return
    typer.echo(f"batch {files.number}: {files.records} records")
    typer.echo(f"sha256: {files.sha256}")
    for name, _content in files.named():
        typer.echo(f"wrote {folder / name}")


@bureau_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The batch's JSON file.")],
    signature: Annotated[
        Path | None,
        typer.Option("--signature", help="Its detached signature (default: FILE.sig)."),
    ] = None,
    keys: Annotated[
        Path | None, typer.Option("--keys", help="The published key list (JSON file).")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Fetch the key list from this public face.")
    ] = None,
) -> None:
    """Check a CTA batch against its detached signature and the published service key."""
    if keys is not None and url is not None:
        raise fail("give --keys or --url, not both")
    data = read_limited(str(file), cta.MAX_FILE)
    sig = read_limited(str(signature or file.with_name(file.name + ".sig")), MAX_SIGNATURE)
    check = cta.verify(data, sig, published_keys(keys, url))
    if not check.ok or check.document is None or check.key is None:
        typer.echo(f"NOT VALID: {check.problem}")
        raise typer.Exit(1)
    records = check.document.get("records")
    typer.echo(f"valid CTA batch: signed by key {check.key.key_id}")
    typer.echo(f"batch: {check.document.get('batch_number')}, made {check.document.get('made_on')}")
    typer.echo(f"records: {len(records) if isinstance(records, list) else 0}")

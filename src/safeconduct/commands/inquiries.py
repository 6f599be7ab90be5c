"""`safeconduct inquiries export --format pfif|csv --out FILE`: the open inquiries' persons
sought for another tracing service; `safeconduct inquiries import FILE --format pfif|csv`:
another service's file taken in, all or nothing.

The command line acts as `cli` with the operating-system user (as `bureau batch` does), and
both are audited. Output counts and references, never a name. Exit 0 done, 1 a file
refused (its record number and field said), 2 when it cannot run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from safeconduct.commands.common import (
    DbOption,
    cli_actor,
    fail,
    read_limited,
    runtime_for,
    settings_for,
)
from safeconduct.inquiries import exchange
from safeconduct.inquiries.exchange import Format
from safeconduct.inquiries.exchange_formats import ExchangeFormatError

inquiries_app = typer.Typer(help="Family inquiries.", no_args_is_help=True)
FormatOption = Annotated[Format, typer.Option("--format", help="pfif (PFIF 1.4 XML) or csv.")]


def _write_new(path: Path, content: bytes) -> None:
    """Write a file that is not there yet, owner-only: it names the persons sought."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise fail(f"{path} exists already: choose another name") from None
    except OSError as exc:
        raise fail(f"cannot write {path}: {type(exc).__name__}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


@inquiries_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="The file to write (not overwritten).")],
    fmt: FormatOption = Format.PFIF,
    source: Annotated[
        str | None,
        typer.Option("--source", help="The record ids' domain (default: the public face's host)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write the open inquiries' persons sought to --out (audited)."""
    settings = settings_for(db)
    rt = runtime_for(settings)
    written = False
    try:
        # The file is written before the audit entry is committed and removed if it is
        # not: no export leaves the store unrecorded.
        with rt.transaction() as session:
            content = exchange.export_open(
                session, keyring=rt.keyring, audit=rt.audit, actor=cli_actor(), fmt=fmt,
                source=source or exchange.source_of(settings.public_url),
            )  # fmt: skip
            _write_new(out, content)
            written = True
    except BaseException as exc:
        if written:
            out.unlink(missing_ok=True)
        if isinstance(exc, exchange.ExportError | ExchangeFormatError):
            raise fail(str(exc)) from None
        raise
    finally:
        rt.close()
    typer.echo(f"wrote {out} ({fmt.value}, {len(content)} bytes)")


@inquiries_app.command("import")
def import_file(
    file: Annotated[str, typer.Argument(help="The file to take in (-: standard input).")],
    fmt: FormatOption = Format.PFIF,
    db: DbOption = None,
) -> None:
    """Take another service's inquiries in: each record an inquiry, or none if one is bad."""
    data = read_limited(file, exchange.MAX_IMPORT_BYTES)
    rt = runtime_for(settings_for(db))
    try:
        with rt.transaction() as session:
            report = exchange.import_records(
                session, keyring=rt.keyring, audit=rt.audit, actor=cli_actor(), data=data,
                fmt=fmt,
            )  # fmt: skip
    except ExchangeFormatError as exc:
        raise fail(f"{exc} (nothing was imported)", code=1) from None
    finally:
        rt.close()
    typer.echo(f"imported {len(report.created)}, skipped {report.skipped} (imported before)")
    for reference in report.created:
        typer.echo(f"inquiry {reference}")

"""``safeconduct trace``: link family inquiries to the registry from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from safeconduct.tracing.engines import EngineName
from safeconduct.tracing.inputs import (
    InputFormatError,
    read_inquiries,
    read_registry,
    write_candidates,
)
from safeconduct.tracing.matcher import DEFAULT_THRESHOLD, DEFAULT_TOP_K, RegistryRow

trace_app = typer.Typer(help="Trace people: match family inquiries to the registry.",
                        no_args_is_help=True, pretty_exceptions_enable=False)
_console = Console(stderr=True)
_STEPS = 5

PathOption = Annotated[Path, typer.Option(dir_okay=False, help="CSV file.")]


@contextmanager
def _progress(quiet: bool) -> Iterator[tuple[Progress, object]]:
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=_console, disable=quiet, transient=False,
    )
    with progress:
        yield progress, progress.add_task("tracing", total=_STEPS)


def _fail(message: str) -> typer.Exit:
    _console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _load_registry(registry: Path | None, db: str | None) -> list[RegistryRow]:
    if (registry is None) == (db is None):
        raise _fail("give exactly one of --registry FILE or --db URL")
    if registry is not None:
        return read_registry(registry)
    from safeconduct.tracing.registry_source import load_registry_from_db

    assert db is not None
    return list(load_registry_from_db(db))


@trace_app.callback()
def _group() -> None:
    """Trace people: match family inquiries to the registry."""


@trace_app.command("match")
def match(
    inquiries: Annotated[Path, typer.Option(dir_okay=False, help="Inquiries CSV.")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="Where to write matches CSV.")],
    registry: Annotated[Path | None, typer.Option(dir_okay=False, help="Registry CSV.")] = None,
    db: Annotated[str | None, typer.Option(help="Read the registry from this database.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Candidates kept per inquiry.")] = DEFAULT_TOP_K,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Lowest score reported.")
    ] = DEFAULT_THRESHOLD,
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Match inquiries to the registry and write inquiry_id,id,score, best first."""
    if engine not in ("duckdb", "spark"):
        raise _fail(f"--engine must be duckdb or spark, not {engine!r}")
    try:
        _run(inquiries, out, registry, db, top, threshold, engine, quiet)  # type: ignore[arg-type]
    except InputFormatError as exc:
        raise _fail(str(exc)) from None
    except FileNotFoundError as exc:
        raise _fail(f"no such file: {exc.filename}") from None


def _run(
    inquiries: Path, out: Path, registry: Path | None, db: str | None,
    top: int, threshold: float, engine: EngineName, quiet: bool,
) -> None:
    from safeconduct.tracing.splink_matcher import SplinkMatcher

    with _progress(quiet) as (progress, task):
        progress.update(task, description="reading registry")  # type: ignore[arg-type]
        registry_rows = _load_registry(registry, db)
        progress.update(task, advance=1, description="reading inquiries")  # type: ignore[arg-type]
        inquiry_rows = read_inquiries(inquiries)
        progress.update(task, advance=1, description="building index")  # type: ignore[arg-type]
        matcher = SplinkMatcher(engine=engine)
        try:
            matcher.build_index(registry_rows)
            progress.update(task, advance=1, description="matching")  # type: ignore[arg-type]
            candidates = matcher.match(inquiry_rows, top_k=top, threshold=threshold)
        finally:
            matcher.close()
        progress.update(task, advance=1, description="writing")  # type: ignore[arg-type]
        write_candidates(out, candidates)
        progress.update(task, advance=1, description="done")  # type: ignore[arg-type]

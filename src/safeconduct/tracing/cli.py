"""``safeconduct trace``: link family inquiries to the registry from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from safeconduct.tracing.inputs import (
    InputFormatError,
    read_inquiries,
    read_registry,
    write_candidates,
)
from safeconduct.tracing.matcher import (
    CANDIDATE_THRESHOLD,
    CANDIDATE_TOP_K,
    DEFAULT_THRESHOLD,
    DEFAULT_TOP_K,
    RegistryRow,
)

trace_app = typer.Typer(
    help="Trace people: match family inquiries to the registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
_console = Console(stderr=True)
_STEPS = 5


class EngineChoice(StrEnum):
    """SQL engines the model runs on."""

    DUCKDB = "duckdb"
    SPARK = "spark"


@contextmanager
def _progress(quiet: bool) -> Iterator[tuple[Progress, TaskID]]:
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=_console,
        disable=quiet,
        transient=False,
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
    from sqlalchemy.exc import SQLAlchemyError

    from safeconduct.tracing.registry_source import load_registry_from_db

    assert db is not None
    try:
        return list(load_registry_from_db(db))
    except SQLAlchemyError as exc:
        # The URL may hold a password: name the failure, not the URL.
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise InputFormatError("database", None, None, message) from None


@trace_app.callback()
def _group() -> None:
    """Trace people: match family inquiries to the registry."""


@trace_app.command("match")
def match(
    inquiries: Annotated[Path, typer.Option(dir_okay=False, help="Inquiries CSV.")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="Where to write matches CSV.")],
    registry: Annotated[Path | None, typer.Option(dir_okay=False, help="Registry CSV.")] = None,
    db: Annotated[str | None, typer.Option(help="Read the registry from this database.")] = None,
    top: Annotated[
        int | None,
        typer.Option(
            min=1,
            help=f"Candidates kept per inquiry [default: {DEFAULT_TOP_K}].",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help=f"Lowest score reported [default: {DEFAULT_THRESHOLD}].",
            show_default=False,
        ),
    ] = None,
    candidates: Annotated[
        bool,
        typer.Option(
            "--candidates",
            help=f"Candidate mode, for review: up to {CANDIDATE_TOP_K} per inquiry down to "
            f"score {CANDIDATE_THRESHOLD} (--top and --threshold still win).",
        ),
    ] = False,
    engine: Annotated[EngineChoice, typer.Option(help="SQL engine.")] = EngineChoice.DUCKDB,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Match inquiries to the registry and write inquiry_id,id,score, best first."""
    if top is None:
        top = CANDIDATE_TOP_K if candidates else DEFAULT_TOP_K
    if threshold is None:
        threshold = CANDIDATE_THRESHOLD if candidates else DEFAULT_THRESHOLD
    try:
        _run(inquiries, out, registry, db, top, threshold, engine, quiet)
    except InputFormatError as exc:
        raise _fail(str(exc)) from None
    except FileNotFoundError as exc:
        raise _fail(f"no such file: {exc.filename}") from None


def _run(
    inquiries: Path,
    out: Path,
    registry: Path | None,
    db: str | None,
    top: int,
    threshold: float,
    engine: EngineChoice,
    quiet: bool,
) -> None:
    from safeconduct.tracing.splink_matcher import SplinkMatcher

    with _progress(quiet) as (progress, task):
        progress.update(task, description="reading registry")
        registry_rows = _load_registry(registry, db)
        progress.update(task, advance=1, description="reading inquiries")
        inquiry_rows = read_inquiries(inquiries)
        progress.update(task, advance=1, description="building index")
        matcher = SplinkMatcher(engine="spark" if engine is EngineChoice.SPARK else "duckdb")
        try:
            matcher.build_index(registry_rows)
            progress.update(task, advance=1, description="matching")
            candidates = matcher.match(inquiry_rows, top_k=top, threshold=threshold)
        finally:
            matcher.close()
        progress.update(task, advance=1, description="writing")
        write_candidates(out, candidates)
        progress.update(task, advance=1, description="done")

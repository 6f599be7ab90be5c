"""`safeconduct audit verify`: the whole log, or only what came after the checkpoint the
auditor verified last (`--since-checkpoint`).

Where the last verified checkpoint is kept: in a file of the auditor's (`--state`), never
in the store being verified: whoever could alter the log could alter a mark kept beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from safeconduct.audit.models import AuditEntry
from safeconduct.audit.policy import Anchor, Verdict
from safeconduct.audit.service import parallel_walk, verify
from safeconduct.commands.common import DbOption, console
from safeconduct.commands.common import runtime_for as _runtime
from safeconduct.commands.common import settings_for as _settings

StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state", help="A file of yours that keeps the newest checkpoint verified intact."
    ),
]
SinceOption = Annotated[
    bool,
    typer.Option(
        "--since-checkpoint",
        help="Walk only the entries after the checkpoint kept in --state.",
    ),
]


WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, max=32, help="Processes that walk the chain (default: one a core)."
    ),
]
# Below this many entries to walk, starting processes costs more than it saves.
PARALLEL_FROM = 50_000


def read_anchor(path: Path) -> Anchor:
    """The checkpoint recorded in `path`; typer.BadParameter if there is none to read."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Anchor(int(doc["seq"]), str(doc["hash"]))
    except (OSError, ValueError, KeyError, TypeError):
        raise typer.BadParameter(
            f"no verified checkpoint in {path}: run a full `audit verify` first",
            param_hint="--state",
        ) from None


def write_anchor(path: Path, anchor: Anchor) -> None:
    path.write_text(json.dumps({"seq": anchor.seq, "hash": anchor.hash}) + "\n", "utf-8")


def audit_verify(
    db: DbOption = None,
    since_checkpoint: SinceOption = False,
    state: StateOption = None,
    workers: WorkersOption = None,
) -> None:
    """Exit 0 when the audit log is intact; otherwise name the first bad entry and exit 1.
    With --state, an intact run keeps its newest checkpoint there for --since-checkpoint."""
    if since_checkpoint and state is None:
        raise typer.BadParameter("needs --state, the file a run before kept", param_hint="--state")
    since = read_anchor(state) if since_checkpoint and state is not None else None
    settings = _settings(db)
    rt = _runtime(settings)
    processes = workers or os.cpu_count() or 1
    with rt.sessions() as session:
        keys = rt.audit_keys()
        newest = session.scalar(select(func.max(AuditEntry.seq))) or 0
        after = 0 if since is None else since.seq
        walk = None
        if processes > 1 and newest - after >= PARALLEL_FROM:
            walk = parallel_walk(settings.db_url, processes, newest)
        verdict = verify(session, keys[0], keys[1:], since=since, walk=walk)
    _report(verdict, since)
    if state is not None and verdict.anchor is not None:
        write_anchor(state, verdict.anchor)


def _report(verdict: Verdict, since: Anchor | None) -> None:
    if verdict.ok:
        walked = "" if since is None else f", walked from checkpoint {since.seq}"
        console.print(f"[green]audit log intact[/green]: {verdict.entries} entries{walked}")
        return
    console.print(f"[red]audit log damaged[/red]: {verdict.problem}")
    if verdict.bad_seq is not None:
        console.print(f"first bad entry: {verdict.bad_seq}")
    raise typer.Exit(1)

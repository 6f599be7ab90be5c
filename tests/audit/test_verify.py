"""`safeconduct audit verify` on a real store: intact passes; every kind of tampering fails
and names the first bad entry (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from safeconduct.audit.tags import AuditAction
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.runtime import Runtime
from tests.factories import add_custody, add_person

ENTRIES = 25  # checkpoint_every is 10 in tests: checkpoints at 10 and 20


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SAFECONDUCT_DB_URL": settings.db_url,
        "SAFECONDUCT_KEK_FILE": str(settings.kek_file),
        "SAFECONDUCT_SIGNING_KEY_FILE": str(settings.signing_key_file),
    }


def verify_cli(settings: Settings) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify"], env=_env(settings))
    return result.exit_code, result.output


def _fill(rt: Runtime, count: int = ENTRIES) -> None:
    with rt.transaction() as s:
        for i in range(count):
            rt.audit.record(
                s,
                actor=Actor(f"test:{i % 3}"),
                tag=AuditAction.PERSON_UPDATE,
                subject_id=f"p{i}",
                purpose="fields: rank",
            )


def _tamper(rt: Runtime, change: Callable[[Session], object]) -> None:
    with rt.transaction() as s:
        change(s)


def _edit(seq: int, **values: str) -> Callable[[Session], object]:
    """A change to one entry's stored columns (its actor, unless told)."""
    values = values or {"actor": "someone else"}
    return lambda s: s.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(**values))


def test_an_intact_log_verifies(rt: Runtime, settings: Settings) -> None:
    add_custody(rt, add_person(rt))
    _fill(rt)
    code, output = verify_cli(settings)
    assert code == 0, output
    assert "intact" in output


def test_an_empty_log_verifies(settings: Settings, rt: Runtime) -> None:
    assert verify_cli(settings)[0] == 0


@pytest.mark.parametrize("seq", [1, 13, ENTRIES])
def test_a_single_edited_row_fails(rt: Runtime, settings: Settings, seq: int) -> None:
    _fill(rt)
    _tamper(rt, _edit(seq))
    code, output = verify_cli(settings)
    assert code == 1
    assert f"entry {seq} was altered" in output


def test_a_deleted_row_fails(rt: Runtime, settings: Settings) -> None:
    _fill(rt)
    _tamper(rt, lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq == 7)))
    code, output = verify_cli(settings)
    assert code == 1
    assert "entry 7 is missing" in output


def _swap(s: Session, a: int, b: int) -> None:
    rows = {e.seq: e for e in s.scalars(select(AuditEntry).where(AuditEntry.seq.in_([a, b])))}
    values = {
        seq: {
            c: getattr(rows[seq], c)
            for c in (
                "at",
                "actor",
                "action",
                "subject_type",
                "subject_id",
                "purpose",
                "prev_hash",
                "hash",
            )
        }
        for seq in (a, b)
    }
    # Unique hashes forbid a direct swap: park one row first.
    s.execute(
        update(AuditEntry).where(AuditEntry.seq == a).values(prev_hash="x" * 64, hash="y" * 64)
    )
    s.execute(update(AuditEntry).where(AuditEntry.seq == b).values(**values[a]))
    s.execute(update(AuditEntry).where(AuditEntry.seq == a).values(**values[b]))


def test_two_swapped_rows_fail(rt: Runtime, settings: Settings) -> None:
    _fill(rt)
    _tamper(rt, lambda s: _swap(s, 4, 5))
    code, output = verify_cli(settings)
    assert code == 1
    assert "entry 4 does not follow entry 3" in output


@pytest.mark.parametrize("removed", [1, 3, 6])
def test_removing_the_newest_entries_fails(rt: Runtime, settings: Settings, removed: int) -> None:
    _fill(rt)
    _tamper(rt, lambda s: s.execute(delete(AuditEntry).where(AuditEntry.seq > ENTRIES - removed)))
    code, output = verify_cli(settings)
    assert code == 1
    assert f"entries {ENTRIES - removed + 1} to {ENTRIES} were removed" in output


def test_truncation_with_a_forged_head_fails_on_the_checkpoint(
    rt: Runtime, settings: Settings
) -> None:
    _fill(rt)

    def cut_and_reset(s: Session) -> None:
        s.execute(delete(AuditEntry).where(AuditEntry.seq > 15))
        last = s.scalars(select(AuditEntry.hash).where(AuditEntry.seq == 15)).one()
        s.execute(update(AuditHead).values(seq=15, hash=last))

    _tamper(rt, cut_and_reset)
    code, output = verify_cli(settings)
    assert code == 1
    assert "not signed" in output


def test_a_deleted_checkpoint_entry_fails(rt: Runtime, settings: Settings) -> None:
    _fill(rt)
    _tamper(
        rt,
        lambda s: s.execute(
            update(AuditCheckpoint).where(AuditCheckpoint.seq == 10).values(head_hash="0" * 64)
        ),
    )
    code, output = verify_cli(settings)
    assert code == 1
    assert "checkpoint at entry 10" in output


def test_checkpoints_are_signed_every_n_entries_and_on_demand(rt: Runtime) -> None:
    _fill(rt)
    with rt.transaction() as s:
        mark = rt.audit.checkpoint(s)
        assert mark is not None
        assert mark.seq == ENTRIES
        seqs = list(s.scalars(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)))
    assert seqs == [10, 20, ENTRIES]


def test_an_entry_rolls_back_with_its_change(rt: Runtime) -> None:
    def failing_change() -> None:
        with rt.transaction() as s:
            rt.audit.record(s, actor=Actor("t"), tag=AuditAction.PERSON_CREATE)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_concurrent_writers_never_fork_the_chain(rt: Runtime, settings: Settings) -> None:
    writers, each = 4, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(each):
                with rt.transaction() as s:
                    rt.audit.record(
                        s,
                        actor=Actor(f"writer:{n}"),
                        tag=AuditAction.PERSON_UPDATE,
                        subject_id=str(i),
                    )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == writers * each
        assert (
            s.scalar(text("SELECT count(DISTINCT prev_hash) FROM audit_entries")) == writers * each
        )
    code, output = verify_cli(settings)
    assert code == 0, output

"""The command line: key rotation, clear errors for missing keys, private demo files."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeconduct.accounts.policy import Role
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.disclosure.service import reveal_circumstances
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.security.keys import FileKeyProvider
from tests.audit.test_verify import _env, verify_cli
from tests.factories import add_custody, add_person, principal


def test_keys_rotate_rewraps_and_retires(rt: Runtime, settings: Settings) -> None:
    custody = add_custody(rt, add_person(rt), place="PLANTED ford")
    assert settings.kek_file is not None
    old = FileKeyProvider(settings.kek_file).current_id()
    result = CliRunner().invoke(app, ["keys", "rotate", "--retire"], env=_env(settings))
    assert result.exit_code == 0, result.output
    provider = FileKeyProvider(settings.kek_file)
    assert old not in provider.ids()
    fresh = open_runtime(settings)
    with fresh.transaction() as s:
        row = s.get(type(custody), custody.id)
        assert row is not None
        opened = reveal_circumstances(
            s,
            keyring=fresh.keyring,
            audit=fresh.audit,
            who=principal(Role.VERIFIER),
            custody=row,
            purpose="audit_investigation",
            reason="check rotation",
        )
    fresh.close()
    assert opened.place == "PLANTED ford"
    assert verify_cli(settings)[0] == 0


def test_missing_keys_are_a_clear_error_outside_demo(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["audit", "verify", "--db", f"sqlite:///{tmp_path}/x.db"],
        env={"SAFECONDUCT_KEK_FILE": "", "SAFECONDUCT_KEKS": ""},
    )
    assert result.exit_code == 2
    assert "no key-encryption key" in result.output


def test_demo_files_are_readable_by_their_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # anything the demo makes, wherever, lands here
    before = os.umask(0o022)  # a usual umask: the command must tighten it itself
    try:
        result = CliRunner().invoke(
            app,
            ["demo", "--seed-only", "--people", "5", "--db", f"sqlite:///{tmp_path}/demo.db"],
            env={"SAFECONDUCT_KEK_FILE": "", "SAFECONDUCT_KEKS": "", "SAFECONDUCT_DB_URL": ""},
        )
    finally:
        os.umask(before)
    assert result.exit_code == 0, result.output
    # While a server has the store open, SQLite gives -wal and -shm the store's own mode.
    live = sqlite3.connect(tmp_path / "demo.db")
    live.execute("CREATE TABLE probe (x)")
    live.commit()
    made = {
        p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in tmp_path.rglob("*")
    }
    live.close()
    keys = ("demo.db.keys", "demo.db.keys/kek.json", "demo.db.keys/signing.pem")
    assert {"demo.db", "demo.db-wal", "demo.db-shm", *keys} <= set(made)
    loose = {
        name: oct(mode)
        for name, mode in made.items()
        if mode != (0o700 if (tmp_path / name).is_dir() else 0o600)
    }
    assert loose == {}

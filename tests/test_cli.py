"""The command line: key rotation and clear errors for missing keys."""

from __future__ import annotations

from pathlib import Path

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

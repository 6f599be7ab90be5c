"""`safeconduct audit verify --since-checkpoint`: after a full run keeps the newest intact
checkpoint in the auditor's state file, a later run walks only what came after it, and still
finds tampering there or at the checkpoint itself."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safeconduct.audit import service
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.runtime import Runtime
from tests.audit.test_verify import ENTRIES, _edit, _env, _fill, _tamper


def _verify(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "verify", *args], env=_env(settings))
    return result.exit_code, result.output


def _full_then_more(rt: Runtime, settings: Settings, state: Path) -> None:
    _fill(rt)
    code, output = _verify(settings, "--state", str(state))
    assert code == 0, output
    # checkpoint_every is 10 in tests: 25 entries, checkpoints at 10 and 20.
    assert json.loads(state.read_text())["seq"] == 20
    _fill(rt, 12)  # entries 26-37, a checkpoint at 30


def test_a_later_run_walks_from_the_kept_checkpoint(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "verified.json"
    _full_then_more(rt, settings, state)
    code, output = _verify(settings, "--since-checkpoint", "--state", str(state))
    assert code == 0, output
    assert f"{ENTRIES + 12} entries, walked from checkpoint 20" in output
    assert json.loads(state.read_text())["seq"] == 30  # kept for the next run


def test_tampering_after_the_checkpoint_is_found(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "verified.json"
    _full_then_more(rt, settings, state)
    _tamper(rt, _edit(27))
    code, output = _verify(settings, "--since-checkpoint", "--state", str(state))
    assert code == 1
    assert "first bad entry: 27" in output
    assert json.loads(state.read_text())["seq"] == 20  # a damaged log moves nothing on


def test_a_rewritten_checkpoint_entry_is_found(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "verified.json"
    _full_then_more(rt, settings, state)
    _tamper(rt, _edit(20, hash="f" * 64))
    code, output = _verify(settings, "--since-checkpoint", "--state", str(state))
    assert code == 1
    assert "entry 20 is not the one verified" in output


def test_what_came_before_is_for_the_full_run(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    state = tmp_path / "verified.json"
    _full_then_more(rt, settings, state)
    _tamper(rt, _edit(5))
    # Not read again since the checkpoint (the reason a full run stays in the routine)...
    assert _verify(settings, "--since-checkpoint", "--state", str(state))[0] == 0
    # ...and found by the full run.
    code, output = _verify(settings)
    assert code == 1
    assert "first bad entry: 5" in output


def test_since_needs_a_state_a_run_kept(settings: Settings, tmp_path: Path) -> None:
    code, output = _verify(settings, "--since-checkpoint")
    assert code == 2
    assert "--state" in output
    code, output = _verify(settings, "--since-checkpoint", "--state", str(tmp_path / "none"))
    assert code == 2
    assert "no verified checkpoint" in output


def test_the_service_gives_the_same_count_either_way(rt: Runtime) -> None:
    _fill(rt, 35)
    keys = rt.audit_keys()
    with rt.sessions() as s:
        full = service.verify(s, keys[0], keys[1:])
        assert full.ok
        assert full.anchor is not None
        assert full.anchor.seq == 30
        since = service.verify(s, keys[0], keys[1:], since=full.anchor)
    assert since.ok
    assert since.entries == full.entries == 35
    assert since.anchor == full.anchor

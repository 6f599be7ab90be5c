"""`safeconduct bureau batch --out DIR` and `safeconduct bureau verify FILE`: the next batch
written as three files (no personal data printed), nothing to send said, files never
overwritten; a batch checked offline with the published keys alone."""

from __future__ import annotations

import json
import stat
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from safeconduct.bureau.models import CtaBatch
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.runtime import Runtime
from safeconduct.security.signing import create_signer
from safeconduct.security.statements import published, write_key_set
from tests.bureau import cta_helpers as h

runner = CliRunner()
SINCE = date(2026, 3, 1)  # the command line runs on the real clock
NAMES = ("cta-batch-1.json", "cta-batch-1.csv", "cta-batch-1.json.sig")


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command line sees the test store's keys, as a deployment's environment gives."""
    for name in (
        "kek_file", "signing_key_file", "intake_key_file", "intake_public_key_file",
        "channel_key_file", "channel_keys_file", "channel_secret_file",
    ):  # fmt: skip
        monkeypatch.setenv(f"SAFECONDUCT_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("SAFECONDUCT_DB_URL", settings.db_url)
    return settings


def _batch(out: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["bureau", "batch", "--out", str(out)])
    return result.exit_code, result.output


def test_batch_writes_three_files_and_verify_accepts_them(
    rt: Runtime, env: Settings, tmp_path: Path
) -> None:
    h.held(rt, "ADAMENKO", since=SINCE)
    h.held(rt, "MELNYK", since=SINCE)
    out = tmp_path / "out" / "cta"
    code, output = _batch(out)
    assert code == 0, output
    assert "batch 1: 2 records" in output
    assert "ADAMENKO" not in output
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    sha = json.loads((out / NAMES[2]).read_bytes())["sha256"]
    assert f"sha256: {sha}" in output
    keys = env.channel_keys_file
    assert keys is not None
    checked = runner.invoke(
        app,
        ["bureau", "verify", str(out / NAMES[0]), "--signature", str(out / NAMES[2]),
         "--keys", str(keys)],
    )  # fmt: skip
    assert checked.exit_code == 0, checked.output
    assert "valid CTA batch" in checked.output
    assert "records: 2" in checked.output
    # The signature beside the file is found by itself.
    assert (
        runner.invoke(app, ["bureau", "verify", str(out / NAMES[0]), "--keys", str(keys)]).exit_code
        == 0
    )


def test_nothing_to_send_exits_0_saying_so(rt: Runtime, env: Settings, tmp_path: Path) -> None:
    code, output = _batch(tmp_path / "out")
    assert code == 0
    assert "nothing to send" in output
    assert list((tmp_path / "out").iterdir()) == []


def test_files_already_there_are_never_overwritten_and_nothing_is_logged(
    rt: Runtime, env: Settings, tmp_path: Path
) -> None:
    h.held(rt, since=SINCE)
    out = tmp_path / "out"
    out.mkdir()
    (out / NAMES[1]).write_bytes(b"mine")
    code, output = _batch(out)
    assert code == 2
    assert "exists already" in output
    assert (out / NAMES[1]).read_bytes() == b"mine"
    assert sorted(p.name for p in out.iterdir()) == [NAMES[1]]
    with rt.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CtaBatch)) == 0
    (out / NAMES[1]).unlink()
    assert _batch(out)[0] == 0


def test_verify_refuses_an_altered_file_or_another_key(
    rt: Runtime, env: Settings, tmp_path: Path
) -> None:
    h.held(rt, "ADAMENKO", since=SINCE)
    out = tmp_path / "out"
    assert _batch(out)[0] == 0
    keys = env.channel_keys_file
    assert keys is not None
    data = (out / NAMES[0]).read_bytes()
    altered = tmp_path / "altered.json"
    altered.write_bytes(data.replace(b"ADAMENKO", b"ADAMENKA"))
    result = runner.invoke(
        app,
        ["bureau", "verify", str(altered), "--signature", str(out / NAMES[2]), "--keys", str(keys)],
    )
    assert result.exit_code == 1
    assert "NOT VALID" in result.output
    stranger = tmp_path / "other-keys.json"
    write_key_set(
        stranger, [published(create_signer(tmp_path / "x.pem"), "service", date(2026, 1, 1))]
    )
    result = runner.invoke(
        app,
        [
            "bureau",
            "verify",
            str(out / NAMES[0]),
            "--signature",
            str(out / NAMES[2]),
            "--keys",
            str(stranger),
        ],
    )
    assert result.exit_code == 1
    missing = runner.invoke(
        app, ["bureau", "verify", str(tmp_path / "none.json"), "--keys", str(keys)]
    )
    assert missing.exit_code == 2

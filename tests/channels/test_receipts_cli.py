"""`safeconduct receipt verify FILE`: offline, with nothing but the published key list.
Exit 0 valid, 1 not valid, 2 unreadable; old keys keep verifying after a rotation."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeconduct.channels.official import official_body
from safeconduct.channels.policy import receipt_body
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.db import utcnow
from safeconduct.intake.models import Channel
from safeconduct.runtime import create_demo_channel_keys, rotate_channel_key
from safeconduct.security.signing import Signer, create_signer, load_signer
from safeconduct.security.statements import (
    published,
    read_key_set,
    sign_statement,
    write_key_set,
)

runner = CliRunner()


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return create_signer(tmp_path / "channel.pem")


@pytest.fixture
def keys_file(tmp_path: Path, signer: Signer) -> Path:
    path = tmp_path / "published" / "safeconduct-keys.json"
    service = create_signer(tmp_path / "service.pem")
    write_key_set(path, [published(signer, "channel", date(2026, 1, 1)),
                         published(service, "service", date(2026, 1, 1))])  # fmt: skip
    return path


def _receipt(signer: Signer, reference: str = "R-7K3Q") -> str:
    return sign_statement(signer, receipt_body(reference, utcnow(), Channel.WEB_FORM))


def _write(tmp_path: Path, text: str, name: str = "receipt.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_receipt_is_valid(tmp_path: Path, signer: Signer, keys_file: Path) -> None:
    receipt = _write(tmp_path, _receipt(signer))
    result = runner.invoke(app, ["receipt", "verify", str(receipt), "--keys", str(keys_file)])
    assert result.exit_code == 0, result.output
    assert f"valid receipt: signed by key {signer.key_id} (in use from 2026-01-01)" in result.output
    assert "reference: R-7K3Q" in result.output


def test_a_copy_through_a_chat_window_still_verifies(
    tmp_path: Path, signer: Signer, keys_file: Path
) -> None:
    # Line endings become CRLF, trailing spaces appear, blank lines around it.
    mangled = "\n\n" + _receipt(signer).replace("\n", "  \r\n") + "\r\n\r\n"
    receipt = _write(tmp_path, mangled)
    result = runner.invoke(app, ["receipt", "verify", str(receipt), "--keys", str(keys_file)])
    assert result.exit_code == 0, result.output


def test_the_official_list_and_stdin(signer: Signer, keys_file: Path) -> None:
    url = "https://safe.example"
    statement = sign_statement(signer, official_body(url, []))
    result = runner.invoke(
        app, ["receipt", "verify", "-", "--keys", str(keys_file)], input=statement
    )
    assert result.exit_code == 0, result.output
    assert "valid official list" in result.output


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t.replace("R-7K3Q", "R-7K3X"), "it was altered"),
        (lambda t: t.rsplit("\n--\n", 1)[0], "the signature block is missing"),
        (lambda t: t.replace("key: ", "key: ff"), "never published"),
        (lambda t: "", "nothing to check"),
    ],
)
def test_a_tampered_or_unsigned_text_is_not_valid(
    tmp_path: Path, signer: Signer, keys_file: Path, change: object, problem: str
) -> None:
    receipt = _write(tmp_path, change(_receipt(signer)))  # type: ignore[operator]
    result = runner.invoke(app, ["receipt", "verify", str(receipt), "--keys", str(keys_file)])
    assert result.exit_code == 1, result.output
    assert "NOT VALID" in result.output
    assert problem in result.output


def test_a_text_signed_with_the_service_key_is_not_a_receipt(
    tmp_path: Path, keys_file: Path
) -> None:
    service = load_signer(tmp_path / "service.pem")
    receipt = _write(tmp_path, _receipt(service))
    result = runner.invoke(app, ["receipt", "verify", str(receipt), "--keys", str(keys_file)])
    assert result.exit_code == 1


def test_unreadable_inputs_exit_2(tmp_path: Path, signer: Signer, keys_file: Path) -> None:
    receipt = _write(tmp_path, _receipt(signer))
    broken = _write(tmp_path, '{"keys": [{"key_id": "x"}]}', "broken.json")
    not_utf8 = tmp_path / "binary.txt"
    not_utf8.write_bytes(b"\xff\xfe\x00")
    cases = [
        [str(tmp_path / "missing.txt"), "--keys", str(keys_file)],
        [str(not_utf8), "--keys", str(keys_file)],
        [str(receipt), "--keys", str(tmp_path / "missing.json")],
        [str(receipt), "--keys", str(broken)],
        [str(receipt), "--url", "file:///etc/passwd"],
        [str(receipt), "--keys", str(keys_file), "--url", "http://127.0.0.1:1"],
    ]
    for args in cases:
        result = runner.invoke(app, ["receipt", "verify", *args])
        assert result.exit_code == 2, (args, result.output)


def test_a_rotated_key_keeps_verifying_what_it_signed(tmp_path: Path) -> None:
    settings = Settings(demo=True, db_url=f"sqlite:///{tmp_path / 'x.db'}")
    create_demo_channel_keys(settings, create_signer(tmp_path / "service.pem"))
    folder = settings.key_dir()
    old = load_signer(folder / "channel.pem")
    receipt = _write(tmp_path, _receipt(old))
    new_key = rotate_channel_key(settings)
    keys_file = folder / "channel-keys.json"
    retired = next(k for k in read_key_set(keys_file) if k.key_id == old.key_id)
    assert retired.valid_until is not None
    assert new_key.key_id != old.key_id
    result = runner.invoke(app, ["receipt", "verify", str(receipt), "--keys", str(keys_file)])
    assert result.exit_code == 0, result.output
    assert f"until {retired.valid_until.isoformat()}" in result.output
    # A receipt the retired key "signed" after its last day is refused (a stolen old key).
    later = utcnow() + timedelta(days=2)
    forged = sign_statement(old, receipt_body("R-7K3Q", later, Channel.WEB_FORM))
    result = runner.invoke(
        app, ["receipt", "verify", str(_write(tmp_path, forged, "f.txt")), "--keys", str(keys_file)]
    )
    assert result.exit_code == 1


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def key_server(keys_file: Path) -> Iterator[str]:
    handler = functools.partial(_QuietFiles, directory=str(keys_file.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_keys_can_be_fetched_from_a_url(
    tmp_path: Path, signer: Signer, key_server: str
) -> None:
    receipt = _write(tmp_path, _receipt(signer))
    url = key_server + "/safeconduct-keys.json"
    result = runner.invoke(app, ["receipt", "verify", str(receipt), "--url", url])
    assert result.exit_code == 0, result.output


def test_it_runs_with_no_database_and_no_key_but_the_list(
    tmp_path: Path, signer: Signer, keys_file: Path
) -> None:
    receipt = _write(tmp_path, _receipt(signer))
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECONDUCT_")}
    env["SAFECONDUCT_DB_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "safeconduct.cli",
            "receipt",
            "verify",
            str(receipt),
            "--keys",
            str(keys_file),
        ],
        cwd=empty,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(empty.iterdir()) == []

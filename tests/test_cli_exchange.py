"""`safeconduct exchange verify FILE`: an exported exchange list (JSON, CSV or PDF) checked
offline against the published key list, with no database. Exit 0 valid (and what the list
is), 1 not valid (and why), 2 unreadable."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeconduct.cli import app
from safeconduct.commands import exchange as exchange_command
from safeconduct.repatriation import documents
from safeconduct.security.signing import Signer, create_signer
from safeconduct.security.statements import published, write_key_set

runner = CliRunner()
PEOPLE = [
    {
        "category": "officer",
        "surname": "ADAMENKO",
        "given_names": "Petro",
        "patronymic": None,
        "date_of_birth": "1985-02-03",
        "rank": "captain",
        "service_number": "SN-1",
    },
    {
        "category": "enlisted",
        "surname": "ШЕВЧЕНКО",
        "given_names": "Тарас",
        "patronymic": "Г.",
        "date_of_birth": "1991",
        "rank": None,
        "service_number": None,
    },
]


@pytest.fixture
def service(tmp_path: Path) -> Signer:
    return create_signer(tmp_path / "service.pem")


@pytest.fixture
def channel(tmp_path: Path) -> Signer:
    return create_signer(tmp_path / "channel.pem")


@pytest.fixture
def keys_file(tmp_path: Path, service: Signer, channel: Signer) -> Path:
    path = tmp_path / "published" / "safeconduct-keys.json"
    write_key_set(path, [published(channel, "channel", date(2026, 1, 1)),
                         published(service, "service", date(2026, 1, 1))])  # fmt: skip
    return path


def _signed(signer: Signer) -> documents.Signed:
    doc = documents.document(
        list_id="list-1",
        event_id="event-1",
        counterpart="Counterpart",
        planned_on=date(2027, 6, 11),
        approval=1,
        approved_on=date(2027, 6, 1),
        people=PEOPLE,
    )
    return documents.sign(signer, doc)


@pytest.fixture(scope="module")
def pdf_signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Signer, bytes]:
    """The PDF takes a compiler run: one for the module."""
    signer = create_signer(tmp_path_factory.mktemp("pdf") / "service.pem")
    return signer, documents.render(_signed(signer), documents.ExportFormat.PDF)


def _export(tmp_path: Path, signer: Signer, fmt: str) -> Path:
    path = tmp_path / f"list.{fmt}"
    path.write_bytes(documents.render(_signed(signer), documents.ExportFormat(fmt)))
    return path


def _verify(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["exchange", "verify", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_good_export_is_valid_and_says_what_it_is(
    tmp_path: Path, service: Signer, keys_file: Path, fmt: str
) -> None:
    code, output = _verify(str(_export(tmp_path, service, fmt)), "--keys", str(keys_file))
    assert code == 0, output
    assert f"valid exchange list ({fmt.upper()}): signed by key {service.key_id}" in output
    assert "counterpart: Counterpart" in output
    assert "planned day: 2027-06-11" in output
    assert "people: 2" in output


def test_a_good_pdf_is_valid(tmp_path: Path, pdf_signer: tuple[Signer, bytes]) -> None:
    signer, pdf = pdf_signer
    keys = tmp_path / "keys.json"
    write_key_set(keys, [published(signer, "service", date(2026, 1, 1))])
    path = tmp_path / "list.pdf"
    path.write_bytes(pdf)
    code, output = _verify(str(path), "--keys", str(keys))
    assert code == 0, output
    assert f"valid exchange list (PDF): signed by key {signer.key_id}" in output
    assert "people: 2" in output
    # One byte changed in the rendered pages, and in the embedded document.
    for at in (len(pdf) // 3, pdf.rindex(b'"surname"') + 12):
        path.write_bytes(pdf[:at] + bytes([pdf[at] ^ 0x02]) + pdf[at + 1 :])
        code, output = _verify(str(path), "--keys", str(keys))
        assert code == 1, (at, output)
        assert "NOT VALID" in output


def test_stdin(tmp_path: Path, service: Signer, keys_file: Path) -> None:
    data = _export(tmp_path, service, "json").read_bytes()
    result = runner.invoke(app, ["exchange", "verify", "-", "--keys", str(keys_file)], input=data)
    assert result.exit_code == 0, result.output


def _replace(old: str, new: str) -> object:
    return lambda data: data.replace(old.encode(), new.encode(), 1)


CHANGES = [
    # A name changed in the document: its hash no longer holds.
    ("json", _replace("ADAMENKO", "ADAMENKA"), "it was altered"),
    ("csv", _replace('"surname":"ADAMENKO"', '"surname":"ADAMENKA"'), "it was altered"),
    # A name changed in the visible CSV rows only: the file is not what was signed.
    ("csv", _replace("1,officer,ADAMENKO", "1,officer,ADAMENKA"), "the file differs"),
    # A row dropped from the visible CSV.
    (
        "csv",
        lambda d: b"\n".join(ln for ln in d.split(b"\n") if not ln.startswith(b"2,")),
        "the file differs",
    ),
    # Formatting only (a reader saved it pretty-printed): still not what was signed.
    ("json", lambda d: json.dumps(json.loads(d), indent=2).encode(), "the file differs"),
    ("json", lambda d: d + b" ", "the file differs"),
    ("json", _replace('"signature":"', '"signature":"AAAA'), "altered"),
    ("json", _replace('"key_id":"', '"key_id":"ff'), "never published"),
    ("json", lambda d: d[: len(d) // 2], "not a signed exchange list"),
    ("json", lambda d: b"{}", "not a signed exchange list"),
    ("csv", lambda d: d.split(b"# document: ")[0], "not a signed exchange list"),
    ("json", lambda d: b"\xff\xfe garbage", "not a signed exchange list"),
]


@pytest.mark.parametrize(("fmt", "change", "problem"), CHANGES)
def test_an_altered_or_foreign_file_is_not_valid(
    tmp_path: Path, service: Signer, keys_file: Path, fmt: str, change: object, problem: str
) -> None:
    path = _export(tmp_path, service, fmt)
    path.write_bytes(change(path.read_bytes()))  # type: ignore[operator]
    code, output = _verify(str(path), "--keys", str(keys_file))
    assert code == 1, output
    assert "NOT VALID" in output
    assert problem in output


def test_every_single_byte_flip_of_a_json_export_is_not_valid(
    tmp_path: Path, service: Signer, keys_file: Path
) -> None:
    data = _export(tmp_path, service, "json").read_bytes()
    bad = tmp_path / "bad.json"
    for at in range(0, len(data), 7):
        bad.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
        code, output = _verify(str(bad), "--keys", str(keys_file))
        assert code == 1, (at, output)


def test_a_list_signed_with_the_channel_key_is_not_valid(
    tmp_path: Path, channel: Signer, keys_file: Path
) -> None:
    # The channel key signs receipts; an exchange list is the service key's.
    code, output = _verify(str(_export(tmp_path, channel, "json")), "--keys", str(keys_file))
    assert code == 1
    assert "never published" in output


def test_unreadable_inputs_exit_2(
    tmp_path: Path, service: Signer, keys_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _export(tmp_path, service, "json")
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.json"
    broken.write_text('{"keys": [{"key_id": "x"}]}', encoding="utf-8")
    cases = [
        [str(tmp_path / "missing.json"), "--keys", str(keys_file)],
        [str(tmp_path), "--keys", str(keys_file)],
        [str(empty), "--keys", str(keys_file)],
        [str(good), "--keys", str(tmp_path / "missing-keys.json")],
        [str(good), "--keys", str(broken)],
        [str(good), "--url", "file:///etc/passwd"],
        [str(good), "--url", "http://127.0.0.1:1/keys.json"],
        [str(good), "--keys", str(keys_file), "--url", "http://127.0.0.1:1"],
    ]
    for args in cases:
        code, output = _verify(*args)
        assert code == 2, (args, output)
    # The size is bounded: a file larger than any export is not read whole.
    monkeypatch.setattr(exchange_command, "MAX_FILE", 100)
    code, output = _verify(str(good), "--keys", str(keys_file))
    assert code == 2, output


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
    tmp_path: Path, service: Signer, key_server: str
) -> None:
    path = _export(tmp_path, service, "csv")
    code, output = _verify(str(path), "--url", key_server + "/safeconduct-keys.json")
    assert code == 0, output


def test_it_runs_with_no_database_and_no_key_but_the_list(
    tmp_path: Path, service: Signer, keys_file: Path
) -> None:
    path = _export(tmp_path, service, "json")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFECONDUCT_")}
    env["SAFECONDUCT_DB_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    done = subprocess.run(
        [sys.executable, "-m", "safeconduct.cli", "exchange", "verify", str(path),
         "--keys", str(keys_file)],
        cwd=empty, env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"people: 2" in done.stdout
    assert list(empty.iterdir()) == []


NESTED = [
    b'{"document":' + b"[" * 100_000,
    b"%PDF-1.7\n\n" + documents.PDF_MARK + b"[" * 100_000,
    b"# x\n" + documents.CSV_MARK.encode() + b"[" * 100_000,
]


@pytest.mark.parametrize("data", NESTED, ids=["json", "pdf", "csv"])
def test_deeply_nested_json_is_not_valid_and_the_cli_does_not_crash(
    tmp_path: Path, keys_file: Path, data: bytes
) -> None:
    path = tmp_path / "nested"
    path.write_bytes(data)
    result = runner.invoke(app, ["exchange", "verify", str(path), "--keys", str(keys_file)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "NOT VALID: not a signed exchange list" in result.output


@pytest.mark.parametrize("data", NESTED, ids=["json", "pdf", "csv"])
def test_deeply_nested_json_is_not_valid_for_verify(data: bytes) -> None:
    check = documents.verify(data, [])
    assert not check.ok

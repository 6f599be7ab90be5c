"""The demo: deterministic synthetic people, and no sealed plaintext anywhere in the store."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from safeconduct.audit.models import AuditEntry
from safeconduct.cli import app
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.demo.seed import seed
from safeconduct.demo.synthetic import HOW_CAPTURED, HOW_VOLUNTARY, generate
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from tests.factories import add_custody, add_person, add_request

CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")


def test_the_same_seed_gives_the_same_people() -> None:
    assert generate(11, 40) == generate(11, 40)
    assert generate(11, 40) != generate(12, 40)


def test_synthetic_people_have_patronymics_in_both_scripts() -> None:
    people = generate(3, 200)
    assert all(p.patronymic and p.name_original_script for p in people)
    assert all(CYRILLIC.search(p.name_original_script) for p in people)
    assert all(not CYRILLIC.search(p.surname + p.given_names + p.patronymic) for p in people)


def test_seeding_writes_people_custody_and_an_intact_log(rt: Runtime) -> None:
    assert seed(rt, people=30, seed_value=5).people == 30
    with rt.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 30
        assert s.scalar(select(func.count()).select_from(AuditEntry)) > 60


def _planted(rt: Runtime) -> list[str]:
    markers = ["ZQXPLANTEDFORD", "ZQXPLANTEDHOW", "+000 ZQXPLANTEDPHONE", "ZQXPLANTEDMESSAGE"]
    person = add_person(rt, surname="PLAINSURNAME")
    add_custody(rt, person, place=markers[0], how=markers[1], mode=SurrenderMode.VOLUNTARY)
    add_request(rt, contact=markers[2], content=markers[3])
    return markers


def _dump(db_url: str, tmp_path: Path) -> bytes:
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return b"".join(p.read_bytes() for p in Path(url.database or "").parent.glob("store.db*"))
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is needed to inspect the PostgreSQL store")
    out = tmp_path / "dump.sql"
    subprocess.run(
        [
            pg_dump,
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-f",
            str(out),
            url.database or "",
        ],
        check=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    return out.read_bytes()


def test_no_sealed_plaintext_is_stored(rt: Runtime, db_url: str, tmp_path: Path) -> None:
    seed(rt, people=50, seed_value=9)
    markers = _planted(rt)
    rt.close()
    dump = _dump(db_url, tmp_path)
    assert b"PLAINSURNAME" in dump  # the dump is readable: identity is there, in plain text
    for marker in markers:
        assert marker.encode() not in dump
    for how in (*HOW_VOLUNTARY, *HOW_CAPTURED):
        assert how.encode() not in dump
    for p in generate(9, 50):
        assert p.contact.encode() not in dump


DEMO = ("demo", "--seed-only", "--no-treatment", "--days", "240")


def test_demo_command_fills_2000_people_with_no_plaintext(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(
        # Treatment is seeded and checked for plaintext at a smaller scale: test_treatment_demo.
        app,
        # At the default pace (eight captures a day), not spread over the demo's year.
        [*DEMO, "--db", f"sqlite:///{db}", "--people", "2000"],
    )
    assert result.exit_code == 0, result.output
    data = b"".join(p.read_bytes() for p in tmp_path.glob("demo.db*") if p.is_file())
    population = generate(7, 2000)
    assert population[0].surname.encode() in data
    for p in population[:200]:
        assert p.contact.encode() not in data
        assert p.message.encode() not in data
    for how in (*HOW_VOLUNTARY, *HOW_CAPTURED):
        assert how.encode() not in data
    verify = CliRunner().invoke(app, ["audit", "verify", "--db", f"sqlite:///{db}"])
    assert verify.exit_code == 0, verify.output

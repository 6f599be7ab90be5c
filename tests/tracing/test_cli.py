"""The ``trace match`` command contract (DESIGN.md, "Interfaces other tools rely on")."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from safeconduct.tracing.cli import trace_app
from safeconduct.tracing.matcher import CANDIDATE_THRESHOLD, CANDIDATE_TOP_K, DEFAULT_THRESHOLD

REGISTRY = """id,surname,given_name,patronymic,date_of_birth
1,Щербаков,Сергей,Петрович,1990-04-12
2,Щербаков,Сергей,Петрович,1972-09-30
3,Коваленко,Олександр,Іванович,1988-01
4,,,,
5,Иванов,Иван,,1985
"""
INQUIRIES_LATIN = """inquiry_id,surname,given_name,patronymic,date_of_birth
q1,Schtscherbakow,Sergej,,1990-12-04
q2,Kovalenko,Aleksandr,Ivanovich,1988
q3,Nobody,Atall,,
q4,,,,
"""
INQUIRIES_CYRILLIC = """inquiry_id,surname,given_name,patronymic,date_of_birth
q1,ЩЕРБАКОВ,СЕРГІЙ,П.,1990-04-12
q2,Олександр,Коваленко,,1988-01
"""

runner = CliRunner()


def _write(path: Path, content: str, *, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + content.encode("utf-8"))
    return path


def _match(tmp_path: Path, *args: str) -> tuple[int, str, list[list[str]]]:
    out = tmp_path / "m.csv"
    result = runner.invoke(trace_app, ["match", "--out", str(out), "--quiet", *args])
    rows = list(csv.reader(out.open(encoding="utf-8"))) if out.exists() else []
    return result.exit_code, result.output, rows


def _files(tmp_path: Path, inquiries: str, *, bom: bool = False) -> list[str]:
    reg = _write(tmp_path / "r.csv", REGISTRY, bom=bom)
    inq = _write(tmp_path / "q.csv", inquiries, bom=bom)
    return ["--registry", str(reg), "--inquiries", str(inq)]


@pytest.mark.parametrize("bom", [False, True])
def test_latin_inquiries_against_cyrillic_registry(tmp_path: Path, bom: bool) -> None:
    code, output, rows = _match(tmp_path, *_files(tmp_path, INQUIRIES_LATIN, bom=bom))
    assert code == 0, output
    assert rows[0] == ["inquiry_id", "id", "score"]
    best = {r[0]: r[1] for r in reversed(rows[1:])}
    assert best == {"q1": "1", "q2": "3"}
    assert all(0 <= float(r[2]) <= 1 and len(r[2].split(".")[1]) == 4 for r in rows[1:])


def test_cyrillic_only_file(tmp_path: Path) -> None:
    code, output, rows = _match(tmp_path, *_files(tmp_path, INQUIRIES_CYRILLIC))
    assert code == 0, output
    assert [r[:2] for r in rows[1:]][:1] == [["q1", "1"]]
    assert ["q2", "3"] in [r[:2] for r in rows[1:]]


def test_top_and_threshold_bound_the_output(tmp_path: Path) -> None:
    code, _, rows = _match(
        tmp_path, *_files(tmp_path, INQUIRIES_LATIN), "--top", "1", "--threshold", "0"
    )
    assert code == 0
    ids = [r[0] for r in rows[1:]]
    assert len(ids) == len(set(ids))
    code, _, rows = _match(tmp_path, *_files(tmp_path, INQUIRIES_LATIN), "--threshold", "1")
    assert code == 0
    assert rows == [["inquiry_id", "id", "score"]]


def test_registry_from_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reg.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE persons (id INTEGER PRIMARY KEY, surname TEXT, "
                "given_names TEXT, patronymic TEXT, date_of_birth TEXT, "
                "erased_at TEXT)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO persons VALUES (7, 'Щербаков', 'Сергей', NULL, "
                "'1990-04-12', NULL), (8, 'Щербаков', 'Сергей', NULL, "
                "'1990-04-12', '2024-01-01')"
            )
        )
    engine.dispose()
    inq = _write(tmp_path / "q.csv", INQUIRIES_LATIN)
    code, output, rows = _match(tmp_path, "--db", url, "--inquiries", str(inq))
    assert code == 0, output
    assert [r[:2] for r in rows[1:]] == [["q1", "7"]]


@pytest.mark.parametrize(
    ("inquiries", "row", "column"),
    [
        ("inquiry_id,surname,given_name,date_of_birth\nq1,A,B,1990\n", "row 1", "patronymic"),
        (INQUIRIES_LATIN.replace("1988\n", "1988-02-30\n"), "row 3", "date_of_birth"),
        (INQUIRIES_LATIN.replace("q3,", "q1,"), "row 4", "inquiry_id"),
        (INQUIRIES_LATIN + "q9,A\n", "row 6", "given_name"),
        ("", "row 1", ""),
    ],
)
def test_malformed_file_names_row_and_column(
    tmp_path: Path, inquiries: str, row: str, column: str
) -> None:
    code, output, rows = _match(tmp_path, *_files(tmp_path, inquiries))
    assert code == 2
    assert row in output
    assert column in output
    assert "q.csv" in output
    assert "Traceback" not in output
    assert rows == []


def test_registry_and_db_are_exclusive(tmp_path: Path) -> None:
    inq = _write(tmp_path / "q.csv", INQUIRIES_LATIN)
    code, output, _ = _match(tmp_path, "--inquiries", str(inq))
    assert code == 2
    assert "--registry" in output


def test_unknown_engine_and_bad_database_are_refused(tmp_path: Path) -> None:
    code, _, _ = _match(tmp_path, *_files(tmp_path, INQUIRIES_LATIN), "--engine", "oracle")
    assert code == 2
    inq = _write(tmp_path / "q.csv", INQUIRIES_LATIN)
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, output, _ = _match(tmp_path, "--db", url, "--inquiries", str(inq))
    assert code == 2
    assert "database" in output
    assert "Traceback" not in output


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    args = _files(tmp_path, INQUIRIES_LATIN)
    (tmp_path / "q.csv").write_bytes("inquiry_id,surname\nq1,Щ\n".encode("cp1251"))
    code, output, _ = _match(tmp_path, *args)
    assert code == 2
    assert "UTF-8" in output


INQUIRIES_WEAK = """inquiry_id,surname,given_name,patronymic,date_of_birth
q1,Schtscherbakow,Sergej,,
q2,Kovalenko,Aleksandr,Ivanovich,1988
"""


def test_candidate_mode_lists_weaker_candidates_for_review(tmp_path: Path) -> None:
    files = _files(tmp_path, INQUIRIES_WEAK)
    code, output, rows = _match(tmp_path, *files)
    assert code == 0, output
    assert [r[:2] for r in rows[1:]] == [["q2", "3"]]
    code, output, rows = _match(tmp_path, *files, "--candidates")
    assert code == 0, output
    found = [r[:2] for r in rows[1:]]
    # Names alone fit both namesakes: neither is an answer, both are worth a look.
    assert found == [["q1", "1"], ["q1", "2"], ["q2", "3"]]
    scores = [float(r[2]) for r in rows[1:]]
    assert all(s >= CANDIDATE_THRESHOLD for s in scores)
    assert all(s < DEFAULT_THRESHOLD for s in scores[:2])


def test_candidate_mode_yields_to_explicit_top_and_threshold(tmp_path: Path) -> None:
    files = _files(tmp_path, INQUIRIES_WEAK)
    _, _, rows = _match(tmp_path, *files, "--candidates", "--top", "1")
    assert [r[0] for r in rows[1:]] == ["q1", "q2"]
    _, _, rows = _match(tmp_path, *files, "--candidates", "--threshold", "0.5")
    assert [r[:2] for r in rows[1:]] == [["q2", "3"]]


def test_candidate_mode_is_top_five() -> None:
    assert CANDIDATE_TOP_K == 5
    assert 0 < CANDIDATE_THRESHOLD < DEFAULT_THRESHOLD

"""The export gate: the only writer of output bytes, with allow-lists that carry nothing
sealed, and `admit` that refuses what no one declared."""

from __future__ import annotations

import ast
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import LargeBinary

import safeconduct
from safeconduct import models
from safeconduct.bureau import gate
from safeconduct.bureau.gate import ALLOWED, FORBIDDEN_WORDS, NotAllowedError, Output
from safeconduct.security.sealing import SealedType
from safeconduct.security.spreadsheet import FORMULA_START

SRC = Path(safeconduct.__file__).parent
GATE = SRC / "bureau" / "gate.py"

# Modules that call json.dumps / json.dump for something that never leaves as an output
# file: each is storage, sealing or signing inside the system, or a public key.
JSON_INSIDE = {
    # The body of an answer sealed with AEAD before it is stored.
    "channels/webhook.py": "seals a webhook answer before storing it",
    # A submission's payload sealed to the intake key; the sealed boxes kept as a column.
    "channels/service.py": "seals a submission; stores the sealed boxes",
    # A contact sealed before it is stored.
    "channels/policy.py": "the bytes of a contact, sealed at once",
    # The parts of an outbound message, sealed in the outbox.
    "channels/outbox.py": "sealed outbox message body",
    # The canonical form an audit entry's hash chains over.
    "audit/policy.py": "what the audit hash chain hashes",
    # The auditor's own note of the newest checkpoint verified: an entry number and a hash.
    "commands/audit_verify.py:write_anchor": "a checkpoint's number and hash, no person",
    # The keyring seals JSON values.
    "security/service.py": "plaintext handed to the keyring to seal",
    # A person's revision history column (stored, shown only inside).
    "people/service.py": "person revision values, stored",
    # A list of ids bound as one SQLite parameter.
    "people/search.py": "a SQLite json_each query parameter",
    # The published key set: public keys, no person in it.
    "security/statements.py": "the public key set, no personal data",
    # The service's own key file (private key storage, never sent).
    "security/keys.py": "key storage on the server",
    # A bureau module is allowed one function, not the whole module: the rest of it writes
    # outputs, through the gate. Here: the size a CTA record will take once sealed.
    "bureau/cta.py:_sealed_size": "the length of a record to be sealed, never written",
    # A family inquiry's fields, sealed to the intake key on the public face.
    "inquiries/policy.py:to_json": "an inquiry sealed to the intake key",
}
# Names that hold a sealed value somewhere (besides every sealed column, found below): an
# allow-list naming one of them would carry it out.
SEALED_NAMES = {"circumstances", "contact", "content", "notes", "risk_reasons", "family"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        if path != GATE:
            yield str(path.relative_to(SRC)), ast.parse(path.read_text(), str(path))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _uses(tree: ast.Module) -> set[str]:
    """Every `module.name` the module refers to, with from-imports written out."""
    aliases: dict[str, str] = {}
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for name in node.names:
                aliases[name.asname or name.name] = f"{node.module}.{name.name}"
                found.add(f"{node.module}.{name.name}")
        elif isinstance(node, ast.Import):
            for name in node.names:
                aliases[name.asname or name.name] = name.name
                found.add(name.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name):
            name = _dotted(node)
            head, _, rest = name.partition(".")
            if head in aliases:
                found.add(aliases[head] + (f".{rest}" if rest else ""))
    return found


WRITERS = {"csv.writer", "csv.DictWriter", "typst", "typst.compile"}
JSON_WRITERS = {"json.dumps", "json.dump"}


def test_nothing_outside_the_gate_writes_csv_or_typesets() -> None:
    offenders = {
        name: sorted(_uses(tree) & WRITERS) for name, tree in _modules() if _uses(tree) & WRITERS
    }
    assert offenders == {}


def _json_calls(name: str, tree: ast.Module) -> set[str]:
    """Where the module writes JSON: `module:function` for each call of json.dumps or
    json.dump (`module:` outside a function), or the module when it only imports them."""
    if not _uses(tree) & JSON_WRITERS:
        return set()
    found: set[str] = set()

    def walk(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Call) and _dotted(child.func) in {*JSON_WRITERS, "dumps"}:
                found.add(f"{name}:{where}")
            walk(child, inner)

    walk(tree, "")
    return found or {name}


def test_json_outside_the_gate_is_only_for_storage_sealing_and_signing() -> None:
    users = {place for name, tree in _modules() for place in _json_calls(name, tree)}
    allowed = {u for u in users if u in JSON_INSIDE or u.split(":")[0] in JSON_INSIDE}
    assert users - allowed == set(), "an output written with json.dumps: use the gate"


def test_the_scan_finds_a_writer() -> None:
    # The scan itself must see through an alias and a from-import.
    code = (
        "import csv as c\nfrom typst import compile as tc\nc.writer(x)\nimport json\njson.dumps(1)"
    )
    used = _uses(ast.parse(code))
    assert {"csv.writer", "typst.compile", "json.dumps"} <= used
    inside = "import json\ndef export(x):\n    return json.dumps(x)\n"
    assert _json_calls("m.py", ast.parse(inside)) == {"m.py:export"}


def _sealed_columns() -> set[str]:
    return {
        column.name
        for table in models.Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, SealedType | LargeBinary)
    }


def test_the_sealed_columns_are_known() -> None:
    assert {"circumstances", "details", "contact", "content", "family"} <= _sealed_columns()


@pytest.mark.parametrize("output", list(Output))
def test_no_allow_list_names_a_forbidden_word_or_a_sealed_field(output: Output) -> None:
    assert gate.forbidden_fields(output) == []
    sealed = SEALED_NAMES | _sealed_columns()
    for path in ALLOWED[output]:
        words = path.replace(".", " ").replace("_", " ").split()
        assert not FORBIDDEN_WORDS & set(words), path
        assert not sealed & set(path.split(".")), path


def test_admit_refuses_an_unknown_field_naming_the_path_not_the_value() -> None:
    secret = "surrendered-through-the-hotline"
    with pytest.raises(NotAllowedError) as refused:
        gate.admit(Output.TRACE_MATCHES, {"inquiry_id": "q1", "circumstances": secret})
    assert "circumstances" in str(refused.value)
    assert secret not in str(refused.value)


def test_admit_refuses_a_nested_unknown_field() -> None:
    person = {"number": 1, "surname": "IVANOV", "notes": {"text": "private"}}
    with pytest.raises(NotAllowedError) as refused:
        gate.admit(Output.EXCHANGE_LIST, {"document": {"people": [person]}})
    assert "document.people.notes" in str(refused.value)
    assert "private" not in str(refused.value)


@pytest.mark.parametrize(
    "value", [b"\x89PNG", bytearray(b"RIFF"), memoryview(b"ID3"), [b"x"], {"surname": b"x"}]
)
def test_admit_refuses_bytes_anywhere(value: Any) -> None:
    record = {"document": {"people": [{"surname": value}]}}
    with pytest.raises(NotAllowedError):
        gate.admit(Output.EXCHANGE_LIST, record)


def test_admit_refuses_what_no_output_carries() -> None:
    with pytest.raises(NotAllowedError):
        gate.admit(Output.TRACE_MATCHES, {"id": object()})
    with pytest.raises(NotAllowedError):
        gate.admit(Output.TRACE_MATCHES, {1: "x"})  # type: ignore[dict-item]


def test_a_part_is_admitted_against_the_paths_under_it() -> None:
    row = gate.admit(Output.EXCHANGE_LIST, {"number": 1, "surname": "X"}, at="document.people")
    assert row.at == "document.people"
    with pytest.raises(NotAllowedError):
        gate.admit(Output.EXCHANGE_LIST, {"list_id": "x"}, at="document.people")
    with pytest.raises(NotAllowedError):
        gate.admit(Output.EXCHANGE_LIST, {"surname": "X"}, at="document.nowhere")


def test_an_admitted_record_is_frozen_and_made_only_by_admit() -> None:
    row = gate.admit(Output.TRACE_MATCHES, {"id": "r1"})
    with pytest.raises(TypeError):
        row._data["score"] = 1  # what a careless caller might try
    with pytest.raises(TypeError):
        gate.Admitted(Output.TRACE_MATCHES, {"x": 1}, object())


# -- random nested records -------------------------------------------------------------------

SEGMENTS = sorted({s for paths in ALLOWED.values() for p in paths for s in p.split(".")})
KEYS = st.one_of(st.sampled_from(SEGMENTS), st.text(min_size=1, max_size=12))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
RECORDS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, min_size=1, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, at: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{at}.{key}" if at else key
            yield where
            yield from _paths(item, where)
    elif isinstance(value, list):
        for item in value:
            yield from _paths(item, at)


@settings(max_examples=300, deadline=None)
@given(
    output=st.sampled_from(list(Output)),
    record=st.dictionaries(KEYS, RECORDS, max_size=5),
)
def test_a_random_record_passes_only_if_every_path_is_allowed(
    output: Output, record: dict[str, Any]
) -> None:
    allowed = all(p in ALLOWED[output] for p in _paths(record))
    try:
        admitted = gate.admit(output, record)
    except NotAllowedError:
        assert not allowed
    else:
        assert allowed
        assert admitted.plain() == record


# -- the writers -----------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\r=1", '=1+"a,b"']
CELLS = st.text(max_size=20) | st.sampled_from(FORMULAS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS), min_size=1, max_size=5))
def test_csv_text_neutralises_formulas(rows: list[tuple[str, str]]) -> None:
    admitted = [gate.admit(Output.TRACE_MATCHES, {"inquiry_id": a, "id": b}) for a, b in rows]
    text = gate.csv_text(admitted, ("inquiry_id", "id"))
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == ["inquiry_id", "id"]
    assert len(read) == len(rows) + 1
    for (a, b), got in zip(rows, read[1:], strict=True):
        for typed, cell in zip((a, b), got, strict=True):
            assert not cell.startswith(FORMULA_START)
            assert cell in (typed, "'" + typed)


def test_csv_text_refuses_a_column_the_output_does_not_carry() -> None:
    row = gate.admit(Output.TRACE_MATCHES, {"id": "r1"})
    with pytest.raises(NotAllowedError):
        gate.csv_text([row], ("id", "surname"))


def test_csv_text_writes_comment_lines_and_the_line_end_asked() -> None:
    row = gate.admit(Output.EXCHANGE_LIST, {"number": 1, "surname": "Ш"}, at="document.people")
    text = gate.csv_text([row], ("number", "surname"), before=["# a"], after=["# b"], line_end="\n")
    assert text == "# a\nnumber,surname\n1,Ш\n# b\n"
    scored = gate.admit(Output.TRACE_MATCHES, {"inquiry_id": "q", "id": "r", "score": 0.98765})
    assert (
        gate.csv_text([scored], ("inquiry_id", "id", "score"))
        == "inquiry_id,id,score\r\nq,r,0.9877\r\n"
    )


def test_canonical_json_is_sorted_compact_and_escapes_only_when_asked() -> None:
    row = gate.admit(Output.TRACE_MATCHES, {"score": 1, "id": "Ш"})
    assert gate.canonical_json(row) == '{"id":"Ш","score":1}'.encode()
    assert gate.canonical_json(row, ascii_only=True) == b'{"id":"\\u0428","score":1}'
    assert json.loads(gate.canonical_json(row, ascii_only=True)) == {"id": "Ш", "score": 1}

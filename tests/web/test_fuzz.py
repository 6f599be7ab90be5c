"""schemathesis over the OpenAPI schema, as every role: no 5xx, every response conforms.

Twice: with the cases schemathesis generates, and with those cases' strings (body, query,
path) replaced by hostile ones: foreign digits, whitespace of every kind, invisible
characters, long text, impossible dates. Bounded: a few examples per operation and role,
on SQLite (the storage tests cover both databases); raise FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case
from starlette.types import Message

from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.http.limits import BodySizeLimit
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import create_signer
from safeconduct.web.app import create_app
from tests.factories import add_custody, add_person, add_request, role_tokens

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
# Strings that look like digits, dates or text to a careless parser, and are none of them.
HOSTILE = (
    "١٢٣٤٥٦",  # Arabic-Indic
    "۱۲۳۴۵۶",  # Extended Arabic-Indic
    "１２３４５６",  # full-width
    "१२३४५६",  # Devanagari
    "𝟏𝟐𝟑𝟒𝟓𝟔",  # mathematical bold, outside the BMP
    "19٩٠-01-01",
    "１９９０-０１-０１",
    "2026-0٥-01T10:00:00Z",
    "0001-01-01",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "1990-02-30",
    "2026-05-01T10:00:00",  # no zone
    "",
    "     ",
    "\t\r\n",
    "\u00a0\u00a0\u00a0\u00a0\u00a0",  # no-break spaces
    "\u200b\u200b\u200b\u200b\u200b",  # zero-width spaces
    "\u3000\u2003\u2028\u2029\ufeff",
    "a   b",
    "a\u200bb\u00a0c\u202ed",
    "x" * 200,
    "٩" * 200,
    "𝟏" * 500,
    "long reason " * 160,
)


@pytest.fixture(scope="module")
def fuzz_world(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[Runtime, dict[Role, str]]]:
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(sqlite_template, folder / "store.db")
    FileKeyProvider.create(folder / "kek.json")
    create_signer(folder / "signing.pem")
    rt = open_runtime(
        Settings(
            db_url=f"sqlite:///{folder}/store.db",
            kek_file=folder / "kek.json",
            signing_key_file=folder / "signing.pem",
        )
    )
    add_custody(rt, add_person(rt))
    add_request(rt)
    tokens = role_tokens(rt, "fuzz")
    yield rt, tokens
    rt.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_world: tuple[Runtime, dict[Role, str]]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_world[0]))


def _operations(schema: schemathesis.BaseSchema) -> list[APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


# "Schema-valid data must be accepted" cannot hold here: a schema cannot say which
# six-digit code is the current TOTP code, nor that 1990-02-31 is no date. Every other
# check runs: no 5xx, documented status codes, content types, headers and bodies.
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: str) -> Any:
    if not path:
        return new
    value = copy.copy(value)
    value[path[0]] = _replaced(value[path[0]], path[1:], new)
    return value


def _hostile(case: Case, data: st.DataObject) -> None:
    """Put hostile strings in place of one or every string the case carries."""
    for container in ("body", "query", "path_parameters"):
        value = getattr(case, container)
        paths = list(_strings(value)) if isinstance(value, dict | list | str) else []
        if not paths:
            continue
        if data.draw(st.booleans(), label=f"every string in {container}"):
            chosen = paths
        else:
            chosen = [data.draw(st.sampled_from(paths), label=f"one string in {container}")]
        # A blank path segment is another URL (clients drop it), not a hostile value.
        pool = [h for h in HOSTILE if h.strip()] if container == "path_parameters" else HOSTILE
        for path in chosen:
            value = _replaced(value, path, data.draw(st.sampled_from(pool), label=str(path)))
        # A new object, not an edit in place: schemathesis then re-checks whether the case
        # still fits the schema, and a case that no longer does must be refused.
        setattr(case, container, value)


def _fuzz(operation: APIOperation, tokens: dict[Role, str], *, hostile: bool) -> None:

    @given(case=operation.as_strategy(), data=st.data())
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def run(case: Case, data: st.DataObject) -> None:
        if hostile:
            _hostile(case, data)
        for role in (None, *Role):
            headers = {} if role is None else {"Authorization": f"Bearer {tokens[role]}"}
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    run()


def _every_operation(
    schema: schemathesis.BaseSchema, tokens: dict[Role, str], *, hostile: bool
) -> list[str]:
    operations = _operations(schema)
    assert len(operations) >= 25
    failures = []
    for operation in operations:
        try:
            _fuzz(operation, tokens, hostile=hostile)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    return failures


def test_no_server_error_and_every_response_conforms(
    api_schema: schemathesis.BaseSchema, fuzz_world: tuple[Runtime, dict[Role, str]]
) -> None:
    failures = _every_operation(api_schema, fuzz_world[1], hostile=False)
    assert failures == [], "\n\n".join(failures)


def test_hostile_strings_give_no_server_error(
    api_schema: schemathesis.BaseSchema, fuzz_world: tuple[Runtime, dict[Role, str]]
) -> None:
    failures = _every_operation(api_schema, fuzz_world[1], hostile=True)
    assert failures == [], "\n\n".join(failures)


def test_hostile_strings_reach_every_kind_of_field() -> None:
    case: dict[str, Any] = {"a": "x", "b": [{"c": "y"}, 3], "d": None}
    assert list(_strings(case)) == [("a",), ("b", 0, "c")]
    changed = _replaced(case, ("b", 0, "c"), HOSTILE[0])
    assert changed["b"][0]["c"] == HOSTILE[0]
    assert case["b"][0]["c"] == "y"  # the generated case itself is left as it was


@pytest.mark.parametrize(
    ("declared", "status"),
    [
        (b"12", 200),
        ("١٢".encode(), 413),
        ("１２".encode(), 413),
        (b"+12", 413),
        (b" 12", 413),
        (b"1_2", 413),
        (b"", 413),
        (b"9" * 40, 413),
        (str(300 * 1024).encode(), 413),
    ],
)
def test_a_declared_length_is_ascii_digits_within_the_limit(declared: bytes, status: int) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", declared)]}
    # In a thread of its own: a browser test earlier in this worker keeps an event loop
    # running in the main thread (Playwright's sync API), where asyncio.run refuses to start.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, BodySizeLimit(app)(scope, receive, send)).result()
    assert sent[0]["status"] == status

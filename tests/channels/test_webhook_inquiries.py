"""Family inquiries through the signed webhook: a delivery `{"kind": "inquiry", ...}` ends as
an inquiry the operator face takes in, its names sealed; a bad field is named, never its
value; redeliveries and replays take nothing twice; floods trip the integration's and the
contact's limits, shared with requests."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from safeconduct.audit.service import verify
from safeconduct.channels import limits
from safeconduct.channels import service as channels
from safeconduct.channels.models import Submission, SubmissionKind, Ticket, TicketKind
from safeconduct.inquiries import service as inquiries
from safeconduct.inquiries.models import Inquiry
from safeconduct.intake.models import Channel
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.security.statements import check_statement
from tests.channels.test_webhook import BODY, NONE, ONE, Hook, _add, _rows
from tests.factories import ACTOR

INQUIRY = {
    "kind": "inquiry",
    "surname": "Гриценко",
    "given_name": "Тарас",
    "patronymic": "Богданович",
    "date_of_birth": "1987-09",
    "place_last_seen": "Бригада планта",
    "contact": "+380 67 765 4321",
    "relationship": "parent",
    "language": "uk",
}
PLANTED = ("Гриценко", "Тарас", "Богданович", "Бригада планта", "765 4321")


@pytest.fixture
def hook(rt: Runtime, public_client: TestClient) -> Hook:
    return Hook(public_client, _add(rt, "ivr-line"))


def _post(hook: Hook, body: dict[str, Any] | bytes, key: str = "k-1", **kw: Any) -> Any:
    return hook.post(body, key=key, **kw)  # type: ignore[arg-type]


def _ingest(rt: Runtime) -> int:
    with rt.transaction() as session:
        return inquiries.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


def _dump(session: Session, table: str) -> bytes:
    rows = session.execute(text(f"SELECT * FROM {table}"))
    return b"".join(
        repr(tuple(row)).encode()
        + b"".join(bytes(v) for v in row if isinstance(v, bytes | memoryview))
        for row in rows
    )


def test_a_signed_inquiry_ends_as_an_inquiry_with_its_names_sealed(
    hook: Hook, rt: Runtime, prt: PublicRuntime
) -> None:
    assert rt.channels is not None
    answer = _post(hook, INQUIRY)
    assert answer.status_code == 201, answer.text
    got = answer.json()
    assert set(got) == {"reference", "codename", "receipt"}
    assert check_statement(got["receipt"], prt.channels.published).ok
    assert f"reference: {got['reference']}" in got["receipt"]
    assert got["codename"] not in got["receipt"]
    assert _rows(prt) == ONE
    with prt.sessions() as session:
        assert session.scalars(select(Submission.kind)).one() == SubmissionKind.INQUIRY.value
        ticket = channels.find_ticket(session, keys=prt.channels, typed=got["codename"])
        assert ticket is not None
        assert ticket.kind == TicketKind.INQUIRY.value
        for table in ("submissions", "tickets", "channel_deliveries", "channel_limits"):
            assert not any(p.encode() in _dump(session, table) for p in PLANTED), table

    assert _ingest(rt) == 1
    with rt.transaction() as session:
        inquiry = session.scalars(select(Inquiry)).one()
        assert (inquiry.reference, inquiry.channel) == (got["reference"], Channel.WEBHOOK.value)
        assert inquiry.contact_index == channels.contact_index(rt.channels, INQUIRY["contact"])
        assert not any(p.encode() in _dump(session, "inquiries") for p in PLANTED)
        opened = inquiries.reveal(session, keyring=rt.keyring, audit=rt.audit, actor=ACTOR,
                                  inquiry=inquiry)  # fmt: skip
        assert json.loads(opened.to_json()) == {k: v for k, v in INQUIRY.items() if k != "kind"}
        audit_keys = rt.audit_keys()
        assert verify(session, audit_keys[0], audit_keys[1:]).ok
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_redelivered_inquiry_is_taken_once_and_its_codename_shown_once(
    hook: Hook, prt: PublicRuntime
) -> None:
    stamp = int(time.time())
    first = _post(hook, INQUIRY, at=stamp).json()
    for again in (_post(hook, INQUIRY, at=stamp), _post(hook, INQUIRY, at=stamp + 2)):
        assert again.status_code == 200
        assert again.json() == {**first, "codename": None}
    other = _post(hook, {**INQUIRY, "surname": "Інше"})
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    replay = _post(hook, INQUIRY, key="another-key", at=stamp)
    assert replay.status_code == 409
    assert _rows(prt) == ONE


def test_an_inquiry_takes_no_later_messages(hook: Hook, prt: PublicRuntime) -> None:
    first = _post(hook, INQUIRY).json()
    answer = _post(hook, {"codename": first["codename"], "message": "any news?"}, key="k-2")
    assert answer.status_code == 409
    assert answer.json()["detail"].startswith("codename:")
    with prt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1


BAD: list[tuple[dict[str, Any], str]] = [
    ({**INQUIRY, "surname": " "}, "surname"),
    ({k: v for k, v in INQUIRY.items() if k != "given_name"}, "given_name"),
    ({**INQUIRY, "patronymic": "Б" * 101}, "patronymic"),
    ({**INQUIRY, "date_of_birth": "14.09.1987"}, "date_of_birth"),
    ({**INQUIRY, "date_of_birth": "1987-13"}, "date_of_birth"),
    ({**INQUIRY, "contact": ""}, "contact"),
    ({**INQUIRY, "contact": 380677654321}, "contact"),
    ({**INQUIRY, "relationship": "cousin-planted"}, "relationship"),
    ({**INQUIRY, "language": "de"}, "language"),
    ({**INQUIRY, "message": "hi"}, "body"),
    ({**INQUIRY, "kind": "complaint"}, "kind"),
    ({**BODY, "kind": "inquiry"}, "body"),
]


def test_a_bad_inquiry_field_is_named_never_its_value(hook: Hook, prt: PublicRuntime) -> None:
    for n, (body, field) in enumerate(BAD):
        answer = _post(hook, body, key=f"bad-{n}")
        assert answer.status_code == 422, field
        assert answer.json()["detail"][0]["field"] == field
        for planted in ("Гриценко", "+380", "380677654321", "cousin-planted", "14.09.1987"):
            assert planted not in answer.text, field
    assert _rows(prt) == NONE


def test_a_flood_of_inquiries_trips_the_contact_limit_shared_with_requests(
    hook: Hook, prt: PublicRuntime
) -> None:
    hook.client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        contact=limits.Rule("contact", 2, limits.DAY_SECONDS)
    )
    same = INQUIRY["contact"]
    assert _post(hook, {**BODY, "contact": same}, key="r-1").status_code == 201
    assert _post(hook, INQUIRY, key="i-1").status_code == 201
    written_otherwise = {**INQUIRY, "contact": "+380677654321", "surname": "Коваль"}
    answer = _post(hook, written_otherwise, key="i-2")
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) <= limits.DAY_SECONDS
    assert _post(hook, {**INQUIRY, "contact": "@another-family"}, key="i-3").status_code == 201
    assert _rows(prt)["tickets"] == 3


def test_a_flood_of_deliveries_trips_the_integration_limit(hook: Hook, prt: PublicRuntime) -> None:
    hook.client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        integration=limits.Rule("integration", 3, 60)
    )
    codes = [
        _post(hook, {**INQUIRY, "surname": f"Коваль{n}", "contact": f"+1 555 {n}"},
              key=f"f-{n}").status_code
        for n in range(5)
    ]  # fmt: skip
    assert codes == [201, 201, 201, 429, 429]
    with prt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 3

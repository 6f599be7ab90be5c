"""Two-stage retention: once a request is closed, withdrawn, rejected or accepted and the
period has passed, its channel data is destroyed. After it, every path to the request answers
410 or "closed", the audit chain verifies, and the store holds nothing of what was planted;
a request not yet due is untouched."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.service import verify
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import retention
from safeconduct.channels import service as channels
from safeconduct.channels.models import (
    BotConversation,
    Integration,
    IntegrationKind,
    PublicStatus,
    Submission,
    SubmissionKind,
    Ticket,
    TicketReply,
)
from safeconduct.channels.policy import check_fields, due_for_destruction
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.db import new_id
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel, RequestStatus, SurrenderRequest
from safeconduct.runtime import Runtime
from safeconduct.security.sealing import FieldRef
from safeconduct.security.service import ErasedError
from tests.factories import ACTOR, add_request
from tests.web import conftest as web
from tests.web.ui import conftest as ui
from tests.web.ui.conftest import csrf_of

# The web tests' fixtures, shared rather than copied.
client, bearer, ui_login = web.client, web.bearer, ui.ui_login
Bearer = Callable[[Role], dict[str, str]]

CONTACT = "PLANTED-CONTACT +380 63 555 0199"
PLACE = "PLANTED-PLACE old mill by the ford"
CONTENT = "PLANTED-CONTENT-W4 three of us, one wounded"
AGAIN = "PLANTED-AGAIN-M8 we moved to the barn"
REPLY = "PLANTED-REPLY-T3 come at dawn"
NOTE = "PLANTED-NOTE-J5 called back twice"
REASON = "PLANTED-REASON-H2 the route is under fire"
PLANTED = (CONTACT, PLACE, CONTENT, AGAIN, REPLY, NOTE, REASON)
FOLLOW_UP = {"purpose": "intake_follow_up", "reason": "check after retention"}
DAYS = 30


def intake_field(request_id: str) -> FieldRef:
    return FieldRef(SurrenderRequest.__tablename__, "contact", request_id)


@dataclass
class Planted:
    request_id: str
    reference: str
    codename: str
    contact_index: str


def _ingest(rt: Runtime) -> None:
    with rt.transaction() as s:
        channels.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


def plant(rt: Runtime, end: RequestStatus = RequestStatus.REJECTED) -> Planted:
    """A request through the public face with every kind of channel data, ended."""
    assert rt.channels is not None
    fields = check_fields(CONTACT, PLACE, "uk", CONTENT)
    with rt.transaction() as s:
        issued = channels.submit(
            s, keys=rt.channels, audit=rt.audit, channel=Channel.WEB_FORM, fields=fields
        )
    _ingest(rt)
    with rt.transaction() as s:
        ticket = s.get(Ticket, issued.ticket_id)
        assert ticket is not None
        channels.write_again(s, keys=rt.channels, audit=rt.audit, ticket=ticket, text=AGAIN)
    _ingest(rt)
    with rt.transaction() as s:
        request = intake.get(s, request_id=issued.ticket_id)
        assert request is not None
        assert request.contact_index is not None
        work = {"keyring": rt.keyring, "audit": rt.audit, "actor": ACTOR, "request": request}
        channels.reply(s, text=REPLY, **work)  # type: ignore[arg-type]
        intake.add_note(s, text=NOTE, **work)  # type: ignore[arg-type]
        # A bot conversation that made this request, and a message still waiting in the inbox.
        s.add(BotConversation(id=new_id(), integration_id=_integration(s), chat_hash="c" * 64,
                              ticket_id=request.id))  # fmt: skip
        index = request.contact_index
        if end == RequestStatus.ACCEPTED:
            intake.move(s, status=RequestStatus.IN_REVIEW, **work)  # type: ignore[arg-type]
        intake.move(s, status=end, reason=REASON, **work)  # type: ignore[arg-type]
    with rt.transaction() as s:
        _waiting(s, rt, issued.ticket_id)
    return Planted(issued.ticket_id, issued.reference, issued.codename, index)


def _integration(s: Session) -> str:
    found = s.scalar(select(Integration.id))
    if found is not None:
        return str(found)
    made = Integration(id=new_id(), name=f"bot-{new_id()[:8]}", kind=IntegrationKind.TELEGRAM.value,
                       secret=b"sealed elsewhere")  # fmt: skip
    s.add(made)
    s.flush()
    return made.id


def _waiting(s: Session, rt: Runtime, ticket_id: str) -> None:
    # The public face refuses to write to a closed ticket; a message sent just before the
    # request closed may still wait in the inbox, sealed to the intake key.
    assert rt.channels is not None
    channels._put_in_inbox(
        s,
        keys=rt.channels,
        ticket_id=ticket_id,
        kind=SubmissionKind.MESSAGE,
        channel=Channel.WEB_FORM,
        payload={"message": AGAIN},
        integration_id=None,
    )


@contextmanager
def later(days: int) -> Iterator[None]:
    """Run the block `days` days from now."""
    moment = clock.now() + timedelta(days=days)
    with clock.using(clock.ManualClock(moment)):
        yield


def _store_text(rt: Runtime) -> str:
    """Every row of every table, cast to text: what a copy of the store gives away."""
    with rt.sessions() as s:
        tables = [t.name for t in AuditEntry.metadata.sorted_tables]
        rows = [repr(tuple(r)) for t in tables for r in s.execute(text(f'SELECT * FROM "{t}"'))]
    return "\n".join(rows)


def _raw_store(rt: Runtime) -> bytes:
    """The store as bytes on disk: the SQLite file and its journal, or a pg_dump."""
    url = make_url(rt.settings.db_url)
    if url.drivername.startswith("sqlite"):
        assert url.database is not None
        base = Path(url.database)
        files = [base, *(base.with_name(base.name + s) for s in ("-wal", "-journal"))]
        return b"".join(f.read_bytes() for f in files if f.exists())
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dumped = subprocess.run(["pg_dump", "--data-only", plain], capture_output=True, check=True,
                            timeout=60)  # fmt: skip
    return dumped.stdout


def _public_status(public_client: TestClient, codename: str) -> str:
    answer = public_client.post("/status", data={"codename": codename})
    assert answer.status_code == 200
    return str(answer.text)


def _destroyed_everywhere(
    rt: Runtime,
    planted: Planted,
    api: TestClient,
    headers: dict[str, str],
    public_client: TestClient,
) -> None:
    """Every path to the request answers 410 or "closed", and nothing planted is left."""
    request_id = planted.request_id
    revealed = api.post(f"/api/v1/requests/{request_id}/reveal", headers=headers, json=FOLLOW_UP)
    assert revealed.status_code == 410, revealed.text
    read = api.get(f"/api/v1/requests/{request_id}", headers=headers).json()
    assert read["channel_data_destroyed_on"] is not None
    assert read["same_contact"] == []
    noted = api.post(f"/api/v1/requests/{request_id}/notes", headers=headers, json={"text": "x"})
    assert noted.status_code == 409
    status = _public_status(public_client, planted.codename)
    assert "closed" in status
    assert all(value not in status for value in PLANTED)

    with rt.sessions() as s:
        request = s.get(SurrenderRequest, request_id)
        assert request is not None
        assert request.contact_index is None
        assert s.get(Ticket, request_id).public_status == PublicStatus.CLOSED.value  # type: ignore[union-attr]
        for table in (TicketReply, Submission, BotConversation):
            assert s.scalar(select(table.id).where(table.ticket_id == request_id)) is None
        with pytest.raises(ErasedError):
            rt.keyring.open(s, sealed=request.contact, field=intake_field(request_id))
        keys = rt.audit_keys()
        assert verify(s, keys[0], keys[1:]).ok
        destroyed = s.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.REQUEST_DESTROY.value)
        ).all()
    assert [(e.subject_id, e.actor) for e in destroyed] == [(request_id, "system:retention")]
    stored = _store_text(rt)
    raw = _raw_store(rt)
    for value in (*PLANTED, planted.codename):
        assert value not in stored
        assert value.encode("utf-8") not in raw
    assert planted.contact_index not in stored


@pytest.mark.parametrize("end", [RequestStatus.REJECTED, RequestStatus.ACCEPTED])
def test_retention_destroys_every_trace_past_the_period(
    rt: Runtime,
    client: TestClient,
    bearer: Bearer,
    public_client: TestClient,
    end: RequestStatus,
) -> None:
    planted = plant(rt, end)
    headers = bearer(Role.INTAKE)
    # Before: the data is there, and opens.
    opened = client.post(
        f"/api/v1/requests/{planted.request_id}/reveal", headers=headers, json=FOLLOW_UP
    )
    assert opened.status_code == 200
    assert opened.json()["contact"] == CONTACT
    assert REPLY in opened.text
    assert AGAIN in opened.text

    with later(DAYS - 1), rt.transaction() as s:
        assert retention.run(rt, s) == 0
    with later(DAYS), rt.transaction() as s:
        assert retention.run(rt, s) == 1
    with later(DAYS + 5), rt.transaction() as s:
        assert retention.run(rt, s) == 0  # idempotent
    _destroyed_everywhere(rt, planted, client, headers, public_client)


def test_the_command_destroys_what_is_due_and_the_page_says_so(
    rt: Runtime,
    settings: Settings,
    client: TestClient,
    bearer: Bearer,
    public_client: TestClient,
    ui_login: Callable[[Role], TestClient],
) -> None:
    planted = plant(rt)
    waiting = add_request(rt, contact=CONTACT)  # received: never due
    env = {
        "SAFECONDUCT_DB_URL": settings.db_url,
        "SAFECONDUCT_KEK_FILE": str(settings.kek_file),
        "SAFECONDUCT_SIGNING_KEY_FILE": str(settings.signing_key_file),
    }
    with later(3):
        early = CliRunner().invoke(app, ["retention", "run"], env=env)
        assert early.exit_code == 0, early.output
        assert "destroyed: 0 (period 30 days)" in early.output
        ran = CliRunner().invoke(app, ["retention", "run", "--days", "3"], env=env)
        assert ran.exit_code == 0, ran.output
        assert "destroyed: 1 (period 3 days)" in ran.output
        day = clock.today()
    _destroyed_everywhere(rt, planted, client, bearer(Role.INTAKE), public_client)

    officer = ui_login(Role.INTAKE)
    page = officer.get(f"/requests/{planted.request_id}").text
    assert 'id="channel-data-destroyed"' in page
    assert day.isoformat() in page
    assert "Reveal the contact, message and notes" not in page
    assert "Destroyed" in page
    token = csrf_of(page)
    revealed = officer.post(
        f"/requests/{planted.request_id}/reveal", data={"csrf_token": token, **FOLLOW_UP}
    )
    assert revealed.status_code == 410
    assert all(value not in revealed.text for value in PLANTED)
    with rt.sessions() as s:
        kept = s.get(SurrenderRequest, waiting.id)
        assert kept is not None
        assert kept.channel_data_destroyed_on is None
        assert rt.keyring.open(s, sealed=kept.contact, field=intake_field(waiting.id)) == (
            CONTACT.encode()
        )


STATUSES = st.sampled_from(list(RequestStatus))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.tuples(STATUSES, st.integers(0, 70)), min_size=1, max_size=5),
    days=st.sampled_from([0, 1, 30, 45]),
)
def test_destroyed_exactly_when_due(
    rt: Runtime, rows: list[tuple[RequestStatus, int]], days: int
) -> None:
    """Whatever the statuses and their ages: destroyed ⇔ due, and nothing else changes."""
    today = clock.today()
    made: list[tuple[str, RequestStatus, date]] = []
    for status, age in rows:
        request_id = add_request(rt, contact=CONTACT).id
        changed = today - timedelta(days=age)
        with rt.transaction() as s:
            s.execute(update(SurrenderRequest).where(SurrenderRequest.id == request_id)
                      .values(status=status.value, status_changed_on=changed,
                              contact_index="i" * 64))  # fmt: skip
        made.append((request_id, status, changed))
    with rt.transaction() as s:
        retention.run(rt, s, days=days)
    with rt.sessions() as s:
        for request_id, status, changed in made:
            found = s.get(SurrenderRequest, request_id)
            assert found is not None
            due = due_for_destruction(status, changed, today, days)
            assert (found.channel_data_destroyed_on is not None) == due
            assert (found.contact_index is None) == due
            assert found.status == status.value
            assert found.status_changed_on == changed
            field = intake_field(request_id)
            if due:
                with pytest.raises(ErasedError):
                    rt.keyring.open(s, sealed=found.contact, field=field)
            else:
                opened = rt.keyring.open(s, sealed=found.contact, field=field)
                assert opened == CONTACT.encode()


def test_a_request_moved_since_it_was_listed_is_not_destroyed(rt: Runtime) -> None:
    """The due list is read again under the row lock: what changed meanwhile is spared."""
    request_id = add_request(rt).id
    with rt.transaction() as s:
        s.execute(update(SurrenderRequest).where(SurrenderRequest.id == request_id)
                  .values(status=RequestStatus.CLOSED.value,
                          status_changed_on=datetime(2020, 1, 1, tzinfo=UTC).date()))  # fmt: skip
    with rt.transaction() as s:
        [listed] = retention.due(s, on=clock.today(), days=DAYS)
        assert listed == request_id
        s.execute(update(SurrenderRequest).where(SurrenderRequest.id == request_id)
                  .values(status_changed_on=clock.today()))  # fmt: skip
        found = s.get(SurrenderRequest, request_id)
        assert found is not None
        assert retention.destroy(rt, s, found, days=DAYS) is False

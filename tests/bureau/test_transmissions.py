"""The transmission log: an output sent is logged with its hash in the same transaction as an
audit entry the chain vouches for; the registrar and the auditor read the log (API and page),
no one else does; a change to a logged row breaks nothing silently: the audit entry still
carries the hash that was sent."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit import service as audit_service
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.bureau import transmissions
from safeconduct.bureau.gate import Output
from safeconduct.bureau.models import Recipient, Transmission
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import ACTOR, add_account, add_session, add_token, session_headers

SHA = hashlib.sha256(b"a batch").hexdigest()


def _send(rt: Runtime, subject: str = "b1") -> Transmission:
    with rt.transaction() as s:
        return transmissions.record(
            s,
            audit=rt.audit,
            actor=ACTOR,
            output=Output.CTA_BATCH,
            recipient=Recipient.CTA,
            subject_id=subject,
            sha256=SHA,
        )


def test_a_transmission_is_in_the_verified_audit_chain(rt: Runtime) -> None:
    sent = _send(rt)
    with rt.transaction() as s:
        keys = rt.audit_keys()
        assert audit_service.verify(s, keys[0], keys[1:]).ok
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.TRANSMISSION.value)
        ).one()
    assert entry.subject_id == sent.id
    assert entry.purpose == f"cta_batch:cta:sha256={SHA}"


def test_the_registrar_and_the_auditor_read_the_log_and_no_one_else(rt: Runtime) -> None:
    sent = _send(rt)
    client = TestClient(create_app(rt))
    for role, status in ((Role.REGISTRAR, 200), (Role.AUDITOR, 200), (Role.MEDICAL, 403)):
        token, _ = add_token(rt, f"log-{role.value}", role)
        got = client.get("/api/v1/transmissions", headers={"Authorization": f"Bearer {token}"})
        assert got.status_code == status, role
        if status == 200:
            assert [(t["id"], t["sha256"], t["recipient"]) for t in got.json()] == [
                (sent.id, SHA, "cta")
            ]


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_the_page_lists_what_was_sent(rt: Runtime, language: str) -> None:
    _send(rt)
    account, _ = add_account(rt, f"page-{language}", Role.AUDITOR, enrolled=True)
    with rt.transaction() as s:
        s.get(Account, account.id).language = language  # type: ignore[union-attr]
    client = TestClient(create_app(rt))
    page = client.get("/bureau/transmissions", headers=session_headers(add_session(rt, account)))
    assert page.status_code == 200
    assert SHA in page.text
    central = {"ru": "Центральное агентство", "uk": "Центральне агентство", "en": "Central Tracing"}
    assert central[language] in page.text

"""A submission from the public face: sealed to the intake key, a ticket and a receipt at
once; taken into the queue by the operator face; replies read back only with the codename."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import verify
from safeconduct.channels import service
from safeconduct.channels.models import PublicStatus, Submission, Ticket
from safeconduct.channels.policy import check_fields
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.runtime import Runtime
from safeconduct.security.statements import check_statement

OFFICER = Actor("account:officer-test")
FIELDS = check_fields("+380 50 000 0000", "near the river", "uk", "I want to come over")


@pytest.fixture
def keys(rt: Runtime) -> service.ChannelKeys:
    assert rt.channels is not None
    return rt.channels


def _submit(rt: Runtime, keys: service.ChannelKeys) -> service.Issued:
    with rt.transaction() as session:
        return service.submit(
            session, keys=keys, audit=rt.audit, channel=Channel.WEB_FORM, fields=FIELDS
        )


def _ingest(rt: Runtime) -> service.IngestReport:
    with rt.transaction() as session:
        return service.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


@pytest.fixture
def session(rt: Runtime) -> Iterator[Session]:
    with rt.sessions() as s:
        yield s


def test_receipt_verifies_with_the_published_keys(rt: Runtime, keys: service.ChannelKeys) -> None:
    issued = _submit(rt, keys)
    check = check_statement(issued.receipt, keys.published)
    assert check.ok
    assert check.body is not None
    assert f"reference: {issued.reference}" in check.body
    assert issued.codename not in issued.receipt
    tampered = issued.receipt.replace(issued.reference, "R-0000")
    assert not check_statement(tampered, keys.published).ok


def test_submission_is_taken_in_and_replies_open_with_the_codename_only(
    rt: Runtime, keys: service.ChannelKeys
) -> None:
    issued = _submit(rt, keys)
    with rt.sessions() as session:
        assert session.scalar(select(Submission.id)) is not None
        ticket = service.find_ticket(session, keys=keys, typed=issued.codename.upper())
        assert ticket is not None
        assert ticket.public_status == PublicStatus.RECEIVED.value
    assert _ingest(rt).requests == 1
    with rt.transaction() as session:
        assert session.scalar(select(Submission.id)) is None
        request = intake.get(session, request_id=issued.ticket_id)
        assert request is not None
        assert request.reference == issued.reference
        assert request.contact_index is not None
        service.reply(
            session,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=OFFICER,
            request=request,
            text="Call us on the line",
        )
        intake.move(session, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                    request=request, status=RequestStatus.IN_REVIEW)  # fmt: skip
    with rt.sessions() as session:
        ticket = service.find_ticket(session, keys=keys, typed=issued.codename)
        assert ticket is not None
        assert ticket.public_status == PublicStatus.IN_REVIEW.value
        replies = service.read_replies(session, ticket=ticket, typed=issued.codename)
        assert [r.text for r in replies] == ["Call us on the line"]
        wrong = issued.codename.split()
        wrong[0] = "baba" if wrong[0] != "baba" else "bebe"
        assert service.find_ticket(session, keys=keys, typed=" ".join(wrong)) is None
        assert service.find_ticket(session, keys=keys, typed="nonsense") is None
        keys_ = rt.audit_keys()
        assert verify(session, keys_[0], keys_[1:]).ok


def test_message_written_again_becomes_a_step(rt: Runtime, keys: service.ChannelKeys) -> None:
    issued = _submit(rt, keys)
    with rt.transaction() as session:
        ticket = session.get(Ticket, issued.ticket_id)
        assert ticket is not None
        service.write_again(session, keys=keys, audit=rt.audit, ticket=ticket, text="Again")
    report = _ingest(rt)
    assert (report.requests, report.messages) == (1, 1)
    with rt.sessions() as session:
        kinds = [e.kind for e in intake.history(session, request_id=issued.ticket_id)]
        assert kinds == ["status", "message"]


def test_the_codename_list_is_4096_distinct_lower_case_words() -> None:
    from safeconduct.channels import codenames

    words = codenames.words()
    assert len(words) == len(set(words)) == 4096
    assert all(w.islower() and codenames.normalise(" ".join([w] * 7)) for w in words)

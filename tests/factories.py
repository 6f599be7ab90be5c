"""Build records through the public services, with values tests can look for."""

from __future__ import annotations

from datetime import date

import pyotp

from safeconduct import clock
from safeconduct.accounts import approvals, invitations, sessions, tokens, totp
from safeconduct.accounts import service as accounts
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody, CustodyEvent, CustodyEventKind
from safeconduct.custody.schemas import (
    Circumstances,
    CustodyCreate,
    CustodyEventCreate,
    SurrenderMode,
)
from safeconduct.db import utcnow
from safeconduct.disclosure.policy import needs_approval
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import Channel, SurrenderRequest
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import Runtime

ACTOR = Actor("test:factory")
AUDITOR = Actor("test:auditor", "test:credential")


def principal(
    role: Role,
    account_id: str = "test",
    credential: str = "test:credential",
    *,
    approved: bool = True,
) -> Principal:
    """Who a service call is made as, in tests that call services directly; `approved`:
    an auditor's approval of its account for sealed values stands."""
    return Principal(account_id, account_id, role, credential=credential, sealed_approved=approved)


def add_person(rt: Runtime, surname: str = "KOVALENKO", **fields: str) -> Person:
    with rt.transaction() as s:
        return people_service.create(
            s,
            audit=rt.audit,
            actor=ACTOR,
            person_in=PersonCreate(
                surname=surname, given_names=fields.pop("given_names", "Petro"), **fields
            ),
        )


def add_custody(
    rt: Runtime,
    person: Person,
    *,
    place: str = "river crossing",
    how: str = "white flag",
    mode: SurrenderMode = SurrenderMode.VOLUNTARY,
    since: date = date(2026, 3, 1),
) -> Custody:
    with rt.transaction() as s:
        return custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person.id,
                since=since,
                place_of_internment="Camp 1",
                circumstances=Circumstances(mode=mode, place=place, how=how),
            ),
        )


def add_custody_event(rt: Runtime, custody_id: str, event_in: CustodyEventCreate) -> CustodyEvent:
    """Record a step in a custody's life through the service, in its own transaction."""
    with rt.transaction() as s:
        row = s.get(Custody, custody_id)
        assert row is not None
        return custody_service.record_event(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, custody=row, event_in=event_in
        )


def end_custody(rt: Runtime, custody: Custody) -> None:
    """Release the person from a custody, so that another may be opened for them."""
    add_custody_event(
        rt,
        custody.id,
        CustodyEventCreate(
            kind=CustodyEventKind.RELEASE, occurred_on=date(2026, 3, 2), reason="released"
        ),
    )


def add_request(
    rt: Runtime, *, contact: str = "+000 111", content: str = "I surrender"
) -> SurrenderRequest:
    with rt.transaction() as s:
        return intake_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            request_in=SurrenderRequestCreate(
                channel=Channel.WEB_FORM, contact=contact, content=content
            ),
        )


PASSWORD = "a long enough password"


def add_account(
    rt: Runtime, username: str, role: Role, *, enrolled: bool = False, approved: bool = True
) -> tuple[Account, str]:
    """Create an account the way its holder would (invitation, then PASSWORD); return it
    and its TOTP secret. `enrolled` marks the second factor confirmed without using a code;
    an enrolled account in a role that needs approval (intake, verifier, auditor) is then
    approved as an auditor would, unless `approved` is False."""
    with rt.transaction() as s:
        _account, issued = accounts.create(
            s, audit=rt.audit, actor=ACTOR, username=username, role=role
        )
        account = invitations.accept(
            s, keyring=rt.keyring, audit=rt.audit, code=issued.code, password=PASSWORD, now=utcnow()
        )
        secret = totp.secret(s, keyring=rt.keyring, account=account)
        if enrolled:
            account.totp_enrolled_at = utcnow()
            if approved and needs_approval(role):
                approvals.approve(s, audit=rt.audit, actor=AUDITOR, account=account)
    return account, secret


def add_session(rt: Runtime, account: Account) -> str:
    """Open a browser session for an account, as a login would; return its cookie."""
    with rt.transaction() as s:
        fresh = s.get(Account, account.id)
        assert fresh is not None
        return sessions.start_session(s, account=fresh)[0]


def session_headers(cookie: str) -> dict[str, str]:
    """Headers that carry a session cookie and its CSRF token."""
    return {"Cookie": f"sc_session={cookie}", "X-CSRF-Token": sessions.csrf_token(cookie)}


def mint_token(rt: Runtime, account: Account, secret: str) -> tuple[str, ApiToken]:
    """Let an enrolled account mint its own token from a session, with its current code."""
    cookie = add_session(rt, account)
    with rt.transaction() as s:
        who = sessions.resolve_session(s, token=cookie)
        assert who is not None
        return tokens.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            who=who,
            name=f"{account.username} token",
            # At the clock in force: a test on a ManualClock is checked against its time.
            code=pyotp.TOTP(secret).at(clock.now()),
        )


def add_token(
    rt: Runtime, username: str, role: Role, *, approved: bool = True
) -> tuple[str, ApiToken]:
    """Create an enrolled account in a role and its own API token; return the token and its
    record. The account's current code is used up: log in as another account."""
    account, secret = add_account(rt, username, role, enrolled=True, approved=approved)
    return mint_token(rt, account, secret)


def role_tokens(rt: Runtime, prefix: str) -> dict[Role, str]:
    """Return a bearer token for a fresh account in every role."""
    return {role: add_token(rt, f"{prefix}-{role.value}", role)[0] for role in Role}

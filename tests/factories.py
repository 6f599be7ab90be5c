"""Build records through the public services, with values tests can look for."""

from __future__ import annotations

from datetime import date

from safeconduct.accounts import service as accounts
from safeconduct.accounts import sessions
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Role
from safeconduct.accounts.service import Principal
from safeconduct.audit.actors import Actor
from safeconduct.custody import service as custody_service
from safeconduct.custody.models import Custody
from safeconduct.custody.schemas import Circumstances, CustodyCreate, SurrenderMode
from safeconduct.db import utcnow
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import Channel, SurrenderRequest
from safeconduct.intake.schemas import SurrenderRequestCreate
from safeconduct.people import service as people_service
from safeconduct.people.models import Person
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import Runtime

ACTOR = Actor("test:factory")


def principal(
    role: Role, account_id: str = "test", credential: str = "test:credential"
) -> Principal:
    """Who a service call is made as, in tests that call services directly."""
    return Principal(account_id, account_id, role, credential=credential)


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
) -> Custody:
    with rt.transaction() as s:
        return custody_service.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            custody_in=CustodyCreate(
                person_id=person.id,
                since=date(2026, 3, 1),
                place_of_internment="Camp 1",
                circumstances=Circumstances(mode=mode, place=place, how=how),
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
    rt: Runtime, username: str, role: Role, *, enrolled: bool = False
) -> tuple[Account, str]:
    """Create an account; return it and its TOTP secret."""
    with rt.transaction() as s:
        account, secret = accounts.create(
            s,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=ACTOR,
            username=username,
            password=PASSWORD,
            role=role,
        )
        if enrolled:
            account.totp_enrolled_at = utcnow()
    return account, secret


def add_token(rt: Runtime, username: str, role: Role) -> tuple[str, ApiToken]:
    """Create an account in a role and an API token for it; return the token and its record."""
    account, _ = add_account(rt, username, role)
    with rt.transaction() as s:
        return sessions.create_token(
            s, audit=rt.audit, actor=ACTOR, account=account, name=f"{username} token"
        )


def role_tokens(rt: Runtime, prefix: str) -> dict[Role, str]:
    """Return a bearer token for a fresh account in every role."""
    return {role: add_token(rt, f"{prefix}-{role.value}", role)[0] for role in Role}

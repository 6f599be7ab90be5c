"""The four reveal routes, API and UI: a reason that is only whitespace or invisible
characters is 422 naming `reason`, opens nothing and audits nothing; a real reason opens
and audits each field once; an erased value is 410 everywhere."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.custody.models import Custody
from safeconduct.disclosure import policy
from safeconduct.disclosure import service as disclosure
from safeconduct.intake import service as intake_service
from safeconduct.intake.models import SurrenderRequest
from safeconduct.intake.service import request_owner
from safeconduct.people.service import person_owner
from safeconduct.runtime import Runtime
from safeconduct.security.sealing import FieldRef, Sealed
from tests.factories import ACTOR, add_custody, add_person, add_request, principal
from tests.web import conftest as web
from tests.web.ui import conftest as web_ui

# The web tests' fixtures, shared rather than copied.
client, bearer, ui_login = web.client, web.bearer, web_ui.ui_login

Bearer = Callable[[Role], dict[str, str]]
UiLogin = Callable[[Role], TestClient]
PLACE, HOW = "SEALED-PLACE-3K", "SEALED-HOW-7Q"
CONTACT, CONTENT, NOTE = "SEALED-CONTACT-5M", "SEALED-CONTENT-2X", "SEALED-NOTE-8R"
SEALED = (PLACE, HOW, CONTACT, CONTENT, NOTE)
SEALED_TABLES = {"custodies", "surrender_requests", "request_events"}
NBSP, ZWSP = "\u00a0", "\u200b"
EMPTY_REASONS = [
    "",
    "a   b",
    "     ",
    "\t\r\n \t",
    NBSP * 8,
    f"a{NBSP * 3}b",
    ZWSP * 12,
    f"ab{ZWSP * 6}cd",
    "\ufeff" * 6,  # byte-order marks
    "\u202e\u202d\u2066\u2069\u200e\u200f ab",  # direction marks
    "\u3000\u2003\u2009\u205f\u1680\u2028\u2029",  # ideographic, em, thin, ... spaces
    "\x00\x01\x02\x7f\x1b\x1b",
    "x" * 501,
]
GOOD_REASON = f"risk  on{NBSP}return{ZWSP} review"
LOGGED_REASON = "risk on return review"
INVALID = re.compile(r'<textarea[^>]*name="reason"[^>]*aria-invalid="true"')


@dataclass(frozen=True)
class Route:
    """One reveal route: who may call it, with what purpose, and what it opens."""

    name: str
    role: Role
    purpose: str
    actions: frozenset[str]
    sealed: tuple[str, ...]

    @property
    def is_ui(self) -> bool:
        return self.name.startswith("ui")


CIRCUMSTANCES = frozenset({"circumstances:open"})
# A request's notes and reasons open with it, under one entry however many there are.
REQUEST = frozenset({"request_contact:open", "request_content:open", "request_notes:open"})
ROUTES = [
    Route("api-circumstances", Role.VERIFIER, "protection_assessment", CIRCUMSTANCES, (PLACE, HOW)),
    Route("api-request", Role.INTAKE, "intake_follow_up", REQUEST, (CONTACT, CONTENT, NOTE)),
    Route("ui-circumstances", Role.VERIFIER, "protection_assessment", CIRCUMSTANCES, (PLACE, HOW)),
    Route("ui-request", Role.INTAKE, "intake_follow_up", REQUEST, (CONTACT, CONTENT, NOTE)),
]
Post = Callable[[str], httpx.Response]


@dataclass
class World:
    """Sealed values behind one route, a way to post a reason to it, and the opens seen."""

    rt: Runtime
    route: Route
    post: Post
    opened: list[str]
    person_id: str
    request_id: str


def _poster(
    route: Route, ids: dict[str, str], client: TestClient, bearer: Bearer, ui: UiLogin
) -> Post:
    person, custody, request = ids["person"], ids["custody"], ids["request"]
    if route.name.startswith("api"):
        path = (
            f"/api/v1/custodies/{custody}/circumstances/reveal"
            if route.actions == CIRCUMSTANCES
            else f"/api/v1/requests/{request}/reveal"
        )
        headers = bearer(route.role)
        return lambda reason: client.post(
            path, headers=headers, json={"purpose": route.purpose, "reason": reason}
        )
    page = f"/people/{person}" if route.actions == CIRCUMSTANCES else f"/requests/{request}"
    path = (
        f"{page}/custodies/{custody}/reveal" if route.actions == CIRCUMSTANCES else f"{page}/reveal"
    )
    browser = ui(route.role)
    token = web_ui.csrf_of(browser.get(page).text)
    return lambda reason: browser.post(
        path,
        data={"csrf_token": token, "purpose": route.purpose, "reason": reason},
        headers={"HX-Request": "true"},
    )


def _add_note(rt: Runtime, request_id: str, text: str) -> None:
    with rt.transaction() as s:
        found = s.get(SurrenderRequest, request_id)
        assert found is not None
        intake_service.add_note(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, request=found, text=text
        )


@pytest.fixture(params=ROUTES, ids=lambda r: r.name)
def world(
    request: pytest.FixtureRequest,
    rt: Runtime,
    client: TestClient,
    bearer: Bearer,
    ui_login: UiLogin,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    person = add_person(rt)
    ids = {
        "person": person.id,
        "custody": add_custody(rt, person, place=PLACE, how=HOW).id,
        "request": add_request(rt, contact=CONTACT, content=CONTENT).id,
    }
    _add_note(rt, ids["request"], NOTE)
    opened: list[str] = []
    keyring_open = rt.keyring.open

    def counting_open(session: Session, *, sealed: Sealed, field: FieldRef) -> bytes:
        if field.table in SEALED_TABLES:  # not the second factor a login opens
            opened.append(field.column)
        return keyring_open(session, sealed=sealed, field=field)

    post = _poster(request.param, ids, client, bearer, ui_login)
    monkeypatch.setattr(rt.keyring, "open", counting_open)
    return World(rt, request.param, post, opened, ids["person"], ids["request"])


def _audit(rt: Runtime) -> tuple[int, list[tuple[str, str | None]]]:
    """Return how many entries the log holds, and the sealed reads as (action, purpose)."""
    with rt.sessions() as s:
        total = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
        reads = s.execute(
            select(AuditEntry.action, AuditEntry.purpose)
            .where(AuditEntry.action.like("%:open"))
            .order_by(AuditEntry.seq)
        )
        return total, [(action, purpose) for action, purpose in reads]


def test_an_empty_reason_is_422_naming_reason_and_opens_nothing(world: World) -> None:
    before = _audit(world.rt)
    wrong = []
    for reason in EMPTY_REASONS:
        answer = world.post(reason)
        named = (
            INVALID.search(answer.text) is not None
            if world.route.is_ui
            else [d["field"] for d in answer.json()["detail"]] == ["body.reason"]
        )
        leaked = [s for s in SEALED if s in answer.text]
        if answer.status_code != 422 or not named or leaked:
            wrong.append(f"{reason!r}: {answer.status_code} named={named} leaked={leaked}")
    assert wrong == []
    assert world.opened == []
    assert _audit(world.rt) == before


def test_a_real_reason_opens_and_audits_each_field_once(world: World) -> None:
    total, reads = _audit(world.rt)
    answer = world.post(GOOD_REASON)
    assert answer.status_code == 200, answer.text
    assert [s for s in world.route.sealed if s not in answer.text] == []
    assert len(world.opened) == len(set(world.opened)) == len(world.route.actions)
    after, now_reads = _audit(world.rt)
    assert after - total == len(world.route.actions)
    logged = now_reads[len(reads) :]
    assert sorted(logged) == sorted(
        (action, f"{world.route.purpose}: {LOGGED_REASON}") for action in world.route.actions
    )


def test_an_erased_value_is_410(world: World) -> None:
    with world.rt.transaction() as s:
        world.rt.keyring.destroy(s, person_owner(world.person_id))
        world.rt.keyring.destroy(s, request_owner(world.request_id))
    answer = world.post(GOOD_REASON)
    assert answer.status_code == 410, answer.text
    assert [s for s in SEALED if s in answer.text] == []


@pytest.mark.parametrize(
    ("role", "field"),
    [(Role.VERIFIER, policy.CIRCUMSTANCES), (Role.INTAKE, policy.REQUEST_CONTACT)],
)
def test_the_service_refuses_an_account_no_auditor_approved(
    rt: Runtime, role: Role, field: policy.SealedField
) -> None:
    """Defence in depth: were a route to forget its `Requires`, the one way a sealed value
    is opened still refuses an account without an auditor's approval, and logs no read."""
    person = add_person(rt)
    records: dict[str, Custody | SurrenderRequest] = {
        "custodies": add_custody(rt, person, place=PLACE, how=HOW),
        "surrender_requests": add_request(rt, contact=CONTACT, content=CONTENT),
    }
    before = _audit(rt)
    with rt.transaction() as s:
        record = s.merge(records[field.table])
        with pytest.raises(disclosure.DisclosureDeniedError):
            disclosure.reveal(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                who=principal(role, approved=False),
                field=field,
                record=record,
                purpose="protection_assessment",
                reason=GOOD_REASON,
            )
    assert _audit(rt) == before

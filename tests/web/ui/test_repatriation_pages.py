"""Repatriation in the UI, page by page through HTTP: each role sees what it may and no
more (the exchange role never a wish or a note), refusals show the service's reasons in
words naming the person, forms keep what was typed, and the pages are translated."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from safeconduct import clock
from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Role
from safeconduct.custody.models import Custody
from safeconduct.people.models import Person
from safeconduct.repatriation import service as wish_service
from safeconduct.repatriation.models import Category, RemovalReason, StayPlan, Wish
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import PASSWORD, add_custody, add_person
from tests.repatriation.conftest import interview
from tests.web.conftest import code, make_account
from tests.web.ui.conftest import csrf_of
from tests.web.ui.test_every_page_translated import problems_in

WISH_WORDS = ("Wants to return", "Does not want to return", "Has not decided")
NOTE = "SEALED-WISH-NOTE-7Q"
INTERVIEW_NOTE = "SEALED-INTERVIEW-3K"
RISK = "SEALED-RISK-9Z"
WISH_READERS = {Role.REGISTRAR, Role.WELFARE, Role.VERIFIER}


def login(rt: Runtime, role: Role, username: str, language: str = "en") -> TestClient:
    """A client logged in through the form as a new, enrolled account."""
    client = TestClient(create_app(rt), base_url="https://testserver")
    secret = make_account(rt, username, role, enrolled=True)
    if language != "en":
        with rt.transaction() as s:
            found = accounts.get_by_username(s, username=username)
            assert found is not None
            accounts.set_language(s, account_id=found.id, language=language)
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "code": code(secret)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture
def as_role(rt: Runtime) -> Callable[..., TestClient]:
    made: dict[str, TestClient] = {}

    def client(role: Role, name: str = "", language: str = "en") -> TestClient:
        key = f"{role.value}-{name}-{language}"
        if key not in made:
            made[key] = login(rt, role, f"rp-{key}", language)
        return made[key]

    return client


def post(client: TestClient, url: str, **fields: str) -> Response:
    token = csrf_of(client.get("/preferences").text)
    return client.post(url, data={"csrf_token": token, **fields}, follow_redirects=False)


@pytest.fixture
def held(rt: Runtime) -> tuple[Person, Custody]:
    person = add_person(rt, surname="MELNYK", given_names="Taras", rank="captain")
    return person, add_custody(rt, person)


def _new_event(client: TestClient, *, days: int = 10, officers: int = 5) -> str:
    answer = post(
        client,
        "/exchange",
        counterpart="Counterpart North",
        planned_on=(clock.today() + timedelta(days=days)).isoformat(),
        quota_wounded_sick="2",
        quota_officer=str(officers),
        quota_enlisted="5",
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    match = re.search(r"event=([0-9a-f-]+)", location)
    assert match is not None
    return match.group(1)


def _version(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize("role", list(Role))
def test_who_opens_which_page(as_role: Callable[..., TestClient], role: Role) -> None:
    client = as_role(role)
    expected = {
        "/exchange": {Role.EXCHANGE},
        "/exchange/schedule": {Role.VERIFIER},
        "/stays": {Role.REGISTRAR},
    }
    home = client.get("/preferences").text
    for path, allowed in expected.items():
        assert client.get(path).status_code == (200 if role in allowed else 403), path
        assert (f'href="{path}"' in home) == (role in allowed), path


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.WELFARE, Role.VERIFIER, Role.EXCHANGE])
def test_the_wish_panel_by_role(
    as_role: Callable[..., TestClient], rt: Runtime, held: tuple, role: Role
) -> None:
    person, _custody = held
    interview(rt, person.id, Wish.STAY, notes=INTERVIEW_NOTE, risk=RISK)
    page = as_role(role).get(f"/people/{person.id}").text
    assert INTERVIEW_NOTE not in page
    assert RISK not in page
    if role is Role.EXCHANGE:
        assert 'id="wish"' not in page
        assert not any(word in page for word in WISH_WORDS)
        return
    panel = page[page.index('id="wish"') :]
    assert "Does not want to return" in panel
    assert "Private interview by the verifier" in panel
    assert ('id="statement-form"' in panel) == (role in {Role.REGISTRAR, Role.WELFARE})
    assert ('id="interview-form"' in panel) == (role is Role.VERIFIER)
    assert ('id="stay-plan-form"' in panel) == (role in {Role.WELFARE, Role.VERIFIER})
    # An interview's sealed values open to the verifier alone.
    assert ('name="record_id"' in panel) == (role is Role.VERIFIER)


def test_the_auditor_sees_nothing_of_it(as_role: Callable[..., TestClient], held: tuple) -> None:
    client = as_role(Role.AUDITOR)
    person, _custody = held
    assert client.get(f"/people/{person.id}").status_code == 403
    for path in ("/exchange", "/exchange/schedule", "/stays"):
        assert client.get(path).status_code == 403
    answer = post(client, f"/people/{person.id}/wishes/statement", wish="stay")
    assert answer.status_code == 403


def test_a_statement_is_recorded_and_its_note_stays_sealed(
    as_role: Callable[..., TestClient], rt: Runtime, held: tuple
) -> None:
    person, _custody = held
    client = as_role(Role.WELFARE)
    day = clock.today().isoformat()
    answer = post(
        client, f"/people/{person.id}/wishes/statement", wish="return", stated_on=day, note=NOTE
    )
    assert answer.status_code == 303
    assert NOTE not in answer.headers["location"]
    page = client.get(f"/people/{person.id}").text
    row = re.search(r'<tr id="wish-record-1">(.*?)</tr>', page, re.S)
    assert row is not None
    assert "Wants to return" in row.group(1)
    assert "Statement" in row.group(1)
    assert NOTE not in page
    assert "No wish to return verified by the neutral verifier is in force" in page
    # The reveal: a purpose and a reason, or the form again; then the note, this once.
    [record] = wish_service_records(rt, person.id)
    refused = post(client, f"/people/{person.id}/wishes/reveal", record_id=record, reason="x")
    assert refused.status_code == 422
    assert NOTE not in refused.text
    opened = post(
        client,
        f"/people/{person.id}/wishes/reveal",
        record_id=record,
        purpose="protection_assessment",
        reason="checking what was said",
    )
    assert opened.status_code == 200
    assert NOTE in opened.text
    log = as_role(Role.REGISTRAR).get(f"/people/{person.id}").text
    assert "Sealed values of a repatriation wish" in log


def wish_service_records(rt: Runtime, person_id: str) -> list[str]:
    with rt.transaction() as s:
        return [r.id for r in wish_service.records(s, person_id=person_id)]


def test_a_refused_statement_keeps_what_was_typed(
    as_role: Callable[..., TestClient], held: tuple
) -> None:
    person, _custody = held
    client = as_role(Role.REGISTRAR)
    answer = post(
        client, f"/people/{person.id}/wishes/statement", stated_on="2001-01-01", note="typed it"
    )
    assert answer.status_code == 422
    page = answer.text
    assert 'id="st-wish-problem"' in page
    assert "Choose the wish the person expressed." in page
    assert ">typed it</textarea>" in page
    # A day before the custody began: refused beside the day, the choice kept.
    answer = post(
        client, f"/people/{person.id}/wishes/statement", wish="stay", stated_on="2001-01-01"
    )
    page = answer.text
    assert answer.status_code == 422
    assert 'id="st-stated_on-problem"' in page
    assert 'value="stay" checked' in page
    assert wish_service_records_count(as_role, person) == 0


def wish_service_records_count(as_role: Callable[..., TestClient], person: Person) -> int:
    page = as_role(Role.VERIFIER).get(f"/people/{person.id}").text
    return len(re.findall(r'<tr id="wish-record-', page))


def test_a_refused_interview_is_marked_beside_each_field(
    as_role: Callable[..., TestClient], held: tuple
) -> None:
    person, _custody = held
    client = as_role(Role.VERIFIER)
    answer = post(
        client,
        f"/people/{person.id}/wishes/interview",
        wish="return",
        held_on=clock.today().isoformat(),
        without_witnesses="yes",
        interpreter="no",
        language="r2",
        risk_reasons="some reasons typed",
        notes="notes typed",
    )
    assert answer.status_code == 422
    page = answer.text
    assert 'id="iv-language-problem"' in page
    assert ">notes typed</textarea>" in page
    assert ">some reasons typed</textarea>" in page
    answer = post(
        client,
        f"/people/{person.id}/wishes/interview",
        wish="return",
        held_on=clock.today().isoformat(),
        without_witnesses="yes",
        interpreter="no",
        language="ru",
        risk_reasons="some reasons typed",
    )
    assert answer.status_code == 422
    assert 'id="iv-risk_reasons-problem"' in answer.text
    # Only the verifier records an interview.
    welfare = post(as_role(Role.WELFARE), f"/people/{person.id}/wishes/interview", wish="stay")
    assert welfare.status_code == 403


def test_the_exchange_list_from_building_to_invalidation(
    as_role: Callable[..., TestClient], rt: Runtime, held: tuple
) -> None:
    person, _custody = held
    unheard = add_person(rt, surname="SHEVCHUK", given_names="Ivan")
    add_custody(rt, unheard)
    interview(rt, person.id, Wish.RETURN, notes=INTERVIEW_NOTE)
    officer_a, officer_b = as_role(Role.EXCHANGE, "a"), as_role(Role.EXCHANGE, "b")
    event = _new_event(officer_a)
    url = f"/exchange/list?event={event}"
    assert post(officer_a, f"/exchange/{event}/build").status_code == 303
    page = officer_a.get(url).text
    member = re.search(rf'<tr id="member-{person.id}"[^>]*>(.*?)</tr>', page, re.S)
    assert member is not None
    assert "MELNYK Taras" in member.group(1)
    assert "Officers" in member.group(1)
    assert "Eligible" in member.group(1)
    # An ineligible person is refused by name; the refusal changes nothing (B may approve).
    refused = post(officer_b, f"/exchange/{event}/add", person_id=unheard.id)
    assert refused.status_code == 409
    problems = re.search(r'id="exchange-problems">(.*?)</div>', refused.text, re.S)
    assert problems is not None
    assert "SHEVCHUK Ivan" in problems.group(1)
    assert "No wish to return verified by the neutral verifier is in force" in problems.group(1)
    # Four eyes: the builder is refused, with the reason; another officer approves.
    own = post(officer_a, f"/exchange/{event}/approve", version=_version(page))
    assert own.status_code == 409
    assert "You built or changed this list" in own.text
    page = officer_b.get(url).text
    done = post(officer_b, f"/exchange/{event}/approve", version=_version(page))
    assert done.status_code == 303
    page = officer_b.get(url).text
    assert "Approved and frozen" in page
    csv = post(officer_b, f"/exchange/{event}/export", format="csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert "MELNYK" in csv.text
    # A statement that contradicts the verified wish invalidates the list, naming him.
    stated = post(
        as_role(Role.WELFARE),
        f"/people/{person.id}/wishes/statement",
        wish="stay",
        stated_on=clock.today().isoformat(),
        note=NOTE,
    )
    assert stated.status_code == 303
    events = officer_a.get("/exchange").text
    notice = re.search(r'id="invalidations"(.*?)</section>', events, re.S)
    assert notice is not None
    assert "MELNYK Taras" in notice.group(1)
    assert "No wish to return verified by the neutral verifier is in force" in notice.group(1)
    page = officer_a.get(url).text
    assert 'id="list-invalidations"' in page
    for html in (events, page):
        assert not any(word in html for word in WISH_WORDS)
        assert NOTE not in html
        assert INTERVIEW_NOTE not in html
    # Taken off for a reason from the fixed choice; a reason not in it is refused.
    bad = post(officer_a, f"/exchange/{event}/remove", person_id=person.id, reason="because")
    assert bad.status_code == 422
    off = post(
        officer_a, f"/exchange/{event}/remove", person_id=person.id, reason=RemovalReason.INELIGIBLE
    )
    assert off.status_code == 303
    assert f'id="member-{person.id}"' not in officer_a.get(url).text


def test_export_finds_an_invalidation_and_keeps_it(
    as_role: Callable[..., TestClient], rt: Runtime, held: tuple
) -> None:
    person, custody = held
    interview(rt, person.id, Wish.RETURN)
    officer_a, officer_b = as_role(Role.EXCHANGE, "a"), as_role(Role.EXCHANGE, "b")
    event = _new_event(officer_a, days=5)
    post(officer_a, f"/exchange/{event}/build")
    page = officer_b.get(f"/exchange/list?event={event}").text
    assert post(officer_b, f"/exchange/{event}/approve", version=_version(page)).status_code == 303
    # Moved far enough that the interview will be too old: the list is checked again.
    page = officer_a.get(f"/exchange/list?event={event}").text
    moved = post(
        officer_a,
        f"/exchange/{event}/reschedule",
        planned_on=(clock.today() + timedelta(days=60)).isoformat(),
        version=_version(page),
    )
    assert moved.status_code == 303
    page = officer_b.get(f"/exchange/list?event={event}").text
    assert "Last heard by the verifier before the window of this exchange" in page
    answer = post(officer_b, f"/exchange/{event}/export", format="json")
    assert answer.status_code == 409
    assert "The list is not approved" in answer.text
    schedule = as_role(Role.VERIFIER).get("/exchange/schedule").text
    row = re.search(r'<table class="stack" id="schedule">(.*?)</table>', schedule, re.S)
    assert row is not None
    assert "MELNYK Taras" in row.group(1)
    assert "The interview will be too old on the planned day" in row.group(1)
    assert 'id="schedule-invalidations"' in schedule
    assert custody.id not in schedule


def test_a_refused_event_keeps_what_was_typed(as_role: Callable[..., TestClient]) -> None:
    client = as_role(Role.EXCHANGE)
    answer = post(
        client,
        "/exchange",
        counterpart="Counterpart South",
        planned_on=(clock.today() - timedelta(days=1)).isoformat(),
        quota_officer="-3",
    )
    assert answer.status_code == 422
    page = answer.text
    assert 'value="Counterpart South"' in page
    assert 'id="quota_officer-problem"' in page
    answer = post(
        client,
        "/exchange",
        counterpart="Counterpart South",
        planned_on=(clock.today() - timedelta(days=1)).isoformat(),
    )
    assert 'id="planned_on-problem"' in answer.text
    assert 'id="no-events"' in client.get("/exchange").text


def test_the_stays_page_counts_without_names(
    as_role: Callable[..., TestClient], rt: Runtime, held: tuple
) -> None:
    person, _custody = held
    interview(rt, person.id, Wish.STAY)
    welfare = as_role(Role.WELFARE)
    bad = post(welfare, f"/people/{person.id}/stay-plan", plan="moon")
    assert bad.status_code == 422
    assert 'id="sp-plan-problem"' in bad.text
    ok = post(welfare, f"/people/{person.id}/stay-plan", plan=StayPlan.THIRD_STATE)
    assert ok.status_code == 303
    assert "Received by a third state" in welfare.get(f"/people/{person.id}").text
    page = as_role(Role.REGISTRAR).get("/stays").text
    row = re.search(r"Received by a third state</th>\s*<td[^>]*>(\d+)</td>", page)
    assert row is not None
    assert row.group(1) == "1"
    assert "MELNYK" not in page


def _shown_problems(html: str, language: str) -> list[str]:
    from tests.web.ui.test_every_page_translated import ShownText

    parser = ShownText()
    parser.feed(html)
    raw = {w.value for w in Wish} | {c.value for c in Category} | {"no_interview", "unverified"}
    found = []
    for text in dict.fromkeys(parser.texts):
        found += [f"{p} in {text!r}" for p in problems_in(text, language)]
        found += [f"raw {w!r} in {text!r}" for w in raw if re.search(rf"(?<!\w){w}(?!\w)", text)]
    return found


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_pages_are_translated(
    as_role: Callable[..., TestClient], rt: Runtime, language: str
) -> None:
    person = add_person(rt, surname="Мельник", given_names="Тарас", rank="captain")
    add_custody(rt, person, since=date(2026, 3, 1))
    interview(rt, person.id, Wish.RETURN, notes="заметка")
    a = as_role(Role.EXCHANGE, "a", language)
    b = as_role(Role.EXCHANGE, "b", language)
    event = _new_event(a)
    post(a, f"/exchange/{event}/build")
    mine = a.get(f"/exchange/list?event={event}").text
    own = post(a, f"/exchange/{event}/approve", version=_version(mine))
    page = b.get(f"/exchange/list?event={event}&q=Мельник").text
    post(b, f"/exchange/{event}/approve", version=_version(page))
    verifier = as_role(Role.VERIFIER, "", language)
    post(verifier, f"/people/{person.id}/wishes/interview", wish="undecided", held_on="x")
    wish_statement = post(
        as_role(Role.WELFARE, "", language), f"/people/{person.id}/wishes/statement", wish="x"
    )
    pages = {
        "own approval": own.text,
        "builder (a)": mine,
        "builder": page,
        "events": a.get("/exchange").text,
        "schedule": verifier.get("/exchange/schedule").text,
        "person (verifier)": verifier.get(f"/people/{person.id}").text,
        "person (welfare)": as_role(Role.WELFARE, "", language).get(f"/people/{person.id}").text,
        "statement refused": wish_statement.text,
        "interview refused": post(
            verifier, f"/people/{person.id}/wishes/interview", language="12"
        ).text,
        "stays": as_role(Role.REGISTRAR, "", language).get("/stays").text,
        "cancel?": post(a, f"/exchange/{event}/cancel").text,
    }
    failures = {name: _shown_problems(html, language) for name, html in pages.items()}
    assert {k: v for k, v in failures.items() if v} == {}

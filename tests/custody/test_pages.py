"""Custody in the UI: open a custody from the person page, with the circumstances sealed and
the accepted request chosen by reference; record events after a confirmation; refusals as
pages with their reason."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.custody.models import Custody, CustodyEvent
from safeconduct.intake.models import RequestStatus
from safeconduct.runtime import Runtime
from tests.custody.conftest import Browser, accepted_request, record
from tests.factories import add_custody, add_person
from tests.web.ui.conftest import CSRF

Login = Callable[[Role], TestClient]
SEALED_PLACE, SEALED_HOW = "SEALED-PLACE-4T", "SEALED-HOW-8R"


def _form(**fields: str) -> dict[str, str]:
    return {
        "since": "2026-03-01",
        "place_of_internment": "Camp North-2",
        "mode": "voluntary",
        "place": SEALED_PLACE,
        "occurred_at": "2026-02-27T21:40",
        "zone": "Europe/Kyiv",
        "how": SEALED_HOW,
        **fields,
    }


def _counts(rt: Runtime) -> tuple[int, int, int]:
    with rt.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Custody)) or 0,
            s.scalar(select(func.count()).select_from(CustodyEvent)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_the_person_page_links_to_the_custody_form(rt: Runtime, registrar_ui: Browser) -> None:
    person = add_person(rt)
    page = registrar_ui.client.get(f"/people/{person.id}")
    assert f'href="/people/{person.id}/custodies/new"' in page.text
    assert "Open a custody" in page.text


def test_a_registrar_opens_a_custody_linked_to_an_accepted_request(
    rt: Runtime, registrar_ui: Browser
) -> None:
    person = add_person(rt)
    request = accepted_request(rt, "R-7KQ4")
    unnamed = accepted_request(rt, None)
    closed = accepted_request(rt, "R-CL0S", status=RequestStatus.CLOSED)
    form = registrar_ui.client.get(f"/people/{person.id}/custodies/new")
    assert form.status_code == 200
    # The chooser shows references (the id when there is none yet), nothing else.
    assert f'<option value="{request.id}">R-7KQ4</option>' in form.text
    assert f'<option value="{unnamed.id}">{unnamed.id}</option>' in form.text
    assert closed.id not in form.text
    made = registrar_ui.post(f"/people/{person.id}/custodies/new", **_form(request_id=request.id))
    assert made.status_code == 303
    assert made.headers["location"].startswith(f"/people/{person.id}#custody-")
    # Nothing sealed, and not the request, in the URL the browser is sent to.
    for secret in (SEALED_PLACE, SEALED_HOW, request.id):
        assert secret not in made.headers["location"]
    page = registrar_ui.client.get(f"/people/{person.id}")
    assert "Camp North-2" in page.text
    assert SEALED_PLACE not in page.text
    assert SEALED_HOW not in page.text
    # The request stays in the chooser after it was named: leaving it would pair the two.
    again = registrar_ui.client.get(f"/people/{person.id}/custodies/new")
    assert f'<option value="{request.id}">R-7KQ4</option>' in again.text


def test_a_wrong_field_shows_the_form_again_with_what_was_typed(
    rt: Runtime, registrar_ui: Browser
) -> None:
    person = add_person(rt)
    not_accepted = accepted_request(rt, "R-NOPE", status=RequestStatus.IN_REVIEW)
    before = _counts(rt)
    answer = registrar_ui.post(
        f"/people/{person.id}/custodies/new",
        **_form(place_of_internment="", occurred_at="2026-02-27T21:40", zone="Nowhere/City"),
    )
    assert answer.status_code == 422
    assert 'id="place-of-internment" name="place_of_internment" required' in answer.text
    assert 'aria-invalid="true" aria-describedby="place-of-internment-problem"' in answer.text
    assert 'id="occurred-at-problem"' in answer.text
    assert f'value="{SEALED_PLACE}"' in answer.text  # kept, in the page body only
    refused = registrar_ui.post(
        f"/people/{person.id}/custodies/new", **_form(request_id=not_accepted.id)
    )
    assert refused.status_code == 422
    assert 'id="request-id-problem"' in refused.text
    assert "R-NOPE" not in refused.text  # a request not accepted is not offered
    assert _counts(rt) == before


def test_no_other_role_opens_a_custody(rt: Runtime, ui_login: Login) -> None:
    person = add_person(rt)
    add_custody(rt, person)
    for role in (Role.VERIFIER, Role.MEDICAL, Role.WELFARE):
        client = ui_login(role)
        assert client.get(f"/people/{person.id}/custodies/new").status_code == 403
        page = client.get(f"/people/{person.id}")
        assert "custodies/new" not in page.text
        assert "Record an event" not in page.text


def _offered(html: str) -> list[str]:
    """The events the page's event form offers."""
    select = html.split('name="kind"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([a-z]+)"', select)


def _events_url(person_id: str, custody_id: str) -> str:
    return f"/people/{person_id}/custodies/{custody_id}/events"


def test_an_event_is_confirmed_then_recorded_and_shown(rt: Runtime, registrar_ui: Browser) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    page = registrar_ui.client.get(f"/people/{person.id}")
    # The form offers what the state machine allows from "held", and no more.
    assert _offered(page.text) == [
        "transfer",
        "hospitalisation",
        "release",
        "repatriation",
        "escape",
        "death",
    ]
    url = _events_url(person.id, custody.id)
    fields = {"kind": "transfer", "occurred_on": "2026-03-05", "place": "Camp 2"}
    before = _counts(rt)
    ask = registrar_ui.post(url, **fields, reason="overcrowding", after="0")
    assert ask.status_code == 200
    assert "Record this event?" in ask.text
    assert '<input type="hidden" name="confirm" value="yes">' in ask.text
    assert _counts(rt) == before  # nothing is written before the confirmation
    done = registrar_ui.post(url, **fields, reason="overcrowding", after="0", confirm="yes")
    assert done.status_code == 303
    page = registrar_ui.client.get(f"/people/{person.id}")
    assert "overcrowding" in page.text
    assert "ui-registrar" in page.text
    assert '<td data-label="Event">Transfer</td>' in page.text
    assert "discharge" not in _offered(page.text)
    assert "transfer" in _offered(page.text)


def test_a_refused_move_is_a_409_page_with_its_reason(rt: Runtime, registrar_ui: Browser) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    record(rt, custody.id, kind="release")
    before = _counts(rt)
    for confirm in ("", "yes"):
        answer = registrar_ui.post(
            _events_url(person.id, custody.id),
            kind="release",
            occurred_on="2026-03-06",
            reason="exchange",
            after="1",
            confirm=confirm,
        )
        assert answer.status_code == 409
        assert 'id="event-refused"' in answer.text
        assert "“Release” (to “Released”) is not possible from “Released”" in answer.text
        assert "this custody has ended" in answer.text
    assert _counts(rt) == before


def test_a_form_made_before_another_event_is_refused(rt: Runtime, registrar_ui: Browser) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    record(rt, custody.id, kind="transfer", place="Camp 2")
    answer = registrar_ui.post(
        _events_url(person.id, custody.id),
        kind="hospitalisation",
        occurred_on="2026-03-06",
        place="Ward 4",
        reason="overcrowding",
        after="0",
        confirm="yes",
    )
    assert answer.status_code == 409
    assert "the custody changed while the form was open" in answer.text
    assert "“Hospitalisation” (to “" in answer.text
    # The form comes back made after the latest event, with what was typed.
    assert '<input type="hidden" name="after" value="1">' in answer.text
    assert "overcrowding" in answer.text


def test_a_wrong_event_field_is_a_422_page_that_names_it(
    rt: Runtime, registrar_ui: Browser
) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    before = _counts(rt)
    answer = registrar_ui.post(
        _events_url(person.id, custody.id),
        kind="transfer",
        occurred_on="2026-02-01",
        reason="moved",
        after="0",
    )
    assert answer.status_code == 422
    assert f'id="place-problem-{custody.id}"' in answer.text
    late = registrar_ui.post(
        _events_url(person.id, custody.id),
        kind="release",
        occurred_on="2026-02-01",
        reason="moved",
        after="0",
    )
    assert late.status_code == 422
    assert f'id="occurred_on-problem-{custody.id}"' in late.text
    assert _counts(rt) == before


def test_a_deaths_sealed_fields_stay_off_every_page(rt: Runtime, registrar_ui: Browser) -> None:
    person = add_person(rt)
    custody = add_custody(rt, person)
    fields = {
        "kind": "death",
        "occurred_on": "2026-03-05",
        "reason": "camp doctor's report",
        "death_place": "DEATH-PLACE-2W",
        "death_cause": "DEATH-CAUSE-6P",
        "after": "0",
    }
    ask = registrar_ui.post(_events_url(person.id, custody.id), **fields)
    # Re-posted as typed, but not repeated in the confirmation's words.
    message = ask.text.split("<h1>", 1)[1].split("<form", 1)[0]
    assert "DEATH-" not in message
    done = registrar_ui.post(_events_url(person.id, custody.id), **fields, confirm="yes")
    assert done.status_code == 303
    page = registrar_ui.client.get(f"/people/{person.id}")
    assert "DEATH-" not in page.text
    assert "This custody has ended" in page.text
    with rt.sessions() as s:
        entries = [f"{e.purpose}" for e in s.scalars(select(AuditEntry))]
    assert not [e for e in entries if "DEATH-" in e]


def test_the_event_form_posts_its_csrf_token(rt: Runtime, registrar_ui: Browser) -> None:
    person = add_person(rt)
    add_custody(rt, person)
    page = registrar_ui.client.get(f"/people/{person.id}")
    form = page.text.split('class="stack event-form"', 1)[1].split("</form>", 1)[0]
    assert CSRF.search(form) is not None

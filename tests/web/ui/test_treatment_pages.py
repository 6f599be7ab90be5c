"""Treatment in the UI: who sees the duties dashboard, each count leads to the people
behind it, the overdue CSV, and the forms: only the kinds a role records, only the facts a
kind carries, a refused field named beside it with what was typed kept, notes never shown."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts.policy import Role
from safeconduct.custody.models import Custody
from safeconduct.people.models import Person
from safeconduct.runtime import Runtime
from safeconduct.treatment.models import TreatmentEvent
from tests.factories import add_custody, add_person
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]
DASHBOARD_ROLES = {Role.REGISTRAR, Role.MEDICAL, Role.WELFARE, Role.AUDITOR}
NOTE = "SEALED-NOTE-4T"


@pytest.fixture
def held(rt: Runtime) -> tuple[Person, Custody]:
    """Someone in custody since 2026-03-01 at Camp 1, with no treatment recorded."""
    person = add_person(rt, surname="HRYTSENKO", given_names="Ostap")
    return person, add_custody(rt, person)


def _form_url(held: tuple[Person, Custody], what: str = "new") -> str:
    person, custody = held
    return f"/people/{person.id}/custodies/{custody.id}/treatment/{what}"


def _post(client: TestClient, url: str, **fields: str) -> object:
    page = client.get("/people")  # any page of one's own carries the session's token
    return client.post(
        url, data={"csrf_token": csrf_of(page.text), **fields}, follow_redirects=False
    )


def _events(rt: Runtime, custody: Custody) -> list[TreatmentEvent]:
    with rt.transaction() as s:
        found = list(
            s.scalars(select(TreatmentEvent).where(TreatmentEvent.custody_id == custody.id))
        )
        s.expunge_all()
        return found


@pytest.mark.parametrize("role", list(Role))
def test_who_sees_the_dashboard(ui_login: UiLogin, role: Role) -> None:
    client = ui_login(role)
    answer = client.get("/duties")
    assert answer.status_code == (200 if role in DASHBOARD_ROLES else 403)
    home = client.get("/preferences")
    assert ('href="/duties"' in home.text) == (role in DASHBOARD_ROLES)


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="(/duties/people\?[^"]+)"', html)]


def test_every_count_leads_to_the_people_behind_it(ui_login: UiLogin, held: tuple) -> None:
    person, _custody = held
    client = ui_login(Role.REGISTRAR)
    page = client.get("/duties")
    assert page.status_code == 200
    # Nothing recorded since March: the capture card is escalated, and one custody in it.
    row = re.search(r'<tr id="duty-capture_card">(.*?)</tr>', page.text, re.S)
    assert row is not None
    cell = re.search(r'class="count count-escalated">(.*?)</td>', row.group(1), re.S)
    assert cell is not None
    assert ">1</a>" in cell.group(1)
    assert "Art. 70" in row.group(1)
    links = _links(page.text)
    assert links, "no count links to its people"
    target = next(h for h in links if "duty=capture_card" in h and "state=escalated" in h)
    drill = client.get(target)
    assert drill.status_code == 200
    assert f'href="/people/{person.id}"' in drill.text
    assert "HRYTSENKO Ostap" in drill.text
    assert "Camp 1" in drill.text
    # Every link on the dashboard answers, and none carries a name.
    for href in links:
        assert "HRYTSENKO" not in href
        assert client.get(href).status_code == 200
    # A place filter narrows both tables; another place counts no one.
    assert client.get("/duties?place=Camp+1").text.count(">1</a>") >= 1
    elsewhere = client.get("/duties?place=Camp+9")
    assert 'href="/duties/people' not in elsewhere.text


def test_the_drill_down_filters_and_pages(ui_login: UiLogin, rt: Runtime) -> None:
    for n in range(3):
        add_custody(rt, add_person(rt, surname=f"PAGED{n}"))
    client = ui_login(Role.WELFARE)
    page = client.get("/duties/people?duty=correspondence&state=escalated")
    assert page.status_code == 200
    assert page.text.count('href="/people/') == 3
    assert (
        client.get("/duties/people?duty=correspondence&state=met").text.count('href="/people/') == 0
    )
    assert client.get("/duties/people?duty=nonsense").status_code == 404
    assert client.get("/duties/people?state=nonsense").status_code == 404


def test_the_auditor_sees_counts_but_no_names(ui_login: UiLogin, held: tuple) -> None:
    client = ui_login(Role.AUDITOR)
    page = client.get("/duties")
    assert page.status_code == 200
    assert _links(page.text) == []
    assert "HRYTSENKO" not in page.text
    assert client.get("/duties/people?duty=capture_card").status_code == 403


def test_the_trend_chart_matches_its_table(ui_login: UiLogin, held: tuple) -> None:
    page = ui_login(Role.MEDICAL).get("/duties").text
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    root = ET.fromstring(svg.group(0))  # noqa: S314 - our own page
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title") is not None
    drawn = [int(g.get("data-total", "-1")) for g in root.findall(f"{ns}g")]
    assert len(drawn) == 12
    table = re.search(r'<table class="stack" id="trend-table">(.*?)</table>', page, re.S)
    assert table is not None
    rows = re.findall(r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>", table.group(1))
    assert [int(a) + int(b) for a, b in rows] == drawn
    assert drawn[-1] > 0  # the custody is behind on something today


def test_the_overdue_csv(ui_login: UiLogin, held: tuple) -> None:
    client = ui_login(Role.AUDITOR)
    page = client.get("/duties")
    assert 'href="/duties/overdue.csv"' in page.text
    answer = client.get("/duties/overdue.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="overdue-duties.csv"'
    lines = answer.text.splitlines()
    assert lines[0] == "place,duty,article,overdue,escalated"
    assert "Camp 1,capture_card,70,0,1" in lines
    assert "HRYTSENKO" not in answer.text
    assert client.get("/duties/overdue.csv?place=Camp+9").text.splitlines()[1:] == []


def test_a_role_is_offered_only_the_kinds_it_records(ui_login: UiLogin, held: tuple) -> None:
    medical = ui_login(Role.MEDICAL).get(_form_url(held))
    assert medical.status_code == 200
    offered = set(re.findall(r'<option value="([a-z_]+)">', medical.text))
    assert offered == {
        "medical_examination",
        "health_status",
        "health_report",
        "medical_commission",
        "death_certificate",
    }
    welfare = ui_login(Role.WELFARE).get(_form_url(held))
    assert set(re.findall(r'<option value="([a-z_]+)">', welfare.text)) == {
        "mail_offered",
        "mail_sent",
        "mail_received",
        "visit",
        "complaint",
        "labour",
    }


def test_a_kind_shows_only_its_facts(ui_login: UiLogin, held: tuple) -> None:
    client = ui_login(Role.REGISTRAR)
    page = client.get(_form_url(held) + "?kind=proceedings").text
    assert 'name="trial_on"' in page
    assert 'name="notice_on"' in page
    assert 'name="letters"' not in page
    assert 'name="note"' not in page
    page = ui_login(Role.MEDICAL).get(_form_url(held) + "?kind=medical_examination").text
    assert 'name="weight_kg"' in page
    assert 'name="note"' in page
    assert 'name="seriously_ill"' not in page


def test_a_role_cannot_record_a_kind_it_may_not(
    ui_login: UiLogin, rt: Runtime, held: tuple
) -> None:
    client = ui_login(Role.MEDICAL)
    assert client.get(_form_url(held) + "?kind=visit").status_code == 403
    answer = _post(
        client, _form_url(held), kind="visit", occurred_on="2026-04-01", private_interview="yes"
    )
    assert answer.status_code == 403  # type: ignore[attr-defined]
    # Nor with no treatment permission at all.
    exchange = ui_login(Role.EXCHANGE)
    assert exchange.get(_form_url(held)).status_code == 403
    assert _events(rt, held[1]) == []


def test_a_refused_field_is_named_beside_it_and_the_typing_kept(
    ui_login: UiLogin, rt: Runtime, held: tuple
) -> None:
    client = ui_login(Role.WELFARE)
    answer = _post(
        client, _form_url(held), kind="mail_offered", occurred_on="2026-04-01", letters="two",
        cards="4",
    )  # fmt: skip
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert 'id="letters-problem"' in text
    assert 'aria-invalid="true" aria-describedby="letters-problem"' in text
    assert 'value="two"' in text
    assert 'value="4"' in text
    assert 'value="2026-04-01"' in text
    assert "Give a whole number from 0 to 100." in text
    # The service's own refusal: a day before the custody began.
    answer = _post(
        client, _form_url(held), kind="visit", occurred_on="2026-02-01", private_interview="no"
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert 'id="occurred_on-problem"' in answer.text  # type: ignore[attr-defined]
    assert 'value="no" checked' in answer.text  # type: ignore[attr-defined]
    # A yes/no left unanswered.
    answer = _post(client, _form_url(held), kind="visit", occurred_on="2026-04-01")
    assert 'id="private_interview-problem"' in answer.text  # type: ignore[attr-defined]
    assert _events(rt, held[1]) == []


def test_medical_records_an_examination_and_the_notes_stay_sealed(
    ui_login: UiLogin, rt: Runtime, held: tuple
) -> None:
    person, custody = held
    client = ui_login(Role.MEDICAL)
    # Today, whatever today is: the monthly inspection is met only by one this month.
    answer = _post(
        client, _form_url(held), kind="medical_examination", occurred_on=clock.today().isoformat(),
        weight_kg="71.5", note=NOTE,
    )  # fmt: skip
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == f"/people/{person.id}#treatment-{custody.id}"  # type: ignore[attr-defined]
    [event] = _events(rt, custody)
    assert (event.kind, event.role, event.notes is not None) == (
        "medical_examination",
        "medical",
        True,
    )
    page = client.get(f"/people/{person.id}").text
    timeline = re.search(rf'id="treatment-{custody.id}".*?</section>', page, re.S)
    assert timeline is not None
    assert "Medical examination" in timeline.group(0)
    assert "Notes recorded, sealed" in timeline.group(0)
    assert NOTE not in page
    assert "71.5" not in page
    row = re.search(r"Medical inspection every month</td>.*?</tr>", timeline.group(0), re.S)
    assert row is not None
    assert "Art. 31" in row.group(0)
    assert ">Met<" in row.group(0)


def test_an_event_is_corrected_by_a_new_one(ui_login: UiLogin, rt: Runtime, held: tuple) -> None:
    person, custody = held
    client = ui_login(Role.REGISTRAR)
    first = _post(
        client, _form_url(held), kind="proceedings", occurred_on="2026-11-01",
        trial_on="2026-12-20", notice_on="2026-11-20",
    )  # fmt: skip
    assert first.status_code == 303  # type: ignore[attr-defined]
    [old] = _events(rt, custody)
    form = client.get(_form_url(held, "correct") + f"?event={old.id}")
    assert form.status_code == 200
    assert 'value="2026-12-20"' in form.text
    assert 'value="2026-11-20"' in form.text
    fixed = _post(
        client, _form_url(held, "correct"), event=old.id, occurred_on="2026-11-01",
        trial_on="2026-12-20", notice_on="2026-11-10",
    )  # fmt: skip
    assert fixed.status_code == 303  # type: ignore[attr-defined]
    events = _events(rt, custody)
    assert len(events) == 2
    assert {e.supersedes_id for e in events} == {None, old.id}
    page = client.get(f"/people/{person.id}").text
    assert "Corrected by a later entry" in page
    assert "Corrects an earlier entry" in page
    # The old one cannot be corrected twice.
    again = _post(
        client, _form_url(held, "correct"), event=old.id, occurred_on="2026-11-01",
        trial_on="2026-12-20", notice_on="2026-11-11",
    )  # fmt: skip
    assert again.status_code == 422  # type: ignore[attr-defined]
    assert 'id="event-problem"' in again.text  # type: ignore[attr-defined]
    # Another custody's event is not found through this one.
    other = add_custody(rt, add_person(rt, surname="OTHER"))
    url = f"/people/{other.person_id}/custodies/{other.id}/treatment/correct?event={old.id}"
    assert client.get(url).status_code == 404


def test_welfare_cannot_correct_a_medical_event(
    ui_login: UiLogin, rt: Runtime, held: tuple
) -> None:
    medical = ui_login(Role.MEDICAL)
    _post(
        medical,
        _form_url(held),
        kind="health_status",
        occurred_on="2026-11-01",
        seriously_ill="yes",
    )
    [event] = _events(rt, held[1])
    welfare = ui_login(Role.WELFARE)
    assert welfare.get(_form_url(held, "correct") + f"?event={event.id}").status_code == 403


def test_another_day_and_the_empty_filter(ui_login: UiLogin, held: tuple) -> None:
    client = ui_login(Role.REGISTRAR)
    # The filter form as a browser sends it with nothing chosen: all places, today.
    assert client.get("/duties?place=&at=").status_code == 200
    before = client.get("/duties?at=2026-02-01")
    assert before.status_code == 200
    assert "No one is in custody on this day." in before.text  # the custody began in March
    later = client.get("/duties?at=2026-03-03")
    assert all("at=2026-03-03" in href for href in _links(later.text))
    row = re.search(r'<tr id="duty-capture_card">(.*?)</tr>', later.text, re.S)
    assert row is not None
    assert re.search(r'count-due">\s*<a[^>]*>1</a>', row.group(1))  # two days in: due
    assert client.get("/duties?at=not-a-day").status_code == 422


def test_the_timeline_is_for_readers_of_treatment(ui_login: UiLogin, held: tuple) -> None:
    person, custody = held
    shown = {
        role: ui_login(role).get(f"/people/{person.id}").text
        for role in (Role.REGISTRAR, Role.VERIFIER, Role.EXCHANGE)
    }
    assert f'id="duties-{custody.id}"' in shown[Role.REGISTRAR]
    # The verifier records visits but reads no treatment: the link, not the tables.
    assert f'id="record-treatment-{custody.id}"' in shown[Role.VERIFIER]
    assert f'id="duties-{custody.id}"' not in shown[Role.VERIFIER]
    assert f'id="treatment-{custody.id}"' not in shown[Role.EXCHANGE]

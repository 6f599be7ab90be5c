"""The family's side on the public face: an inquiry in Cyrillic through `/inquiry` (no
JavaScript, no cookie), taken in by the operator face and matched; the answer read on
`/status` with the codename, only the ladder's sentence; and floods of inquiries and of
codename guesses trip the limits per client and per contact, with nothing beyond the
ladder ever coming back."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from safeconduct import clock
from safeconduct.channels import codenames, limits
from safeconduct.inquiries import service
from safeconduct.inquiries.models import Inquiry
from safeconduct.inquiries.policy import Consent, Step
from safeconduct.runtime import Runtime
from tests.channels.conftest import prt, public_client, public_settings  # noqa: F401
from tests.factories import ACTOR, add_custody, add_person
from tests.inquiries.helpers import add_visit

FORM = {"surname": "Гриценко", "given_name": "Тарас", "patronymic": "Богданович",
        "date_of_birth": "1987-09", "contact": "+380 67 123 4567", "relationship": "parent",
        "language": "ru", "lang": "ru"}  # fmt: skip
NOTHING = "По этой кодовой фразе показать нечего."


def _codename(page: str) -> str:
    found = re.search(r'<p class="codename"><strong>(.*?)</strong></p>', page)
    assert found is not None
    return html.unescape(found.group(1))


def _status(client: TestClient, codename: str) -> str:
    answer = client.post("/status", data={"codename": codename, "lang": "ru"})
    assert answer.status_code == 200
    return answer.text


def test_an_inquiry_asked_in_cyrillic_is_answered_on_the_ladder_only(
    rt: Runtime,
    public_client: TestClient,  # noqa: F811
) -> None:
    person = add_person(rt, "HRYTSENKO", given_names="Taras", patronymic="Bohdanovych",
                        date_of_birth="1987-09-14", place_of_birth="Poltava")  # fmt: skip
    custody = add_custody(rt, person, how="PLANTED-how", place="PLANTED-where")
    add_visit(rt, custody, datetime(2026, 4, 1, tzinfo=UTC).date())
    page = public_client.post("/inquiry", data=FORM)
    assert page.status_code == 200, page.text
    assert "set-cookie" not in page.headers
    codename = _codename(page.text)
    with rt.transaction() as s:
        assert service.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit) == 1
    with rt.transaction() as s:
        [inquiry] = s.query(Inquiry).all()
        [(candidate, _)] = service.candidates(s, inquiry.id)
        assert candidate.person_id == person.id
        service.decide(s, audit=rt.audit, actor=ACTOR, candidate=candidate, confirm=True)
        service.record_consent(s, audit=rt.audit, actor=ACTOR, person_id=person.id,
                               consent=Consent(True, place_may_be_told=False))  # fmt: skip
        service.answer(s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, inquiry=inquiry,
                       step=Step.IN_CUSTODY_VISITED)  # fmt: skip
    assert 'data-step="' not in _status(public_client, codename)  # not today
    with clock.using(clock.ManualClock(datetime.now(UTC) + timedelta(days=6))):
        shown = _status(public_client, codename)
    assert 'data-step="in_custody_visited"' in shown
    assert "2026-04-01" in shown
    for never in ("Camp", "PLANTED", "HRYTSENKO", "Poltava", "Bohdanovych", "Гриценко"):
        assert never not in shown
    assert "Написать ещё" not in shown  # an inquiry takes no messages


def test_a_flood_of_inquiries_trips_the_client_and_the_contact_limits(
    public_client: TestClient,  # noqa: F811
) -> None:
    app = public_client.app
    app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        client=limits.Rule("client", 1000, 60), contact=limits.Rule("contact", 3, 86400)
    )
    codes = [public_client.post("/inquiry", data=FORM | {"surname": f"Коваль{i}"}).status_code
             for i in range(6)]  # fmt: skip
    assert codes == [200, 200, 200, 429, 429, 429]
    other = public_client.post("/inquiry", data=FORM | {"contact": "+380 99 000 0000"})
    assert other.status_code == 200
    app.state.channel_limits = limits.Limits(client=limits.Rule("client", 4, 60))  # type: ignore[attr-defined]
    late = [public_client.post("/inquiry", data=FORM | {"contact": f"+1 {i}"}).status_code
            for i in range(5)]  # fmt: skip
    assert late[-1] == 429


def test_guessing_codenames_finds_nothing_and_trips_the_limit(
    rt: Runtime,
    public_client: TestClient,  # noqa: F811
) -> None:
    public_client.post("/inquiry", data=FORM)
    public_client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        client=limits.Rule("client", 12, 60)
    )
    pages = []
    for _ in range(15):
        guess = codenames.draw()
        pages.append(public_client.post("/status", data={"codename": guess, "lang": "ru"}))
    assert [p.status_code for p in pages[:11]] == [200] * 11
    assert pages[-1].status_code == 429
    for page in pages[:11]:
        assert NOTHING in page.text
        assert "data-step" not in page.text
        assert "Гриценко" not in page.text

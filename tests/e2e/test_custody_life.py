"""A registrar opens a custody linked to an accepted request, then records its life:
transfer, hospitalisation, discharge, release, each confirmed; a move the custody no longer
allows (a second release, from a page left open) is refused with its reason."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from safeconduct.audit.actors import Actor
from safeconduct.config import Settings
from safeconduct.people import service as people_service
from safeconduct.people.schemas import PersonCreate
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import Server, shots, violations

pytestmark = pytest.mark.e2e


def _day(days_ago: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days_ago)).isoformat()


def _new_person(server: Server) -> str:
    """Register someone not yet in custody (every demo person is): a custody opens only
    for a person without one that has not ended."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        with rt.transaction() as s:
            person = people_service.create(
                s,
                keyring=rt.keyring,
                audit=rt.audit,
                actor=Actor("system:e2e"),
                person_in=PersonCreate(surname="KOVALCHUK", given_names="Marta"),
            )
            return person.id
    finally:
        rt.close()


def _open_custody(page: Any, server: Server, camp: str, axe_source: str) -> tuple[str, str]:
    """Open a custody from a new person's page; return the person page's path and the
    custody's id."""
    person = f"/people/{_new_person(server)}"
    page.goto(person)
    page.get_by_role("link", name="Open a custody").click()
    page.wait_for_url(re.compile(r"/custodies/new$"))
    assert violations(page, axe_source) == []
    shots(page, "custody-new")
    page.get_by_label("In custody since").fill(_day(10))
    page.get_by_label("Place of internment").fill(camp)
    page.get_by_label("Mode").select_option(label="Voluntary surrender")
    page.get_by_label("Place of surrender or capture").fill("forest road near a village")
    page.get_by_label("Date and time of surrender or capture").fill(f"{_day(11)}T21:40")
    page.get_by_label("How", exact=True).fill("white flag at dawn")
    chooser = page.get_by_label("Surrender request")
    # Whatever the accepted requests show (a reference, or an id before there is one).
    assert chooser.locator("option").count() > 1, "the demo has no accepted request"
    chooser.select_option(index=1)
    page.get_by_role("button", name="Open the custody").click()
    page.wait_for_url(re.compile(r"/people/[0-9a-f-]+#custody-[0-9a-f-]+$"))
    custody_id = page.url.split("#custody-")[1]
    return person, custody_id


def _record(page: Any, custody_id: str, event: str, day: str, place: str = "") -> None:
    """Fill the custody's event form and confirm it."""
    form = page.locator(f"form[action$='/custodies/{custody_id}/events']")
    form.get_by_label("Event", exact=True).select_option(label=event)
    form.get_by_label("Date of the event").fill(day)
    if place:
        form.get_by_label("Place", exact=True).fill(place)
    form.get_by_label("Reason").fill(f"{event} as ordered by the camp commander")
    form.get_by_role("button", name="Record the event").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record this event?")
    page.get_by_role("button", name="Yes, record it").click()
    page.wait_for_url(re.compile(rf"#custody-{custody_id}$"))


def test_a_custody_from_opening_to_release(
    as_role: Callable[[str], Any], server: Server, axe_source: str
) -> None:
    page = as_role("registrar")
    camp = f"Camp E2E-{uuid.uuid4().hex[:6]}"
    person, custody_id = _open_custody(page, server, camp, axe_source)
    article = page.locator(f"article:has(#custody-{custody_id})")
    expect(article).to_contain_text(camp)
    expect(article).to_contain_text("No events yet.")
    # Nothing sealed shows on the person page, and the request is not in the address.
    assert "white flag at dawn" not in page.content()

    _record(page, custody_id, "Transfer", _day(9), "Camp North-2")
    rows = page.locator(f"#events-{custody_id} tbody tr")
    expect(rows).to_have_count(1)
    expect(article.get_by_role("heading", level=3).first).to_contain_text("Camp North-2")
    _record(page, custody_id, "Hospitalisation", _day(8), "Hospital Ward 4")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Hospital Ward 4")
    _record(page, custody_id, "Discharge from hospital", _day(7))

    # A second page, left open before the release: it still offers a release.
    stale = as_role("registrar")
    stale.goto(person)

    # Ask once, look at the confirmation (both widths, axe), then confirm.
    form = page.locator(f"form[action$='/custodies/{custody_id}/events']")
    form.get_by_label("Event", exact=True).select_option(label="Release")
    form.get_by_label("Date of the event").fill(_day(6))
    form.get_by_label("Reason").fill("released at the end of active hostilities")
    form.get_by_role("button", name="Record the event").click()
    assert violations(page, axe_source) == []
    shots(page, "custody-confirm")
    page.get_by_role("button", name="Yes, record it").click()
    page.wait_for_url(re.compile(rf"#custody-{custody_id}$"))
    expect(rows).to_have_count(4)
    expect(article).to_contain_text("This custody has ended")
    assert violations(page, axe_source) == []
    shots(page, "custody-life")

    # The stale page's release is refused, with the current and the asked-for states.
    old_form = stale.locator(f"form[action$='/custodies/{custody_id}/events']")
    old_form.get_by_label("Event", exact=True).select_option(label="Release")
    old_form.get_by_label("Date of the event").fill(_day(5))
    old_form.get_by_label("Reason").fill("released in an exchange")
    old_form.get_by_role("button", name="Record the event").click()
    # Refused before any confirmation, naming the current and the asked-for states.
    refusal = stale.locator("#event-refused")
    expect(refusal).to_contain_text("“Release” (to “Released”) is not possible from “Released”")
    expect(refusal).to_contain_text("this custody has ended")
    assert violations(stale, axe_source) == []
    shots(stale, "custody-refused")
    stale.goto(person)
    expect(stale.locator(f"#events-{custody_id} tbody tr")).to_have_count(4)

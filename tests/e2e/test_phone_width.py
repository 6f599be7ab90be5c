"""Every page a role reaches from its navigation fits a 390 px phone without sideways
scrolling; each is kept as a screenshot at 390 and at 1280 px wide. The preferences page
works there too."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from safeconduct.accounts.policy import Role
from safeconduct.config import Settings
from safeconduct.demo.accounts import DemoAccount
from safeconduct.runtime import open_runtime
from tests.e2e.conftest import AXE, Server, log_in, missing, shot, violations
from tests.factories import PASSWORD, add_account

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
RECORD = re.compile(r"^/(people|requests|accounts)/[0-9a-f-]{36}$")
# The elements that stick out to the right, to say what made a page too wide.
WIDER = """() => {
  const edge = document.documentElement.clientWidth;
  const out = [];
  for (const e of document.querySelectorAll('main *, header *, nav *')) {
    const r = e.getBoundingClientRect();
    const name = `${e.tagName.toLowerCase()}.${e.className}`;
    if (r.right > edge + 0.5) out.push(`${name} ${Math.round(r.right)}px`);
  }
  return out.slice(0, 5);
}"""


def _slug(path: str) -> str:
    named = re.sub(r"[0-9a-f-]{36}", "record", path)
    return re.sub(r"[^a-z0-9]+", "-", named).strip("-") or "home"


def _pages(page: Any) -> list[str]:
    """The role's navigation, its preferences, and the first record each list links to."""
    page.goto("/")
    nav = page.locator(".main-nav a").evaluate_all("ls => ls.map(l => l.getAttribute('href'))")
    paths = [*nav, "/preferences"]
    for listing in nav:
        page.goto(listing)
        links = page.locator("main a").evaluate_all("ls => ls.map(l => l.getAttribute('href'))")
        paths += [href for href in links if href and RECORD.match(href)][:1]
        if listing == "/audit":
            paths.append("/audit/approvals")
    return paths


def _fits(page: Any, path: str, name: str) -> str | None:
    """Open `path` at phone width; keep both screenshots; say why it is too wide, if it is."""
    page.set_viewport_size(PHONE)
    page.goto(path)
    width = int(page.evaluate("() => document.documentElement.scrollWidth"))
    wider = page.evaluate(WIDER)
    shot(page, f"phone-{name}-390")
    page.set_viewport_size(DESK)
    shot(page, f"phone-{name}-1280")
    return None if width <= PHONE["width"] else f"{path}: {width}px, {wider}"


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_page_of_a_role_fits_a_phone(role: str, as_role: Callable[[str], Any]) -> None:
    page = as_role(role)
    paths = _pages(page)
    assert len(paths) >= 2, paths
    too_wide = [
        problem
        for path in dict.fromkeys(paths)
        if (problem := _fits(page, path, f"{role}-{_slug(path)}")) is not None
    ]
    assert too_wide == []


def test_the_pages_before_login_fit_a_phone(new_page: Callable[..., Any]) -> None:
    page = new_page()
    too_wide = [
        problem
        for path in ("/login", "/invitation", "/login?lang=uk")
        if (problem := _fits(page, path, f"public-{_slug(path)}")) is not None
    ]
    assert too_wide == []


def _table_roles(page: Any) -> dict[str, int]:
    """How many nodes of each table role the browser's accessibility tree holds."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    roles = [n.get("role", {}).get("value") for n in tree if not n.get("ignored")]
    return {r: roles.count(r) for r in ("table", "row", "columnheader", "cell")}


def test_tables_stacked_as_cards_stay_tables_to_a_screen_reader(
    as_role: Callable[[str], Any],
) -> None:
    page = as_role("registrar")
    page.set_viewport_size(DESK)
    page.goto("/people")
    wide = _table_roles(page)
    assert wide["table"] == 1
    assert wide["cell"] > 0
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.locator("table.stack thead").bounding_box()["height"] <= 1  # hidden from view
    assert _table_roles(page) == wide


def test_an_operator_sets_language_and_zone_on_a_phone(
    server: Server, new_page: Callable[..., Any]
) -> None:
    """Through the header link, at 390 px: choose Ukrainian and Kyiv time, see it saved;
    a zone name that is none is refused by name, and what was typed stays. axe-clean."""
    if not AXE.exists():
        missing(f"accessibility checks need {AXE}")
    axe = AXE.read_text(encoding="utf-8")
    page = new_page()
    page.set_viewport_size(PHONE)
    log_in(page, _own_account(server, "phone-prefs"))
    page.get_by_role("link", name="Preferences").click()
    assert violations(page, axe) == []
    page.get_by_label("Language of the interface").select_option("uk")
    page.get_by_label("Zone", exact=True).select_option("Europe/Kyiv")
    shot(page, "preferences-filled-390")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("#zone")).to_have_value("Europe/Kyiv")
    page.locator("#other-zone").fill("Mars/Olympus")
    page.locator("form[action='/preferences'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#other-zone")).to_have_value("Mars/Olympus")
    expect(page.locator("#other-zone")).to_have_attribute("aria-invalid", "true")
    assert violations(page, axe) == []
    shot(page, "preferences-refused-390")
    page.set_viewport_size(DESK)
    shot(page, "preferences-refused-1280")


def _own_account(server: Server, username: str) -> DemoAccount:
    """An account of this test's own (the demo ones are shared: never change them)."""
    rt = open_runtime(Settings(demo=True, db_url=server.db_url))
    try:
        account, secret = add_account(rt, username, Role.WELFARE, enrolled=True)
    finally:
        rt.close()
    return DemoAccount(account.username, PASSWORD, Role.WELFARE, secret)

"""Pages that swap content with HTMX report no Content-Security-Policy violation, and no page
asks for something that is not there (the browser's own /favicon.ico included)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, shot

pytestmark = pytest.mark.e2e
REQUEST_PAGE = re.compile(r"^/requests/[0-9a-f-]{36}$")
# What a reader's drag of a textarea's corner leaves: a style attribute. htmx used to copy it
# onto the swapped-in form, an inline style the policy refuses (the report in issue 8).
RESIZE = "el => { el.style.height = '9rem'; }"


def _missing(page: Any) -> list[str]:
    """Collect every 404 the page's console reports from now on: the browser's own request
    for /favicon.ico shows there, not among the page's responses."""
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(str(msg.location.get("url"))) if "404" in msg.text else None,
    )
    return found


def _reveal_after_a_refusal(page: Any, reason_box: Any, button: Any) -> None:
    """Resize the reason box, be refused for a short reason, then reveal for a real one."""
    reason_box.evaluate(RESIZE)
    reason_box.fill("abc")
    # The browser's own minlength check would stop the form: lift it to reach the server.
    reason_box.evaluate("el => el.removeAttribute('minlength')")
    button.click()
    expect(page.get_by_role("alert").first).to_contain_text("at least 5 characters")
    reason_box.evaluate(RESIZE)
    reason_box.fill("checking the content security policy")
    button.click()
    expect(page.locator(".revealed").first).to_be_visible()


def test_revealing_circumstances_breaks_no_policy(
    as_role: Callable[[str], Any], csp_violations: list[str]
) -> None:
    page = as_role("verifier")
    missing = _missing(page)
    page.goto("/people")
    page.goto(str(page.locator("#results tbody a").first.get_attribute("href")))
    page.get_by_text("Reveal the circumstances of surrender").first.click()
    page.get_by_label("Purpose").first.select_option("protection_assessment")
    _reveal_after_a_refusal(
        page, page.get_by_label("Reason").first, page.get_by_role("button", name="Reveal").first
    )
    shot(page, "csp-revealed-circumstances")
    assert csp_violations == []
    assert missing == []


def test_revealing_a_request_breaks_no_policy(
    as_role: Callable[[str], Any], csp_violations: list[str]
) -> None:
    page = as_role("intake")
    missing = _missing(page)
    page.goto("/requests")
    hrefs = page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    page.goto(next(h for h in hrefs if h and REQUEST_PAGE.match(h)))
    page.locator("details.reveal summary").first.click()
    section = page.locator("#request-reveal")
    section.get_by_label("Purpose").select_option("intake_follow_up")
    _reveal_after_a_refusal(
        page, section.get_by_label("Reason"), section.get_by_role("button", name="Reveal")
    )
    shot(page, "csp-revealed-request")
    assert csp_violations == []
    assert missing == []


def _settled(page: Any) -> None:
    """Arm a wait for htmx's next swap to settle (its last step); `page.evaluate("settled")`
    then waits for it."""
    page.evaluate(
        "() => { window.settled = new Promise(done => document.body.addEventListener("
        "'htmx:afterSettle', () => done(true), {once: true})); }"
    )


def test_live_search_breaks_no_policy(
    as_role: Callable[[str], Any], csp_violations: list[str]
) -> None:
    page = as_role("registrar")
    missing = _missing(page)
    page.goto("/people")
    first = page.locator("#results tbody a").first.inner_text()
    box = page.get_by_role("searchbox")
    box.evaluate(RESIZE)
    # Typing swaps the results in after a pause (the button is a plain GET).
    _settled(page)
    box.fill(first)
    assert page.evaluate("() => window.settled")
    expect(page.locator("#results")).to_be_visible()
    assert csp_violations == []
    assert missing == []


def test_the_icons_browsers_ask_for_are_there(
    server: Server, new_page: Callable[..., Any], as_role: Callable[[str], Any]
) -> None:
    """A browser asks for /favicon.ico once, whatever the page links, and remembers a 404:
    so each icon is fetched here, from a page before login and one after."""
    for page, path in ((new_page(), "/login"), (as_role("registrar"), "/people")):
        page.goto(path)
        linked = page.locator("link[rel=icon]").evaluate_all("ls => ls.map(l => l.href)")
        assert len(linked) == 2
        for url in [*linked, server.url("/favicon.ico")]:
            answer = page.request.get(url)
            assert answer.status == 200, url
            assert answer.headers["content-type"].startswith("image/"), url

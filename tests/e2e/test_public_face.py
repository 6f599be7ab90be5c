"""The public face in a real browser with JavaScript off, in Russian, Ukrainian and English:
ask to surrender, keep the receipt, check the request with the codename, write again, see
that a wrong codename shows nothing, check the receipt on /verify. Every page: screenshots
at 1280 and 390 px, axe-core clean, no wider than a phone, and no cookie at any point."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from safeconduct.channels import codenames
from safeconduct.web.ui import i18n
from tests.e2e.conftest import PHONE, PublicServer, shots, violations

LOCALES = {"ru": "ru-RU", "uk": "uk-UA", "en": "en-GB"}


@pytest.fixture
def public_page(browser: Any, public_server: PublicServer) -> Iterator[Callable[[str], Any]]:
    """Pages on the public face with JavaScript disabled, as a careful applicant has it."""
    contexts: list[Any] = []

    def open_page(locale: str) -> Any:
        context = browser.new_context(
            base_url=public_server.base_url, locale=locale, java_script_enabled=False
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        assert context.cookies() == [], "the public face set a cookie"
        context.close()


@pytest.fixture
def check_page(browser: Any, public_server: PublicServer) -> Iterator[Callable[..., None]]:
    """Screenshots of the page as the applicant sees it (JavaScript off), then axe-core and
    the width check on the same HTML in a page where scripts may run: axe is a script, and
    with JavaScript off its promise never settles. The copy keeps the page's address, so its
    style sheet loads as it did."""
    context = browser.new_context(base_url=public_server.base_url)
    checker = context.new_page()
    checker.goto("/")

    def check(page: Any, axe_source: str, name: str) -> None:
        shots(page, name)
        checker.set_content(page.content(), wait_until="load")
        for size in (page.viewport_size, PHONE):
            checker.set_viewport_size(size)
            assert violations(checker, axe_source) == [], f"{name} at {size['width']} px"
        width = checker.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width} px wide at 390"

    yield check
    assert context.cookies() == []
    context.close()


def _t(lang: str, text: str) -> str:
    """The text as the server renders it in `lang` (the same catalogs)."""
    return i18n.translations(lang).gettext(text)


@pytest.mark.parametrize("lang", list(LOCALES))
def test_ask_keep_the_receipt_check_status_and_verify(
    public_page: Callable[[str], Any],
    check_page: Callable[..., None],
    axe_source: str,
    lang: str,
) -> None:
    page = public_page(LOCALES[lang])
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == lang
    check_page(page, axe_source, f"public-home-{lang}")

    page.goto("/request")
    check_page(page, axe_source, f"public-request-{lang}")
    page.get_by_label(_t(lang, "How can we reach you?")).fill("+380 50 765 4321")
    page.get_by_label(_t(lang, "Roughly where are you?")).fill("у старого моста")
    page.get_by_label(_t(lang, "Message (optional)")).fill("Хочу выйти к вашим позициям")
    page.get_by_role("button", name=_t(lang, "Send"), exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == _t(
        lang, "Your request was received"
    )
    codename = page.locator(".codename strong").inner_text()
    assert codenames.normalise(codename) == codename
    receipt = page.locator("pre#receipt").inner_text()
    assert receipt.startswith("Safe Conduct receipt")
    assert codename not in page.url
    assert codename not in receipt
    # No language link on the receipt: it would throw the page away.
    assert page.locator("a[hreflang]").count() == 0
    check_page(page, axe_source, f"public-receipt-{lang}")
    reference = re.search(r"reference: (\S+)", receipt)
    assert reference is not None

    page.goto("/status")
    page.get_by_label(_t(lang, "Your codename")).fill(codename.upper())
    page.get_by_role("button", name=_t(lang, "Show")).click()
    assert reference.group(1) in page.locator("main").inner_text()
    assert codename not in page.url
    page.get_by_label(_t(lang, "Message"), exact=True).fill("Я у моста")
    page.get_by_role("button", name=_t(lang, "Send"), exact=True).click()
    assert page.get_by_role("status").inner_text() == _t(lang, "Your message was sent.")
    check_page(page, axe_source, f"public-status-{lang}")

    page.goto("/status")
    page.get_by_label(_t(lang, "Your codename")).fill(codenames.draw())
    page.get_by_role("button", name=_t(lang, "Show")).click()
    main = page.locator("main").inner_text()
    assert _t(lang, "Nothing to show for this codename.") in main
    assert reference.group(1) not in main
    check_page(page, axe_source, f"public-status-wrong-{lang}")

    page.goto("/verify")
    check_page(page, axe_source, f"public-verify-{lang}")
    page.get_by_label(_t(lang, "Signed text")).fill(receipt)
    page.get_by_role("button", name=_t(lang, "Check"), exact=True).click()
    assert _t(lang, "Valid.") in page.get_by_role("status").inner_text()
    check_page(page, axe_source, f"public-verify-valid-{lang}")
    page.goto("/verify")
    page.get_by_label(_t(lang, "Signed text")).fill(receipt.replace(reference.group(1), "R-0000"))
    page.get_by_role("button", name=_t(lang, "Check"), exact=True).click()
    assert _t(lang, "Not valid.") in page.get_by_role("alert").inner_text()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_official_channels_and_the_clone_report(
    public_page: Callable[[str], Any],
    check_page: Callable[..., None],
    axe_source: str,
    lang: str,
) -> None:
    page = public_page(LOCALES[lang])
    page.goto("/official")
    statement = page.locator("pre#official").inner_text()
    check_page(page, axe_source, f"public-official-{lang}")
    page.goto("/verify")
    page.get_by_label(_t(lang, "Signed text")).fill(statement)
    page.get_by_role("button", name=_t(lang, "Check"), exact=True).click()
    assert _t(lang, "Valid.") in page.get_by_role("status").inner_text()

    page.goto("/report-clone")
    check_page(page, axe_source, f"public-report-clone-{lang}")
    page.get_by_label(_t(lang, "Where did you see it? (address, bot name or phone number)")).fill(
        "https://safe-conduct.example.net"
    )
    page.get_by_role("button", name=_t(lang, "Send the report")).click()
    assert page.get_by_role("heading", level=1).inner_text() == _t(
        lang, "Thank you: your report was received"
    )
    check_page(page, axe_source, f"public-clone-receipt-{lang}")

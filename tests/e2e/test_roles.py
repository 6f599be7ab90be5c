"""What each role may see, the language switch, and setting up an account: invitation, own
password, TOTP enrolment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, shot

pytestmark = pytest.mark.e2e


def test_exchange_gets_a_friendly_403_on_the_audit_page(as_role: Callable[[str], Any]) -> None:
    page = as_role("exchange")
    page.goto("/people")  # a role logged in before starts on a blank page
    assert page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts() == [
        "People",
        "Exchanges",
    ]
    answer = page.goto("/audit")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not open this page")


def test_admin_cannot_open_people_nor_reveal(server: Server, as_role: Callable[[str], Any]) -> None:
    verifier = as_role("verifier")
    verifier.goto("/people")
    href = str(verifier.locator("#results tbody a").first.get_attribute("href"))
    verifier.goto(href)
    action = str(verifier.locator("form[action$='/reveal']").first.get_attribute("action"))

    admin = as_role("admin")
    admin.goto("/accounts")
    csrf = admin.locator("input[name=csrf_token]").first.input_value()
    answer = admin.goto(href)
    assert answer is not None
    assert answer.status == 403
    posted = admin.request.post(
        server.url(action),
        form={"csrf_token": csrf, "purpose": "legal_proceedings", "reason": "curious admin"},
        headers={"Origin": server.base_url},
    )
    assert posted.status == 403
    assert 'class="revealed"' not in posted.text()


def test_language_switch_is_remembered_per_account(as_role: Callable[[str], Any]) -> None:
    page = as_role("medical")
    page.goto("/people")  # a role logged in before starts on a blank page
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Люди")
    page.goto("/people")  # a new page load: the account keeps its language
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_label("Язык").select_option("uk")
    page.get_by_role("button", name="Сменить").click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("button", name="Вийти")).to_be_visible()
    shot(page, "people-uk")
    page.get_by_label("Мова").select_option("en")
    page.get_by_role("button", name="Змінити").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_login_page_follows_the_browser_and_the_lang_link(new_page: Callable[..., Any]) -> None:
    page = new_page(locale="uk-UA")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Вхід")
    page.get_by_role("link", name="Русский").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    page.goto("/login")  # remembered in a cookie until login
    expect(page.locator("html")).to_have_attribute("lang", "ru")


def test_an_invitation_sets_the_password_then_the_qr_code_enrols(
    as_role: Callable[[str], Any], new_page: Callable[..., Any]
) -> None:
    admin = as_role("admin")
    admin.goto("/accounts")
    admin.get_by_label("Username").fill("new-verifier")
    admin.get_by_label("Role").select_option("verifier")
    admin.get_by_role("button", name="Create account").click()
    expect(admin.get_by_role("cell", name="new-verifier", exact=True)).to_be_visible()
    invitation = admin.locator("code.secret").inner_text()  # shown to the admin once
    shot(admin, "invitation-code")

    page = new_page()
    page.goto("/login")
    page.get_by_role("link", name="New account? Set it up with your invitation code").click()
    page.get_by_label("Invitation code").fill(invitation)
    page.get_by_label("New password (at least 12 characters)").fill("a new long password")
    page.get_by_label("Repeat the password").fill("a new long password")
    page.get_by_role("button", name="Set up account").click()
    page.wait_for_url("**/enrol")
    qr = page.locator("figure.qr svg[role=img]")
    expect(qr).to_be_visible()
    shot(page, "enrol")
    page.goto("/people")  # nothing else opens before the second factor is confirmed
    assert page.url.endswith("/enrol")
    page.get_by_text("Cannot scan the code? Enter this key instead").click()
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/people")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/people")  # the session is gone: back to the login page
    assert page.url.endswith("/login")

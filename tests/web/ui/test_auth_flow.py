"""Log in, enrol, log out and CSRF through the HTML forms."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct.accounts import service as accounts
from safeconduct.accounts.models import ClientThrottle, LoginBackoff
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import PASSWORD
from tests.web.conftest import code, make_account
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]


@pytest.mark.parametrize("path", ["/", "/people", "/requests", "/audit", "/accounts", "/enrol"])
def test_a_logged_out_browser_is_sent_to_login(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_a_logged_out_htmx_request_is_told_to_load_login(client: TestClient) -> None:
    answer = client.get("/people", headers={"HX-Request": "true"}, follow_redirects=False)
    assert answer.headers["hx-redirect"] == "/login"


def test_login_sets_a_strict_session_cookie_and_goes_home(client: TestClient, rt: Runtime) -> None:
    secret = make_account(rt, "form-registrar", Role.REGISTRAR, enrolled=True)
    answer = client.post(
        "/login",
        data={"username": "form-registrar", "password": PASSWORD, "code": code(secret)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/people"
    cookie = answer.headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/"):
        assert attribute in cookie
    assert client.get("/", follow_redirects=False).headers["location"] == "/people"


def test_a_wrong_code_shows_the_form_again_without_a_session(
    client: TestClient, rt: Runtime
) -> None:
    make_account(rt, "form-verifier", Role.VERIFIER, enrolled=True)
    answer = client.post(
        "/login", data={"username": "form-verifier", "password": PASSWORD, "code": "000000"}
    )
    assert answer.status_code == 401
    assert "text/html" in answer.headers["content-type"]
    assert "Invalid username, password or code." in answer.text
    assert "set-cookie" not in answer.headers
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username="form-verifier")
        assert account is not None
        # Counted although the page rendered normally.
        [backoff] = s.scalars(select(LoginBackoff)).all()
        assert (backoff.account_id, backoff.failures) == (account.id, 1)
        [throttle] = s.scalars(select(ClientThrottle)).all()
        assert throttle.failures == 1
        assert "testclient" not in throttle.client  # a keyed hash, never the address


@pytest.mark.parametrize("password", [PASSWORD, "wrong password!"])
def test_unicode_digits_show_the_form_again_with_422(
    client: TestClient, rt: Runtime, password: str
) -> None:
    make_account(rt, "form-verifier", Role.VERIFIER, enrolled=True)
    answer = client.post(
        "/login",
        data={"username": "form-verifier", "password": password, "code": "\u0661" * 6},
    )
    assert answer.status_code == 422
    assert "The code is six digits from 0 to 9." in answer.text
    assert "set-cookie" not in answer.headers
    with rt.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "account:login_fail"))
    assert (entry.purpose or "").startswith("malformed_code;")


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"}],
)
def test_login_refuses_a_cross_site_post(
    client: TestClient, rt: Runtime, headers: dict[str, str]
) -> None:
    secret = make_account(rt, "cross-site", Role.REGISTRAR, enrolled=True)
    answer = client.post(
        "/login",
        data={"username": "cross-site", "password": PASSWORD, "code": code(secret)},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


def test_a_same_origin_post_passes_the_origin_check(client: TestClient, rt: Runtime) -> None:
    secret = make_account(rt, "same-site", Role.REGISTRAR, enrolled=True)
    answer = client.post(
        "/login",
        data={"username": "same-site", "password": PASSWORD, "code": code(secret)},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "null"},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_a_form_post_without_the_csrf_token_is_refused(ui_login: UiLogin) -> None:
    client = ui_login(Role.MEDICAL)
    token = csrf_of(client.get("/people").text)
    assert client.post("/logout", follow_redirects=False).status_code == 403
    wrong = client.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    assert "text/html" in wrong.headers["content-type"]
    ok = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/people", follow_redirects=False).headers["location"] == "/login"


def test_htmx_posts_carry_the_token_in_a_header(ui_login: UiLogin) -> None:
    client = ui_login(Role.AUDITOR)
    token = csrf_of(client.get("/audit").text)
    assert f'"X-CSRF-Token": "{token}"' in client.get("/audit").text
    headers = {"HX-Request": "true"}
    assert client.post("/audit/verify", headers=headers).status_code == 403
    answer = client.post("/audit/verify", headers=headers | {"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert "The audit log is intact" in answer.text


INVITATION = re.compile(r'<code class="secret">([0-9A-Z-]+)</code>')


def _invite(admin: TestClient, username: str, role: str) -> str:
    page = admin.get("/accounts")
    answer = admin.post(
        "/accounts",
        data={"csrf_token": csrf_of(page.text), "username": username, "role": role},
    )
    assert answer.status_code == 201, answer.text
    match = INVITATION.search(answer.text)
    assert match is not None
    return match.group(1)


def test_the_admin_gets_an_invitation_and_the_holder_sets_the_password(
    ui_login: UiLogin, rt: Runtime
) -> None:
    admin = ui_login(Role.ADMIN)
    page = admin.get("/accounts")
    assert 'type="password"' not in page.text  # the admin never types a password
    invitation = _invite(admin, "fresh-registrar", "registrar")
    assert invitation not in admin.get("/accounts").text  # shown once
    holder = TestClient(create_app(rt), base_url="https://testserver")
    form = holder.get("/invitation")
    assert form.status_code == 200
    assert 'action="/invitation"' in form.text
    mismatch = {"code": invitation, "password": PASSWORD, "repeat": PASSWORD + "!"}
    assert holder.post("/invitation", data=mismatch).status_code == 422
    done = holder.post(
        "/invitation",
        data={"code": invitation, "password": PASSWORD, "repeat": PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/enrol"  # a registrar, too, enrols TOTP first
    assert holder.get("/people", follow_redirects=False).headers["location"] == "/enrol"
    again = TestClient(create_app(rt), base_url="https://testserver").post(
        "/invitation", data={"code": invitation, "password": PASSWORD, "repeat": PASSWORD}
    )
    assert again.status_code == 400
    assert "unknown, already used or expired" in again.text
    assert "set-cookie" not in again.headers


def test_a_new_invitation_code_for_an_account_not_set_up(ui_login: UiLogin) -> None:
    admin = ui_login(Role.ADMIN)
    first = _invite(admin, "late-tracer", "tracing")
    page = admin.get("/accounts")
    action = re.search(r'action="(/accounts/[0-9a-f-]+/invitation)"', page.text)
    assert action is not None
    answer = admin.post(action.group(1), data={"csrf_token": csrf_of(page.text), "confirm": "yes"})
    assert answer.status_code == 201
    second = INVITATION.search(answer.text)
    assert second is not None
    assert second.group(1) != first


def test_first_login_goes_to_enrolment_and_nowhere_else(client: TestClient, rt: Runtime) -> None:
    secret = make_account(rt, "fresh-verifier", Role.VERIFIER, enrolled=False)
    answer = client.post(
        "/login",
        data={"username": "fresh-verifier", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/enrol"
    assert client.get("/people", follow_redirects=False).headers["location"] == "/enrol"
    page = client.get("/enrol")
    assert page.status_code == 200
    assert '<svg role="img"' in page.text
    assert secret in page.text  # the key for those who cannot scan, on this page only
    token = csrf_of(page.text)
    bad = client.post("/enrol", data={"csrf_token": token, "code": "000000"})
    assert bad.status_code == 400
    done = client.post(
        "/enrol", data={"csrf_token": token, "code": code(secret)}, follow_redirects=False
    )
    assert done.headers["location"] == "/people"
    assert client.get("/people").status_code == 200


def test_the_language_is_remembered_for_the_account(ui_login: UiLogin, rt: Runtime) -> None:
    client = ui_login(Role.TRACING)
    token = csrf_of(client.get("/people").text)
    answer = client.post(
        "/language",
        data={"csrf_token": token, "language": "uk", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/people"  # never an off-site redirect
    page = client.get("/people")
    assert '<html lang="uk">' in page.text
    assert "Вийти" in page.text
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username="ui-tracing")
        assert account is not None
        assert account.language == "uk"


def test_the_login_page_speaks_the_browser_language(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "de;q=1, ru;q=0.8, en;q=0.5"})
    assert '<html lang="ru">' in page.text
    assert "Вход" in page.text
    chosen = client.get("/login?lang=uk")
    assert "Вхід" in chosen.text
    assert '<html lang="uk">' in client.get("/login").text  # kept in a cookie

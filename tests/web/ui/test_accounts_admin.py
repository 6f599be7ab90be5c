"""The admin's account work in the UI: each change confirmed first, then done once and said
so; errors that name the field and keep what was typed; one's own account left alone;
tokens listed and revoked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from safeconduct import clock
from safeconduct.accounts import service as accounts
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Role
from safeconduct.audit.models import AuditEntry
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import ACTOR, add_account, add_token
from tests.web.ui.conftest import csrf_of

UiLogin = Callable[[Role], TestClient]
INVITATION = re.compile(r'<code class="secret">([0-9A-Z-]+)</code>')


def _admin(ui_login: UiLogin) -> tuple[TestClient, str]:
    client = ui_login(Role.ADMIN)
    return client, csrf_of(client.get("/accounts").text)


def _account(rt: Runtime, account_id: str) -> Account:
    with rt.sessions() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account


def _own_id(rt: Runtime, username: str = "ui-admin") -> str:
    with rt.sessions() as s:
        account = accounts.get_by_username(s, username=username)
        assert account is not None
        return account.id


def _tags(rt: Runtime, subject_id: str) -> list[str]:
    with rt.sessions() as s:
        stmt = select(AuditEntry.action).where(AuditEntry.subject_id == subject_id)
        return list(s.scalars(stmt.order_by(AuditEntry.seq)))


def test_the_list_says_where_each_account_stands(ui_login: UiLogin, rt: Runtime) -> None:
    admin, token = _admin(ui_login)
    add_account(rt, "set-up-tracer", Role.TRACING, enrolled=True)
    add_account(rt, "waiting-verifier", Role.VERIFIER, enrolled=True, approved=False)
    add_account(rt, "no-factor-medic", Role.MEDICAL, enrolled=False)
    gone, _ = add_account(rt, "gone-welfare", Role.WELFARE, enrolled=True)
    with rt.transaction() as s:
        accounts.disable(s, audit=rt.audit, actor=ACTOR, account=s.merge(gone))
    admin.post("/accounts", data={"csrf_token": token, "username": "new-one", "role": "intake"})
    page = admin.get("/accounts").text
    for name, status in [
        ("set-up-tracer", "Set up"),
        ("waiting-verifier", "Awaiting auditor approval"),
        ("no-factor-medic", "Second factor to set up"),
        ("gone-welfare", "Disabled"),
        ("new-one", "Invited"),
    ]:
        row = re.search(
            rf"<tr>\s*<td[^>]*><a href=\"/accounts/[^\"]+\">{name}</a>.*?</tr>", page, re.S
        )
        assert row is not None, name
        assert status in row.group(0), name
    assert '<table class="stack">' in page
    assert 'data-label="Status"' in page


@pytest.mark.parametrize(
    ("username", "role", "messages"),
    [
        ("Bad Name", "tracing", ["Username: use 2 to 64 characters"]),
        ("ui-admin", "tracing", ["Username: this username is already taken."]),
        ("fine-name", "wizard", ["Role: choose one of the roles listed."]),
        ("", "", ["Username: use 2 to 64", "Role: choose one"]),
    ],
)
def test_a_wrong_field_is_named_and_what_was_typed_is_kept(
    ui_login: UiLogin, rt: Runtime, username: str, role: str, messages: list[str]
) -> None:
    admin, token = _admin(ui_login)
    answer = admin.post("/accounts", data={"csrf_token": token, "username": username, "role": role})
    assert answer.status_code == 422
    for message in messages:
        assert message in answer.text
    others = {"Bad Name": "taken", "ui-admin": "use 2 to 64", "fine-name": "taken"}
    if username in others:
        assert others[username] not in answer.text  # one cause, not two in one
    assert f'name="username" value="{username}"' in answer.text
    if role == "tracing":
        assert '<option value="tracing" selected>' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert INVITATION.search(answer.text) is None


def test_a_new_account_is_confirmed_with_its_code_once(ui_login: UiLogin) -> None:
    admin, token = _admin(ui_login)
    answer = admin.post(
        "/accounts", data={"csrf_token": token, "username": "fresh-clerk", "role": "registrar"}
    )
    assert answer.status_code == 201
    assert "Account fresh-clerk created." in answer.text
    code = INVITATION.search(answer.text)
    assert code is not None
    assert code.group(1) not in admin.get("/accounts").text


def _confirmed(admin: TestClient, path: str, token: str, heading: str, **fields: str) -> str:
    """Post once: the confirmation page, nothing done; post again confirmed: the redirect."""
    first = admin.post(path, data={"csrf_token": token, **fields})
    assert first.status_code == 200
    assert f"<h1>{heading}</h1>" in first.text
    assert '<input type="hidden" name="confirm" value="yes">' in first.text
    assert f'action="{path}"' in first.text
    done = admin.post(
        path, data={"csrf_token": token, "confirm": "yes", **fields}, follow_redirects=False
    )
    assert done.status_code == 303
    return str(done.headers["location"])


def test_disable_and_enable_each_after_a_confirmation(ui_login: UiLogin, rt: Runtime) -> None:
    admin, token = _admin(ui_login)
    _secret, row = add_token(rt, "to-disable", Role.TRACING)
    account_id = row.account_id
    first = admin.post(f"/accounts/{account_id}/disable", data={"csrf_token": token})
    assert _account(rt, account_id).disabled_at is None  # asked, not done
    assert "Disable to-disable?" in first.text
    location = _confirmed(admin, f"/accounts/{account_id}/disable", token, "Disable to-disable?")
    assert location == f"/accounts/{account_id}?done=disabled"
    assert _account(rt, account_id).disabled_at is not None
    page = admin.get(location)
    assert "Account to-disable disabled." in page.text
    assert "Revoked on" in page.text  # its token ended with it
    assert "Enable account" in page.text
    location = _confirmed(admin, f"/accounts/{account_id}/enable", token, "Enable to-disable?")
    assert _account(rt, account_id).disabled_at is None
    assert "Account to-disable enabled." in admin.get(location).text
    assert _tags(rt, account_id)[-2:] == ["account:disable", "account:enable"]


def test_reset_second_factor_after_a_confirmation(ui_login: UiLogin, rt: Runtime) -> None:
    admin, token = _admin(ui_login)
    account, _secret = add_account(rt, "lost-phone", Role.REGISTRAR, enrolled=True)
    location = _confirmed(
        admin,
        f"/accounts/{account.id}/reset-totp",
        token,
        "Reset the second factor of lost-phone?",
    )
    assert _account(rt, account.id).totp_enrolled_at is None
    page = admin.get(location).text
    assert "Second factor of lost-phone reset" in page
    assert "Second factor to set up" in page


def test_change_role_after_a_confirmation(ui_login: UiLogin, rt: Runtime) -> None:
    admin, token = _admin(ui_login)
    account, _secret = add_account(rt, "moving-clerk", Role.MEDICAL, enrolled=True)
    path = f"/accounts/{account.id}/role"
    location = _confirmed(
        admin, path, token, "Change the role of moving-clerk to Welfare?", role="welfare"
    )
    assert _account(rt, account.id).role == "welfare"
    assert "Role of moving-clerk changed." in admin.get(location).text
    unknown = admin.post(path, data={"csrf_token": token, "role": "wizard", "confirm": "yes"})
    assert unknown.status_code == 422
    assert "Role: choose one of the roles listed." in unknown.text
    same = admin.post(path, data={"csrf_token": token, "role": "welfare"})
    assert same.status_code == 409
    assert "Role: the account already has this role." in same.text


def test_a_new_invitation_after_a_confirmation(ui_login: UiLogin, rt: Runtime) -> None:
    admin, token = _admin(ui_login)
    created = admin.post(
        "/accounts", data={"csrf_token": token, "username": "late-one", "role": "tracing"}
    )
    first = INVITATION.search(created.text)
    assert first is not None
    account_id = _own_id(rt, "late-one")
    path = f"/accounts/{account_id}/invitation"
    ask = admin.post(path, data={"csrf_token": token})
    assert ask.status_code == 200
    assert "<h1>New invitation code for late-one?</h1>" in ask.text
    answer = admin.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert answer.status_code == 201
    second = INVITATION.search(answer.text)
    assert second is not None
    assert second.group(1) != first.group(1)
    set_up, _ = add_account(rt, "in-use", Role.TRACING, enrolled=True)
    refused = admin.post(
        f"/accounts/{set_up.id}/invitation", data={"csrf_token": token, "confirm": "yes"}
    )
    assert refused.status_code == 409
    assert "This account is already set up" in refused.text


@pytest.mark.parametrize(
    ("path", "fields"),
    [("disable", {}), ("reset-totp", {}), ("role", {"role": "auditor"})],
)
def test_no_admin_changes_its_own_account(
    ui_login: UiLogin, rt: Runtime, path: str, fields: dict[str, str]
) -> None:
    admin, token = _admin(ui_login)
    own = _own_id(rt)
    page = admin.get(f"/accounts/{own}").text
    assert "This is your own account" in page
    assert "Disable account" not in page
    answer = admin.post(
        f"/accounts/{own}/{path}", data={"csrf_token": token, "confirm": "yes", **fields}
    )
    assert answer.status_code == 409
    assert "text/html" in answer.headers["content-type"]
    assert "You cannot disable your own account" in answer.text
    assert '<p class="alert" role="alert">' in answer.text
    mine = _account(rt, own)
    assert (mine.disabled_at, mine.role) == (None, "admin")
    assert mine.totp_enrolled_at is not None


def test_the_api_refuses_an_admin_its_own_account(rt: Runtime) -> None:
    bearer, row = add_token(rt, "api-admin", Role.ADMIN)
    client = TestClient(create_app(rt), base_url="https://testserver")
    headers = {"Authorization": f"Bearer {bearer}"}
    for path in ("disable", "reset-totp"):
        answer = client.post(f"/api/v1/accounts/{row.account_id}/{path}", headers=headers)
        assert answer.status_code == 409
        assert answer.json()["detail"].startswith("account: no one")
    assert _account(rt, row.account_id).disabled_at is None


def test_tokens_are_listed_and_revoked_after_a_confirmation(ui_login: UiLogin, rt: Runtime) -> None:
    admin, token = _admin(ui_login)
    bearer, row = add_token(rt, "machine-owner", Role.TRACING)
    assert "Never" in admin.get(f"/accounts/{row.account_id}").text
    api = TestClient(create_app(rt), base_url="https://testserver")
    with clock.using(clock.ManualClock(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))):
        assert api.get("/api/v1/persons", headers={"Authorization": f"Bearer {bearer}"}).is_success
    page = admin.get(f"/accounts/{row.account_id}").text
    assert "machine-owner token" in page
    assert "Never" not in page  # it was used: the day of its last use is shown, no time
    assert '<time datetime="2026-03-01">2026-03-01</time>' in page
    path = f"/accounts/{row.account_id}/tokens/{row.id}/revoke"
    heading = "Revoke the API token “machine-owner token” of machine-owner?"
    location = _confirmed(admin, path, token, heading)
    assert "API token revoked." in admin.get(location).text
    with rt.sessions() as s:
        revoked = s.get(ApiToken, row.id)
        assert revoked is not None
        assert revoked.revoked_at is not None
    assert (
        api.get("/api/v1/persons", headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    )
    other, _ = add_account(rt, "someone-else", Role.TRACING, enrolled=True)
    wrong = admin.post(f"/accounts/{other.id}/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert wrong.status_code == 404


def test_the_done_message_names_only_known_actions(ui_login: UiLogin, rt: Runtime) -> None:
    admin, _token = _admin(ui_login)
    account, _ = add_account(rt, "plain", Role.TRACING, enrolled=True)
    page = admin.get(f"/accounts/{account.id}?done=<script>").text
    assert "<script>" not in page
    assert 'class="ok"' not in page
    assert admin.get("/accounts/00000000-0000-0000-0000-000000000000").status_code == 404


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_pages_render_in_every_language(ui_login: UiLogin, rt: Runtime, language: str) -> None:
    admin, token = _admin(ui_login)
    admin.post("/language", data={"csrf_token": token, "language": language, "next": "/"})
    _bearer, row = add_token(rt, "speaks-" + language, Role.TRACING)
    assert f'<html lang="{language}">' in admin.get("/accounts").text
    assert admin.get(f"/accounts/{row.account_id}").status_code == 200
    ask = admin.post(f"/accounts/{row.account_id}/disable", data={"csrf_token": token})
    assert ask.status_code == 200
    assert f'<html lang="{language}">' in ask.text

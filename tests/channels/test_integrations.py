"""Integrations: made, rotated and disabled by the admin (service, CLI, operator UI); their
secrets kept only sealed and shown once; every change audited."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.audit.tags import AuditAction
from safeconduct.channels import integrations, webhook
from safeconduct.channels.models import Integration, IntegrationKind
from safeconduct.cli import app
from safeconduct.config import Settings
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import PASSWORD
from tests.web.conftest import code, make_account
from tests.web.ui.conftest import csrf_of

ADMIN = Actor("cli", "os:test")
TOKEN = "123456:AAE-planted_bot_token_value"


def _add(rt: Runtime, name: str = "ivr", **extra: str) -> integrations.Made:
    assert rt.channels is not None
    kind = IntegrationKind(extra.pop("kind", "webhook"))
    with rt.transaction() as session:
        return integrations.add(
            session,
            secret=rt.channels.secret,
            audit=rt.audit,
            actor=ADMIN,
            name=name,
            kind=kind,
            **extra,
        )


def _stored(rt: Runtime, name: str) -> Integration:
    with rt.sessions() as session:
        found = integrations.get_by_name(session, name)
        assert found is not None
        session.expunge(found)
        return found


def _tags(rt: Runtime) -> list[str]:
    with rt.sessions() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_secrets_are_kept_sealed_and_open_with_the_channel_secret(rt: Runtime) -> None:
    assert rt.channels is not None
    made = _add(rt, "bot", kind="telegram", bot_token=TOKEN, handle="@official_bot")
    row = _stored(rt, "bot")
    assert made.secret.encode() not in row.secret
    assert row.bot_token is not None
    assert TOKEN.encode() not in row.bot_token
    assert integrations.secret_of(rt.channels.secret, row) == made.secret.encode()
    assert integrations.bot_token_of(rt.channels.secret, row) == TOKEN
    assert len(made.secret) >= 40  # 32 random bytes


def test_rotation_replaces_the_secret_and_disabling_is_final(rt: Runtime) -> None:
    assert rt.channels is not None
    first = _add(rt)
    with rt.transaction() as session:
        row = integrations.get_by_name(session, "ivr")
        assert row is not None
        second = integrations.rotate_secret(
            session, secret=rt.channels.secret, audit=rt.audit, actor=ADMIN, integration=row
        )
        assert second.secret != first.secret
        assert row.secret_version == 2
        integrations.disable(session, audit=rt.audit, actor=ADMIN, integration=row)
        with pytest.raises(integrations.IntegrationError):
            integrations.disable(session, audit=rt.audit, actor=ADMIN, integration=row)
        with pytest.raises(integrations.IntegrationError):
            integrations.rotate_secret(
                session, secret=rt.channels.secret, audit=rt.audit, actor=ADMIN, integration=row
            )
    assert [t for t in _tags(rt) if t.startswith("integration")] == [
        AuditAction.INTEGRATION_CREATE.value,
        AuditAction.INTEGRATION_ROTATE.value,
        AuditAction.INTEGRATION_DISABLE.value,
    ]


BAD: list[tuple[dict[str, str], str]] = [
    ({"name": "A"}, "name"),
    ({"name": "has space"}, "name"),
    ({"kind": "telegram"}, "bot_token"),
    ({"bot_token": TOKEN}, "bot_token"),
    ({"kind": "telegram", "bot_token": "not a token"}, "bot_token"),
    ({"handle": "x" * 129}, "handle"),
    ({"handle": "two\nlines"}, "handle"),
]


def test_bad_fields_are_named_and_nothing_is_made(rt: Runtime) -> None:
    for extra, field in BAD:
        given = dict(extra)
        name = given.pop("name", "ok-name")
        with pytest.raises(integrations.IntegrationError) as refused:
            _add(rt, name, **given)
        assert refused.value.field == field
        assert TOKEN not in str(refused.value)
    with rt.sessions() as session:
        assert integrations.list_(session) == []


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SAFECONDUCT_DB_URL": settings.db_url,
        "SAFECONDUCT_KEK_FILE": str(settings.kek_file),
        "SAFECONDUCT_SIGNING_KEY_FILE": str(settings.signing_key_file),
        "SAFECONDUCT_INTAKE_KEY_FILE": str(settings.intake_key_file),
        "SAFECONDUCT_INTAKE_PUBLIC_KEY_FILE": str(settings.intake_public_key_file),
        "SAFECONDUCT_CHANNEL_KEY_FILE": str(settings.channel_key_file),
        "SAFECONDUCT_CHANNEL_KEYS_FILE": str(settings.channel_keys_file),
        "SAFECONDUCT_CHANNEL_SECRET_FILE": str(settings.channel_secret_file),
    }


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["channels", *args], env=_env(settings))
    return result.exit_code, result.output


def test_the_command_line_adds_lists_rotates_and_disables(
    rt: Runtime, settings: Settings, tmp_path: Path
) -> None:
    assert rt.channels is not None
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    status, out = _cli(
        settings,
        "add",
        "--kind",
        "telegram",
        "--name",
        "bot",
        "--handle",
        "@official_bot",
        "--bot-token-file",
        str(token_file),
    )
    assert status == 0, out
    secret = out.strip().splitlines()[-1]
    row = _stored(rt, "bot")
    assert integrations.secret_of(rt.channels.secret, row) == secret.encode()
    assert integrations.bot_token_of(rt.channels.secret, row) == TOKEN
    assert TOKEN not in out

    status, out = _cli(settings, "list")
    assert status == 0
    assert "bot" in out
    assert "@official_bot" in out
    assert secret not in out
    assert TOKEN not in out

    status, out = _cli(settings, "rotate-secret", "bot")
    assert status == 0, out
    rotated = out.strip().splitlines()[-1]
    assert rotated != secret
    assert integrations.secret_of(rt.channels.secret, _stored(rt, "bot")) == rotated.encode()

    assert _cli(settings, "disable", "bot")[0] == 0
    assert _stored(rt, "bot").disabled_on is not None
    status, out = _cli(settings, "disable", "bot")
    assert status == 2
    assert "already disabled" in out
    status, out = _cli(settings, "rotate-secret", "nobody")
    assert status == 2
    assert "no integration" in out
    status, out = _cli(settings, "add", "--kind", "webhook", "--name", "Bad Name")
    assert status == 2
    assert "name" in out


def _admin(rt: Runtime, role: Role = Role.ADMIN) -> TestClient:
    client = TestClient(create_app(rt), base_url="https://testserver")
    username = f"int-{role.value}"
    secret = make_account(rt, username, role, enrolled=True)
    answer = client.post(
        "/login",
        follow_redirects=False,
        data={"username": username, "password": PASSWORD, "code": code(secret)},
    )
    assert answer.status_code == 303, answer.text
    return client


def test_the_admin_adds_sees_the_secret_once_rotates_and_disables(
    rt: Runtime, public_client: TestClient
) -> None:
    client = _admin(rt)
    page = client.get("/integrations")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    made = client.post(
        "/integrations",
        data={"csrf_token": csrf, "name": "ivr", "kind": "webhook", "handle": "+380 800 000 000"},
    )
    assert made.status_code == 201
    row = _stored(rt, "ivr")
    assert rt.channels is not None
    secret = integrations.secret_of(rt.channels.secret, row).decode()
    assert secret in made.text
    listing = client.get("/integrations")
    assert secret not in listing.text
    assert "+380 800 000 000" in listing.text

    # The secret works on the public face.
    body = json.dumps({"contact": "@me"}).encode()
    stamp = str(int(time.time()))
    headers = {
        webhook.TIMESTAMP_HEADER: stamp,
        webhook.IDEMPOTENCY_HEADER: "ui-1",
        webhook.SIGNATURE_HEADER: webhook.sign(secret.encode(), stamp, body),
    }
    assert (
        public_client.post("/channels/webhook/ivr", content=body, headers=headers).status_code
        == 201
    )

    ask = client.post(f"/integrations/{row.id}/rotate", data={"csrf_token": csrf})
    assert ask.status_code == 200
    assert 'name="confirm" value="yes"' in ask.text
    assert _stored(rt, "ivr").secret_version == 1  # asked, not done
    rotated = client.post(
        f"/integrations/{row.id}/rotate", data={"csrf_token": csrf, "confirm": "yes"}
    )
    assert rotated.status_code == 201
    new = integrations.secret_of(rt.channels.secret, _stored(rt, "ivr")).decode()
    assert new != secret
    assert new in rotated.text
    headers[webhook.IDEMPOTENCY_HEADER] = "ui-2"
    assert (
        public_client.post("/channels/webhook/ivr", content=body, headers=headers).status_code
        == 401
    )

    ask = client.post(f"/integrations/{row.id}/disable", data={"csrf_token": csrf})
    assert ask.status_code == 200
    assert _stored(rt, "ivr").disabled_on is None
    done = client.post(
        f"/integrations/{row.id}/disable",
        follow_redirects=False,
        data={"csrf_token": csrf, "confirm": "yes"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/integrations?done=disabled"
    assert _stored(rt, "ivr").disabled_on is not None
    again = client.post(
        f"/integrations/{row.id}/rotate", data={"csrf_token": csrf, "confirm": "yes"}
    )
    assert again.status_code == 409


def test_the_ui_names_a_bad_field_and_never_echoes_the_token(rt: Runtime) -> None:
    client = _admin(rt)
    csrf = csrf_of(client.get("/integrations").text)
    answer = client.post(
        "/integrations",
        data={"csrf_token": csrf, "name": "bot", "kind": "webhook", "bot_token": TOKEN},
    )
    assert answer.status_code == 422
    assert 'id="new-bot-token"' in answer.text
    assert TOKEN not in answer.text
    assert (
        client.post(
            "/integrations", data={"csrf_token": csrf, "name": "x y", "kind": "webhook"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/integrations", data={"csrf_token": csrf, "name": "ok", "kind": "fax"}
        ).status_code
        == 422
    )
    with rt.sessions() as session:
        assert integrations.list_(session) == []


def test_other_roles_are_refused(rt: Runtime) -> None:
    made = _add(rt)
    for role in (Role.INTAKE, Role.AUDITOR):
        client = _admin(rt, role)
        assert client.get("/integrations").status_code == 403
        csrf = csrf_of(client.get("/preferences").text)
        path = f"/integrations/{made.integration.id}/disable"
        assert client.post(path, data={"csrf_token": csrf, "confirm": "yes"}).status_code == 403
    assert _stored(rt, "ivr").disabled_on is None

"""Integrations: the bot and phone platforms allowed to post to the public face.

Each has a secret (webhook HMAC key, or the value Telegram echoes in its secret-token
header) and, for a Telegram bot, the bot's token; both are sealed under the channel secret
and shown once, when made. Managed by the admin (CLI and operator UI); audited.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.audit.tags import AuditAction
from safeconduct.channels.models import Integration, IntegrationKind
from safeconduct.db import new_id, today
from safeconduct.security.channel_secret import ChannelSecret

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")
# Telegram's form: the bot's id, a colon, a secret of letters, digits, - and _.
_BOT_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$")
HANDLE_CHARS = 128


class IntegrationError(ValueError):
    """A bad name, kind or state; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Made:
    """An integration and its new secret, shown this once."""

    integration: Integration
    secret: str


def _secret_name(integration: Integration, what: str) -> str:
    return f"integration:{integration.id}:{what}"


def check_handle(handle: str | None) -> str | None:
    """What the official list shows (a bot handle, a phone number): one printable line,
    at most 128 characters; empty means none."""
    kept = (handle or "").strip()
    if len(kept) > HANDLE_CHARS:
        raise IntegrationError("handle", f"at most {HANDLE_CHARS} characters")
    if not kept.isprintable():
        raise IntegrationError("handle", "one line of printable characters")
    return kept or None


def new_secret() -> str:
    # Telegram allows 1-256 characters A-Z a-z 0-9 _ -; token_urlsafe stays within them.
    return secrets.token_urlsafe(32)


def get_by_name(session: Session, name: str) -> Integration | None:
    return session.scalars(select(Integration).where(Integration.name == name)).one_or_none()


def list_(session: Session) -> list[Integration]:
    return list(session.scalars(select(Integration).order_by(Integration.name)))


def add(
    session: Session,
    *,
    secret: ChannelSecret,
    audit: AuditLog,
    actor: Actor,
    name: str,
    kind: IntegrationKind,
    handle: str | None = None,
    bot_token: str | None = None,
) -> Made:
    """Make an integration; its secret is returned once and kept only sealed."""
    if not _NAME.match(name):
        raise IntegrationError("name", "2-63 lower-case letters, digits, - or _")
    if get_by_name(session, name) is not None:
        raise IntegrationError("name", "an integration of that name exists")
    if kind == IntegrationKind.TELEGRAM and not bot_token:
        raise IntegrationError("bot_token", "a Telegram integration needs its bot's token")
    if kind != IntegrationKind.TELEGRAM and bot_token:
        raise IntegrationError("bot_token", "only a Telegram integration has a bot token")
    if bot_token and not _BOT_TOKEN.match(bot_token):
        raise IntegrationError("bot_token", "not a bot token (digits, a colon, then letters)")
    handle = check_handle(handle)
    integration = Integration(id=new_id(), name=name, kind=kind.value, handle=handle)
    value = new_secret()
    integration.secret = secret.seal_secret(_secret_name(integration, "secret"), value.encode())
    if bot_token:
        integration.bot_token = secret.seal_secret(
            _secret_name(integration, "bot_token"), bot_token.encode()
        )
    session.add(integration)
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.INTEGRATION_CREATE,
                 subject_id=integration.id, purpose=kind.value)  # fmt: skip
    return Made(integration, value)


def rotate_secret(
    session: Session,
    *,
    secret: ChannelSecret,
    audit: AuditLog,
    actor: Actor,
    integration: Integration,
) -> Made:
    """Replace an integration's secret; the old one stops working at once."""
    if integration.disabled_on is not None:
        raise IntegrationError("name", "disabled: it takes no new secret")
    value = new_secret()
    integration.secret = secret.seal_secret(_secret_name(integration, "secret"), value.encode())
    integration.secret_version += 1
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.INTEGRATION_ROTATE,
                 subject_id=integration.id)  # fmt: skip
    return Made(integration, value)


def disable(session: Session, *, audit: AuditLog, actor: Actor, integration: Integration) -> None:
    """Stop an integration: its endpoints answer 404 from now on."""
    if integration.disabled_on is not None:
        raise IntegrationError("name", "already disabled")
    integration.disabled_on = today()
    session.flush()
    audit.record(session, actor=actor, tag=AuditAction.INTEGRATION_DISABLE,
                 subject_id=integration.id)  # fmt: skip


def secret_of(secret: ChannelSecret, integration: Integration) -> bytes:
    """The integration's secret, opened (the public face checks signatures with it)."""
    return secret.open_secret(_secret_name(integration, "secret"), integration.secret)


def bot_token_of(secret: ChannelSecret, integration: Integration) -> str | None:
    if integration.bot_token is None:
        return None
    name = _secret_name(integration, "bot_token")
    return secret.open_secret(name, integration.bot_token).decode()


def active(session: Session, *, name: str, kind: IntegrationKind) -> Integration | None:
    """The enabled integration of this name and kind, or None (the endpoint answers 404)."""
    integration = get_by_name(session, name)
    if integration is None or integration.kind != kind.value or integration.disabled_on is not None:
        return None
    return integration

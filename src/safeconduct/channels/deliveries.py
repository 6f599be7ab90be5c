"""Idempotency of the channels' endpoints: each delivery (a webhook's idempotency key, a
Telegram update) is recorded once under a keyed hash, in `channel_deliveries`."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeconduct.channels.models import ChannelDelivery
from safeconduct.db import new_id


def record_delivery(
    session: Session,
    *,
    integration_id: str,
    key_hash: str,
    body_hash: str | None = None,
    message_hash: str | None = None,
) -> ChannelDelivery | None:
    """Record a delivery; None when its twin was recorded first (a redelivery, or the same
    one arriving twice at once: the unique key waits for the first, then refuses this)."""
    delivery = ChannelDelivery(
        id=new_id(),
        integration_id=integration_id,
        key_hash=key_hash,
        body_hash=body_hash,
        message_hash=message_hash,
    )
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return None
    return delivery

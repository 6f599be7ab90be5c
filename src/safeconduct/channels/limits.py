"""Rate limits of the public face: per client, per integration, per contact.

Each limit counts hits in fixed windows kept in `channel_limits`, one row per bucket. A
bucket is named by a keyed hash under the channel secret (a label per kind of limit), so
the store never holds an address, an integration's name or a contact, and without the
secret no one can test a guess against it. Windows are aligned to multiples of their
length since the epoch: a row tells at most which minute (or day) its bucket was first
hit, never the second, and the day-long contact windows say no more than `opened_on`.

A hit is one upsert, so concurrent hits on one bucket all count; `prune` deletes
windows that have ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, or_, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from safeconduct.channels.models import ChannelLimit
from safeconduct.channels.policy import normalise_contact
from safeconduct.runtime import PublicRuntime
from safeconduct.security.channel_secret import ChannelSecret

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rule:
    """At most `limit` hits per bucket in each window of `window_seconds`."""

    name: str
    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Limits:
    """The limits of one deployment. The defaults let a person, a busy bot platform and a
    phone line through and stop a script; a deployment may set others (app.state)."""

    # Each client's posts to the public pages (form, status, write again, clone report).
    client: Rule = Rule("client", 30, 60)
    # Each client's posts to the webhook, counted before any signature is checked.
    webhook_client: Rule = Rule("webhook-client", 600, 60)
    # Each integration's signed deliveries.
    integration: Rule = Rule("integration", 300, 60)
    # Requests for one contact in a UTC day, whatever the channel.
    contact: Rule = Rule("contact", 10, DAY_SECONDS)


DEFAULT = Limits()
# Windows older than the longest one are of no use to anyone: prune deletes them.
LONGEST_WINDOW_SECONDS = DAY_SECONDS


class RateLimitedError(Exception):
    """Too many hits: wait `retry_after` seconds. Names no bucket and no value."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited; retry after {retry_after} s")
        self.retry_after = retry_after


def client_bucket(secret: ChannelSecret, rule: Rule, address: str) -> str:
    return secret.keyed_hash(f"client-limit/{rule.name}", address)


def integration_bucket(secret: ChannelSecret, integration_id: str) -> str:
    return secret.keyed_hash("integration-limit", integration_id)


def contact_bucket(secret: ChannelSecret, contact: str) -> str:
    # Its own label: a limit's bucket never equals a request's contact_index ("contact"),
    # so the limits table cannot be joined to the queue.
    return secret.keyed_hash("contact-limit", normalise_contact(contact))


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the aligned window holding `now`."""
    elapsed = math.floor((now - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=elapsed - elapsed % window_seconds)


def retry_after(now: datetime, rule: Rule) -> int:
    """Seconds until the window holding `now` ends (at least 1)."""
    end = window_start(now, rule.window_seconds) + timedelta(seconds=rule.window_seconds)
    return max(1, math.ceil((end - now).total_seconds()))


def hit(session: Session, *, bucket: str, rule: Rule, now: datetime) -> None:
    """Count one hit on a bucket; raise RateLimitedError (not counted) when its window is
    full. The caller commits: on the public face in a transaction of its own, so refused
    work still counts.

    One statement: insert the bucket, or move it to the current window, or add one to it
    if its window is not full (ON CONFLICT DO UPDATE locks the row, so concurrent hits all
    count). No row back: the window is full."""
    start = window_start(now, rule.window_seconds)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ChannelLimit).values(bucket=bucket, window_started_at=start, count=1)
    kept, new = ChannelLimit.__table__.c, stmt.excluded
    same_window = kept.window_started_at == new.window_started_at
    counted = stmt.on_conflict_do_update(
        index_elements=[kept.bucket],
        set_={"window_started_at": new.window_started_at,
              "count": case((same_window, kept["count"] + 1), else_=1)},
        where=or_(~same_window, kept["count"] < rule.limit),
    ).returning(kept["count"])  # fmt: skip
    if session.execute(counted).first() is None:
        raise RateLimitedError(retry_after(now, rule))


def prune(session: Session, *, now: datetime) -> int:
    """Delete every window that has ended (the longest lasts a day); return how many."""
    # A window that began a full longest-window ago has ended, whatever its length.
    cutoff = now - timedelta(seconds=LONGEST_WINDOW_SECONDS)
    result = session.execute(delete(ChannelLimit).where(ChannelLimit.window_started_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def count(prt: PublicRuntime, *, bucket: str, rule: Rule, now: datetime) -> None:
    """Count a hit in a transaction of its own, committed at once: the work it guards may
    fail and roll back, and must still have counted."""
    with prt.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            # A count lost in a crash costs nothing; waiting for its flush costs every post.
            session.execute(text("SET LOCAL synchronous_commit = off"))
        hit(session, bucket=bucket, rule=rule, now=now)


def configured(state: object) -> Limits:
    """The limits an app was given (`app.state.channel_limits`), else the defaults."""
    value = getattr(state, "channel_limits", None)
    return value if isinstance(value, Limits) else DEFAULT

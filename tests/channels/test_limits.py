"""Rate limits: at most so many hits per aligned window and bucket, 429 with Retry-After on
the public pages' posts, buckets that never hold the address or the contact, old windows
pruned."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safeconduct.channels import limits
from safeconduct.channels.models import ChannelLimit
from safeconduct.runtime import PublicRuntime
from safeconduct.web.public import too_many_posts
from safeconduct.web.public.throttle import client_limit

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
RULE = limits.Rule("test", 3, 60)


def _hit(prt: PublicRuntime, bucket: str, at: datetime, rule: limits.Rule = RULE) -> int:
    """0 if the hit was allowed, else the Retry-After it was refused with."""
    try:
        limits.count(prt, bucket=bucket, rule=rule, now=at)
    except limits.RateLimitedError as exc:
        return exc.retry_after
    return 0


def test_a_bucket_takes_its_limit_then_waits_for_the_next_window(prt: PublicRuntime) -> None:
    waits = [_hit(prt, "b", T0 + timedelta(seconds=s)) for s in (0, 1, 2, 10, 59)]
    assert waits == [0, 0, 0, 50, 1]
    assert _hit(prt, "b", T0 + timedelta(seconds=60)) == 0  # a new window
    assert _hit(prt, "other", T0) == 0  # buckets are apart


@hsettings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offsets=st.lists(st.integers(0, 300), min_size=1, max_size=25))
def test_no_window_ever_lets_more_than_the_limit_through(
    prt: PublicRuntime, offsets: list[int]
) -> None:
    bucket = uuid.uuid4().hex
    allowed: Counter[int] = Counter()
    asked: Counter[int] = Counter()
    for offset in sorted(offsets):
        at = T0 + timedelta(seconds=offset)
        window = offset // 60  # T0 is on a minute
        asked[window] += 1
        wait = _hit(prt, bucket, at)
        if wait == 0:
            allowed[window] += 1
        else:
            assert at + timedelta(seconds=wait) == T0 + timedelta(minutes=window + 1)
    assert all(allowed[w] == min(asked[w], RULE.limit) for w in asked)


def test_windows_are_aligned_and_pruned(prt: PublicRuntime) -> None:
    at = T0 + timedelta(seconds=37, microseconds=5)
    _hit(prt, "minute", at)
    _hit(prt, "day", at, limits.Rule("day", 1, limits.DAY_SECONDS))
    with prt.sessions() as session:
        starts = {r.bucket: r.window_started_at for r in session.scalars(select(ChannelLimit))}
    # The store learns the minute (or the day) of a bucket's first hit, never the second.
    assert starts == {"minute": T0, "day": T0.replace(hour=0)}
    with prt.transaction() as session:
        assert limits.prune(session, now=T0 + timedelta(hours=2)) == 0
        # Whatever its length, a window goes once it began a day ago.
        assert limits.prune(session, now=T0 + timedelta(hours=13)) == 1  # the day's
        assert limits.prune(session, now=T0 + timedelta(days=1, seconds=1)) == 1
        assert session.scalar(select(func.count()).select_from(ChannelLimit)) == 0


def test_buckets_are_keyed_hashes_apart_by_kind(prt: PublicRuntime) -> None:
    secret = prt.channels.secret
    contact = limits.contact_bucket(secret, "+380 50 123 4567")
    assert contact == limits.contact_bucket(secret, "+380501234567")
    assert contact != secret.keyed_hash("contact", "+380501234567")  # not the blind index
    client = limits.client_bucket(secret, limits.DEFAULT.client, "203.0.113.9")
    assert "203.0.113.9" not in client
    assert client != limits.client_bucket(secret, limits.DEFAULT.webhook_client, "203.0.113.9")
    assert len({contact, client}) == 2
    assert all(len(b) == 64 for b in (contact, client))


def _throttled_app(prt: PublicRuntime, rule: limits.Rule) -> FastAPI:
    app = FastAPI()
    app.state.public_runtime = prt
    app.state.channel_limits = limits.Limits(client=rule)
    app.add_exception_handler(limits.RateLimitedError, too_many_posts)

    @app.post("/request", dependencies=[Depends(client_limit)])
    def post() -> dict[str, str]:
        raise ValueError("the page fails")  # refused work still counts

    return app


def test_the_public_pages_answer_429_with_retry_after(prt: PublicRuntime) -> None:
    app = _throttled_app(prt, limits.Rule("client", 2, 60))
    with TestClient(app, raise_server_exceptions=False) as client:
        codes = [client.post("/request").status_code for _ in range(3)]
        answer = client.post("/request")
    assert codes == [500, 500, 429]
    assert answer.status_code == 429
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    with prt.sessions() as session:
        buckets = list(session.scalars(select(ChannelLimit.bucket)))
    assert buckets == [
        limits.client_bucket(prt.channels.secret, limits.Rule("client", 2, 60), "testclient")
    ]

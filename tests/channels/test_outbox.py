"""The outbox: an answer is queued once, sealed at rest, and reaches the Bot API exactly
once through failures the API reports, with back-off; two senders never send one row."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safeconduct.audit.actors import Actor
from safeconduct.channels import integrations, outbox
from safeconduct.channels.bot_texts import Part
from safeconduct.channels.models import IntegrationKind, OutboxMessage
from safeconduct.db import utcnow
from safeconduct.runtime import PublicRuntime, Runtime
from tests.channels.fake_bot_api import FakeBotApi, fake_bot_api

TOKEN = "987654:outbox-test-token"
CHAT = 550_044_331
TEXT = "Your request is received planted"


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as fake:
        yield fake


@pytest.fixture
def integration_id(rt: Runtime) -> str:
    assert rt.channels is not None
    with rt.transaction() as session:
        made = integrations.add(session, secret=rt.channels.secret, audit=rt.audit,
                                actor=Actor("test:admin"), name="outbox-bot",
                                kind=IntegrationKind.TELEGRAM, bot_token=TOKEN)  # fmt: skip
        return made.integration.id


def _queue(prt: PublicRuntime, integration_id: str, key: str, *texts: str,
           now: datetime | None = None) -> bool:  # fmt: skip
    with prt.transaction() as session:
        return outbox.enqueue(session, prt.channels.secret, integration_id=integration_id,
                              key=key, chat_id=CHAT, parts=[Part(t) for t in texts or (TEXT,)],
                              now=now)  # fmt: skip


def _rows(prt: PublicRuntime) -> list[OutboxMessage]:
    with prt.sessions() as session:
        return list(session.scalars(select(OutboxMessage)))


def test_one_answer_is_queued_once_and_sealed(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    assert _queue(prt, integration_id, "answer-1")
    assert not _queue(prt, integration_id, "answer-1")
    [row] = _rows(prt)
    assert TEXT.encode() not in row.body
    assert str(CHAT).encode() not in row.chat
    assert len(row.body) == len(_rows(prt)[0].body)
    assert outbox.deliver_due(prt, api_base=api.url) == 1
    assert api.delivered() == [{"chat_id": CHAT, "text": TEXT}]
    assert [c.token for c in api.calls] == [TOKEN]
    assert _rows(prt) == []
    assert outbox.deliver_due(prt, api_base=api.url) == 0
    assert len(api.calls) == 1


def test_sealed_rows_look_alike_and_are_bound_to_their_row(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    _queue(prt, integration_id, "short", "ok")
    _queue(prt, integration_id, "long", "x" * 4000)
    short, long = sorted(_rows(prt), key=lambda r: r.answer_key != "short")
    assert len(short.body) == len(long.body)
    assert len(short.chat) == len(long.chat)
    with prt.transaction() as session:  # a body moved to another row does not open there
        row = session.get(OutboxMessage, short.id)
        assert row is not None
        row.body = long.body
    assert outbox.deliver_due(prt, api_base=api.url) == 1
    assert api.texts() == ["x" * 4000]
    assert _rows(prt) == []


def test_failing_twice_the_answer_arrives_once_after_backing_off(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    now = utcnow()
    _queue(prt, integration_id, "answer", now=now)
    api.fail_next(1, 500)
    api.fail_next(1, 0)  # the connection dropped
    assert outbox.deliver_due(prt, api_base=api.url, now=now) == 0
    [row] = _rows(prt)
    assert row.attempts == 1
    assert row.claimed_until is None
    assert row.next_attempt_at is not None
    first_wait = row.next_attempt_at - now
    assert outbox.FIRST_RETRY <= first_wait <= outbox.FIRST_RETRY * 1.1
    assert outbox.deliver_due(prt, api_base=api.url, now=now + first_wait / 2) == 0
    assert len(api.calls) == 1  # not due yet: not tried
    now = row.next_attempt_at
    assert outbox.deliver_due(prt, api_base=api.url, now=now) == 0
    [row] = _rows(prt)
    assert row.attempts == 2
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - now >= outbox.FIRST_RETRY * 2
    assert outbox.deliver_due(prt, api_base=api.url, now=row.next_attempt_at) == 1
    assert api.texts() == [TEXT]
    assert len(api.calls) == 3
    assert _rows(prt) == []


def test_connection_refused_is_retried(prt: PublicRuntime, integration_id: str) -> None:
    with fake_bot_api() as gone:
        closed = gone.url  # nothing listens there once the block ends
    now = utcnow()
    _queue(prt, integration_id, "answer", now=now)
    assert outbox.deliver_due(prt, api_base=closed, now=now) == 0
    [row] = _rows(prt)
    assert row.attempts == 1
    with fake_bot_api() as api:
        assert outbox.deliver_due(prt, api_base=api.url, now=now + timedelta(hours=1)) == 1
        assert api.texts() == [TEXT]


def test_too_many_requests_waits_as_told(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    now = utcnow()
    _queue(prt, integration_id, "answer", now=now)
    api.fail_next(1, 429)  # the fake says retry_after: 3
    outbox.deliver_due(prt, api_base=api.url, now=now)
    [row] = _rows(prt)
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - now >= timedelta(seconds=3)


def test_an_answer_the_api_refuses_is_dropped_not_retried(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    now = utcnow()
    _queue(prt, integration_id, "blocked", now=now)
    api.fail_next(1, 403)  # the applicant blocked the bot
    assert outbox.deliver_due(prt, api_base=api.url, now=now) == 0
    assert _rows(prt) == []
    assert outbox.deliver_due(prt, api_base=api.url, now=now + timedelta(hours=1)) == 0
    assert len(api.calls) == 1


def test_it_gives_up_after_max_attempts(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "MAX_ATTEMPTS", 4)
    now = utcnow()
    _queue(prt, integration_id, "answer", now=now)
    api.fail_next(outbox.MAX_ATTEMPTS + 5, 503)
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        outbox.deliver_due(prt, api_base=api.url, now=now)
        now += outbox.LONGEST_WAIT * 2
    assert len(api.calls) == outbox.MAX_ATTEMPTS
    assert _rows(prt) == []


def test_a_disabled_integration_sends_nothing(
    rt: Runtime, prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    _queue(prt, integration_id, "answer")
    with rt.transaction() as session:
        integration = integrations.get_by_name(session, "outbox-bot")
        assert integration is not None
        integrations.disable(session, audit=rt.audit, actor=Actor("test:admin"),
                             integration=integration)  # fmt: skip
    assert outbox.deliver_due(prt, api_base=api.url) == 0
    assert api.calls == []
    assert _rows(prt) == []


def test_parts_already_sent_are_not_sent_again(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    now = utcnow()
    _queue(prt, integration_id, "two", "receipt", "codename", now=now)
    api.failures.extend([200, 500])  # the first part goes, the second fails
    outbox.deliver_due(prt, api_base=api.url, now=now)
    [row] = _rows(prt)
    assert row.parts_sent == 1
    outbox.deliver_due(prt, api_base=api.url, now=now + timedelta(hours=1))
    assert api.texts() == ["receipt", "codename"]


def test_two_senders_at_once_send_each_answer_once(
    rt: Runtime, prt: PublicRuntime, integration_id: str, api: FakeBotApi
) -> None:
    now = utcnow()
    for n in range(20):
        _queue(prt, integration_id, f"answer-{n}", f"text {n}", now=now)
    other = PublicRuntime(prt.settings, prt.engine, prt.sessions, prt.channels, prt.audit)
    counts: list[int] = []

    def sender(runtime: PublicRuntime) -> None:
        for _ in range(5):
            counts.append(outbox.deliver_due(runtime, api_base=api.url, limit=4))

    threads = [threading.Thread(target=sender, args=(r,)) for r in (prt, other, prt)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(api.texts()) == sorted(f"text {n}" for n in range(20))
    assert sum(counts) == 20
    assert len(api.calls) == 20
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_nothing_secret_is_logged(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    now = utcnow()
    _queue(prt, integration_id, "answer", now=now)
    api.fail_next(1, 500)
    outbox.deliver_due(prt, api_base=api.url, now=now)
    outbox.deliver_due(prt, api_base=api.url, now=now + timedelta(hours=1))
    logged = caplog.text
    assert "to retry" in logged
    assert TOKEN not in logged
    assert str(CHAT) not in logged
    assert TEXT not in logged


@given(attempts=st.integers(1, 60), jitter=st.floats(0, 1))
def test_backoff_doubles_up_to_a_bound(attempts: int, jitter: float) -> None:
    wait = outbox.backoff(attempts, jitter=jitter)
    assert outbox.FIRST_RETRY <= wait <= outbox.LONGEST_WAIT * 1.1
    assert outbox.backoff(attempts + 1, jitter=jitter) >= wait


FAILURES = st.lists(st.sampled_from([0, 429, 500, 502, 503, 504]), max_size=4)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(failures=FAILURES, parts=st.integers(1, 2))
def test_any_run_of_reported_failures_delivers_exactly_once(
    prt: PublicRuntime, integration_id: str, api: FakeBotApi, failures: list[int], parts: int
) -> None:
    api.calls.clear()
    key = f"answer-{len(failures)}-{parts}-{'-'.join(map(str, failures))}"
    texts = [f"{key} part {n}" for n in range(parts)]
    now = utcnow()
    if not _queue(prt, integration_id, key, *texts, now=now):
        return  # the same example again: queued and delivered before
    api.failures.extend(failures)
    for _ in range(len(failures) + parts + 1):
        outbox.deliver_due(prt, api_base=api.url, now=now)
        now += outbox.LONGEST_WAIT * 2
    assert api.texts() == texts
    assert _rows(prt) == []

"""The webhook for bot and phone platforms: only a signed, fresh delivery is taken; the same
message twice makes one request; a replay or a tampered delivery leaves no row; a platform
over its limit waits."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safeconduct.audit.actors import Actor
from safeconduct.channels import integrations, limits, webhook
from safeconduct.channels import service as channels
from safeconduct.channels.models import (
    ChannelDelivery,
    IntegrationKind,
    Submission,
    SubmissionKind,
    Ticket,
)
from safeconduct.db import Base, utcnow
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.security.statements import check_statement

ADMIN = Actor("cli", "os:test")
BODY = {
    "contact": "+380 50 123 4567",
    "place": "near the bridge",
    "language": "uk",
    "message": "I want to come over",
}
URL = "/channels/webhook/ivr-line"


@dataclass
class Hook:
    client: TestClient
    secret: bytes

    def post(
        self,
        body: bytes | dict[str, str],
        *,
        key: str | None = "k-1",
        at: int | None = None,
        signature: str | None = None,
        url: str = URL,
    ) -> object:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = str(at if at is not None else int(time.time()))
        headers: dict[str, str | bytes] = {
            webhook.TIMESTAMP_HEADER: stamp,
            webhook.SIGNATURE_HEADER: signature or webhook.sign(self.secret, stamp, raw),
            "Content-Type": "application/json",
        }
        if key is not None:
            headers[webhook.IDEMPOTENCY_HEADER] = key.encode()  # as sent, even if not ASCII
        return self.client.post(url, content=raw, headers=headers)


def _add(rt: Runtime, name: str, kind: IntegrationKind = IntegrationKind.WEBHOOK) -> bytes:
    assert rt.channels is not None
    with rt.transaction() as session:
        made = integrations.add(
            session,
            secret=rt.channels.secret,
            audit=rt.audit,
            actor=ADMIN,
            name=name,
            kind=kind,
            bot_token="1:x" if kind == "telegram" else None,
        )
    return made.secret.encode()


@pytest.fixture
def hook(rt: Runtime, public_client: TestClient) -> Hook:
    return Hook(public_client, _add(rt, "ivr-line"))


def _rows(prt: PublicRuntime) -> dict[str, int]:
    counted: tuple[type[Base], ...] = (Ticket, Submission, ChannelDelivery)
    with prt.sessions() as session:
        return {
            m.__tablename__: int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in counted
        }


NONE = {"tickets": 0, "submissions": 0, "channel_deliveries": 0}
ONE = {"tickets": 1, "submissions": 1, "channel_deliveries": 1}


def test_a_signed_delivery_makes_a_request_on_the_webhook_channel(
    hook: Hook, rt: Runtime, prt: PublicRuntime
) -> None:
    answer = hook.post(BODY)
    assert answer.status_code == 201, answer.text  # type: ignore[attr-defined]
    got = answer.json()  # type: ignore[attr-defined]
    assert set(got) == {"reference", "codename", "receipt"}
    assert check_statement(got["receipt"], prt.channels.published).ok
    assert f"reference: {got['reference']}" in got["receipt"]
    assert got["codename"] not in got["receipt"]
    assert _rows(prt) == ONE
    with rt.transaction() as session:
        report = channels.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)
    assert report.requests == 1
    with rt.sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        request = intake.get(session, request_id=ticket.id)
        assert request is not None
        assert request.channel == Channel.WEBHOOK.value
        assert ticket.reference == got["reference"]


def test_the_same_idempotency_key_twice_makes_one_request(hook: Hook, prt: PublicRuntime) -> None:
    first = hook.post(BODY).json()  # type: ignore[attr-defined]
    again = hook.post(BODY)  # the platform retries the very same request
    later = hook.post(BODY, at=int(time.time()) + 2)  # or signs it afresh
    for answer in (again, later):
        assert answer.status_code == 200  # type: ignore[attr-defined]
        body = answer.json()  # type: ignore[attr-defined]
        assert body == {**first, "codename": None}  # the codename is shown once only
    assert _rows(prt) == ONE


def test_the_same_key_with_another_body_is_refused(hook: Hook, prt: PublicRuntime) -> None:
    hook.post(BODY)
    answer = hook.post({**BODY, "message": "another"})
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert "Idempotency-Key" in answer.json()["detail"]  # type: ignore[attr-defined]
    assert _rows(prt) == ONE


def test_a_replayed_signed_message_under_a_new_key_is_refused(
    hook: Hook, prt: PublicRuntime
) -> None:
    stamp = int(time.time())
    assert hook.post(BODY, at=stamp, key="first").status_code == 201  # type: ignore[attr-defined]
    replay = hook.post(BODY, at=stamp, key="second")
    assert replay.status_code == 409  # type: ignore[attr-defined]
    assert _rows(prt) == ONE


@pytest.mark.parametrize("offset", [-305, 305, -100_000])
def test_a_stale_or_future_timestamp_is_refused(
    hook: Hook, prt: PublicRuntime, offset: int
) -> None:
    answer = hook.post(BODY, at=int(time.time()) + offset)
    assert answer.status_code == 401  # type: ignore[attr-defined]
    assert _rows(prt) == NONE


def test_a_bad_or_missing_signature_is_refused(hook: Hook, prt: PublicRuntime) -> None:
    raw = json.dumps(BODY).encode()
    stamp = str(int(time.time()))
    wrong = webhook.sign(b"not the secret", stamp, raw)
    assert hook.post(raw, signature=wrong).status_code == 401  # type: ignore[attr-defined]
    answer = hook.client.post(URL, content=raw, headers={webhook.IDEMPOTENCY_HEADER: "k"})
    assert answer.status_code == 401
    assert _rows(prt) == NONE


def _flip(data: bytes, index: int, bit: int) -> bytes:
    i = index % len(data)
    return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    part=st.sampled_from(["body", "timestamp", "signature"]),
    index=st.integers(0, 10_000),
    bit=st.integers(0, 7),
)
def test_any_tampered_byte_is_refused(
    hook: Hook, prt: PublicRuntime, part: str, index: int, bit: int
) -> None:
    raw = json.dumps(BODY).encode()
    stamp = str(int(time.time())).encode()
    signature = webhook.sign(hook.secret, stamp.decode(), raw).encode()
    if part == "body":
        raw = _flip(raw, index, bit)
    elif part == "timestamp":
        stamp = _flip(stamp, index, bit)
    else:
        signature = _flip(signature, index, bit)
    headers = {
        webhook.TIMESTAMP_HEADER: stamp,
        webhook.SIGNATURE_HEADER: signature,
        webhook.IDEMPOTENCY_HEADER: f"t-{index}-{bit}".encode(),
    }
    answer = hook.client.post(URL, content=raw, headers=headers)
    assert answer.status_code == 401
    assert _rows(prt) == NONE


def test_unknown_and_disabled_integrations_answer_alike(
    hook: Hook, rt: Runtime, prt: PublicRuntime
) -> None:
    _add(rt, "bot", IntegrationKind.TELEGRAM)
    unknown = hook.post(BODY, url="/channels/webhook/nobody")
    telegram = hook.post(BODY, url="/channels/webhook/bot")
    with rt.transaction() as session:
        found = integrations.get_by_name(session, "ivr-line")
        assert found is not None
        integrations.disable(session, audit=rt.audit, actor=ADMIN, integration=found)
    disabled = hook.post(BODY)
    for answer in (unknown, telegram, disabled):
        assert answer.status_code == 404  # type: ignore[attr-defined]
        assert answer.json() == unknown.json()  # type: ignore[attr-defined]
    assert _rows(prt) == NONE


BAD_FIELDS: list[tuple[object, str]] = [
    ({**BODY, "contact": "  "}, "contact"),
    ({**BODY, "language": "de"}, "language"),
    ({**BODY, "place": "x" * 301}, "place"),
    ({**BODY, "contact": 5}, "contact"),
    ({**BODY, "extra": "x"}, "body"),
    (b"not json", "body"),
    (b"[1, 2]", "body"),
    ({"codename": "", "message": "hi"}, "codename"),
    ({"codename": "a b c", "message": " "}, "message"),
]


def test_a_bad_field_is_named_and_nothing_is_taken(hook: Hook, prt: PublicRuntime) -> None:
    for n, (body, field) in enumerate(BAD_FIELDS):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer = hook.post(raw, key=f"bad-{n}")
        assert answer.status_code == 422, field  # type: ignore[attr-defined]
        assert answer.json()["detail"][0]["field"] == field  # type: ignore[attr-defined]
        assert "+380" not in answer.text  # type: ignore[attr-defined]
    assert _rows(prt) == NONE


def test_the_idempotency_key_is_required_and_bounded(hook: Hook, prt: PublicRuntime) -> None:
    for key in (None, "", "x" * 201, "ключ", "a b"):
        answer = hook.post(BODY, key=key)
        assert answer.status_code == 422, key  # type: ignore[attr-defined]
        assert answer.json()["detail"][0]["field"] == "Idempotency-Key"  # type: ignore[attr-defined]
    assert hook.post(BODY, key="x" * 200).status_code == 201  # type: ignore[attr-defined]


def test_the_applicant_writes_again_with_the_codename(hook: Hook, prt: PublicRuntime) -> None:
    first = hook.post(BODY).json()  # type: ignore[attr-defined]
    again = {"codename": first["codename"], "message": "one more thing"}
    answer = hook.post(again, key="k-2")
    assert answer.status_code == 201  # type: ignore[attr-defined]
    assert answer.json() == {"reference": first["reference"], "status": "received"}  # type: ignore[attr-defined]
    assert hook.post(again, key="k-2").json() == answer.json()  # type: ignore[attr-defined]
    wrong = hook.post({"codename": "no such words here at all", "message": "hi"}, key="k-3")
    assert wrong.status_code == 404  # type: ignore[attr-defined]
    with prt.sessions() as session:
        kinds = sorted(session.scalars(select(Submission.kind)))
    assert kinds == [SubmissionKind.MESSAGE.value, SubmissionKind.REQUEST.value]


def test_a_platform_over_its_limit_waits(hook: Hook, prt: PublicRuntime) -> None:
    hook.client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        integration=limits.Rule("integration", 2, 60)
    )
    for n in range(2):
        answer = hook.post({**BODY, "message": f"m{n}"}, key=f"n-{n}")
        assert answer.status_code == 201  # type: ignore[attr-defined]
    answer = hook.post(BODY, key="n-3")
    assert answer.status_code == 429  # type: ignore[attr-defined]
    assert 1 <= int(answer.headers["Retry-After"]) <= 60  # type: ignore[attr-defined]
    assert _rows(prt)["tickets"] == 2


def test_unsigned_floods_from_one_client_are_cut_off(hook: Hook, prt: PublicRuntime) -> None:
    hook.client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        webhook_client=limits.Rule("webhook-client", 3, 60)
    )
    codes = [hook.post(BODY, signature="sha256=00").status_code for _ in range(5)]  # type: ignore[attr-defined]
    assert codes == [401, 401, 401, 429, 429]


def test_one_contact_makes_at_most_so_many_requests_a_day(hook: Hook, prt: PublicRuntime) -> None:
    hook.client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        contact=limits.Rule("contact", 1, limits.DAY_SECONDS)
    )
    assert hook.post(BODY, key="c-1").status_code == 201  # type: ignore[attr-defined]
    same = {**BODY, "contact": "+380501234567", "message": "again"}  # written another way
    answer = hook.post(same, key="c-2")
    assert answer.status_code == 429  # type: ignore[attr-defined]
    assert int(answer.headers["Retry-After"]) <= limits.DAY_SECONDS  # type: ignore[attr-defined]
    other = {**BODY, "contact": "@someone-else"}
    assert hook.post(other, key="c-3").status_code == 201  # type: ignore[attr-defined]
    assert _rows(prt)["tickets"] == 2


def test_concurrent_redeliveries_make_one_request(rt: Runtime, prt: PublicRuntime) -> None:
    secret = _add(rt, "ivr-line")
    raw = json.dumps(BODY).encode()

    def deliver(n: int) -> int:
        stamp = str(int(time.time()) + n % 2)  # some re-signed, some the very same
        headers = {
            webhook.TIMESTAMP_HEADER: stamp,
            webhook.SIGNATURE_HEADER: webhook.sign(secret, stamp, raw),
            webhook.IDEMPOTENCY_HEADER: "same",
        }
        try:
            return webhook.handle(
                prt, name="ivr-line", headers=dict(headers), body=raw, now=utcnow()
            ).status_code
        except webhook.RefusedError as exc:
            return exc.status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(deliver, range(6)))
    assert codes.count(201) == 1
    assert set(codes) <= {200, 201, 409}
    assert _rows(prt) == ONE

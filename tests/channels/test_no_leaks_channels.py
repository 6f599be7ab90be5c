"""Guarantee 2 over the channels, as properties: whatever an applicant types into the public
form or writes again, whatever an officer replies, whatever codename is issued, none of it
leaves but through the purpose-bound reveal: not in an API answer, an operator page, the
audit views, a public page, a log line, a header or a URL, nor in clear in the store.

The public face's own answers carry two things and only to whom they belong: the codename
on the receipt right after the submission, and the officers' replies on the status page to
whoever types the codename. And the public face says nothing that tells an accepted
request from a rejected one: both read "closed", on every page.
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text

from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.channels import codenames, integrations, limits, outbox, webhook
from safeconduct.channels import service as channels
from safeconduct.channels.models import IntegrationKind
from safeconduct.intake import service as intake
from safeconduct.intake.models import RequestStatus as S
from safeconduct.intake.models import SurrenderRequest
from safeconduct.runtime import ChannelKeys, PublicRuntime, Runtime
from safeconduct.web.app import create_app
from tests.channels.fake_bot_api import FakeBotApi, fake_bot_api
from tests.factories import add_token

Bearer = Callable[[Role], dict[str, str]]
OFFICER = Actor("account:officer-leaks")
free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60).map(str.strip)
# Every public page a visitor can open without a codename (those not built yet answer 404).
PUBLIC_GETS = (
    "/",
    "/request",
    "/status",
    "/official",
    "/verify",
    "/report-clone",
    "/.well-known/safeconduct-keys.json",
)


@pytest.fixture
def public(public_client: TestClient) -> TestClient:
    """The public face with its per-client limit lifted: these tests post from one address
    far more than one person would (the limit has tests of its own)."""
    state = cast(FastAPI, public_client.app).state
    rules: limits.Limits = state.channel_limits
    state.channel_limits = replace(rules, client=replace(rules.client, limit=1_000_000))
    return public_client


@pytest.fixture
def operator(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), base_url="https://testserver")


@pytest.fixture
def bearer(rt: Runtime) -> Bearer:
    made: dict[Role, dict[str, str]] = {}

    def headers(role: Role) -> dict[str, str]:
        if role not in made:
            token, _ = add_token(rt, f"{role.value}-leaks", role)
            made[role] = {"Authorization": f"Bearer {token}"}
        return made[role]

    return headers


@pytest.fixture
def bot_api() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


def _seen(answer: Response) -> str:
    """All a client gets back: the body, every header (a Location, a cookie), every URL."""
    hops = [*answer.history, answer]
    parts = [answer.text, *(str(h.url) for h in hops)]
    parts += [f"{k}: {v}" for h in hops for k, v in h.headers.multi_items()]
    return "\n".join(parts)


def _keys(rt: Runtime) -> ChannelKeys:
    assert rt.channels is not None
    return rt.channels


def codename_on(page: str, rt: Runtime) -> tuple[str, str]:
    """The codename a page shows (seven words of the list in a row, and the one that opens
    a ticket: words around it may be in the list too), and its ticket's id."""
    known = set(codenames.words())
    tokens = re.findall(r"[a-z]+", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    with rt.sessions() as s:
        for start in range(len(tokens) - codenames.WORDS_IN_CODENAME + 1):
            window = tokens[start : start + codenames.WORDS_IN_CODENAME]
            if all(w in known for w in window):
                ticket = channels.find_ticket(s, keys=_keys(rt), typed=" ".join(window))
                if ticket is not None:
                    return " ".join(window), ticket.id
    raise AssertionError("no codename on the page")


@dataclass(frozen=True)
class Planted:
    """What was planted, and where it went."""

    applicant: str  # marks everything an applicant typed
    reply: str  # marks everything an officer replied
    web_id: str
    web_codename: str
    phone_id: str
    phone_codename: str
    hook_id: str
    hook_codename: str
    bot_id: str
    bot_codename: str
    chat: str  # the Telegram chat the bot request came from

    def secrets(self) -> dict[str, str]:
        return {
            "applicant text": self.applicant,
            "reply text": self.reply,
            "web codename": self.web_codename,
            "phone codename": self.phone_codename,
            "webhook codename": self.hook_codename,
            "bot codename": self.bot_codename,
            "chat id": self.chat,
        }

    def requests(self) -> tuple[str, ...]:
        return (self.web_id, self.phone_id, self.hook_id, self.bot_id)


def _ingest(rt: Runtime) -> None:
    with rt.transaction() as s:
        channels.ingest(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


def _reply(rt: Runtime, request_id: str, text: str) -> None:
    with rt.transaction() as s:
        request = s.get(SurrenderRequest, request_id)
        assert request is not None
        channels.reply(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER, request=request,
                       text=text, keys=rt.channels)  # fmt: skip


def _write_again(public: TestClient, codename: str, message: str, marker: str) -> None:
    """Through the status page's form, as an applicant does."""
    answer = public.post("/status/message", data={"codename": codename, "message": message})
    assert answer.status_code == 200, answer.status_code
    assert marker not in _seen(answer)  # taken, and not shown back


def _phone_request(operator: TestClient, bearer: Bearer, secret: list[str], marker: str) -> str:
    """A call taken by an intake officer, through the API."""
    body = {"channel": "phone", "contact": secret[3][:200], "content": secret[4]}
    answer = operator.post("/api/v1/requests", headers=bearer(Role.INTAKE), json=body)
    assert answer.status_code == 201, answer.status_code
    assert marker not in _seen(answer)
    request_id: str = answer.json()["id"]
    return request_id


def _signed(public: TestClient, name: str, key: bytes, body: dict[str, str]) -> Response:
    raw, stamp = json.dumps(body).encode(), str(int(time.time()))
    headers = {
        webhook.TIMESTAMP_HEADER: stamp,
        webhook.SIGNATURE_HEADER: webhook.sign(key, stamp, raw),
        webhook.IDEMPOTENCY_HEADER: secrets.token_hex(8),
        "Content-Type": "application/json",
    }
    answer: Response = public.post(f"/channels/webhook/{name}", content=raw, headers=headers)
    return answer


def _through_webhook(rt: Runtime, public: TestClient, secret: list[str], marker: str) -> str:
    """A bot or phone platform posts a request, then the applicant's second message; return
    the codename the platform passes on to its user."""
    name = f"ivr-{secrets.token_hex(4)}"
    with rt.transaction() as s:
        made = integrations.add(s, secret=_keys(rt).secret, audit=rt.audit, actor=OFFICER,
                                name=name, kind=IntegrationKind.WEBHOOK)  # fmt: skip
    key = made.secret.encode()
    body = {"contact": secret[4][:200], "place": secret[0][:300], "language": "ru",
            "message": secret[1]}  # fmt: skip
    answer = _signed(public, name, key, body)
    assert answer.status_code in (200, 201), answer.status_code
    assert marker not in _seen(answer)
    codename: str = answer.json()["codename"]
    again = _signed(public, name, key, {"codename": codename, "message": secret[2]})
    assert again.status_code in (200, 201, 202), again.status_code
    assert marker not in _seen(again)
    return codename


@dataclass(frozen=True)
class Chat:
    """A Telegram chat with the bot, through the public face's endpoint and a fake Bot API."""

    public: TestClient
    prt: PublicRuntime
    api: FakeBotApi
    name: str
    token: str
    chat: int

    def say(self, typed: str, update_id: int) -> str:
        """Send one message; return all the endpoint answered."""
        person = {"id": self.chat, "is_bot": False, "first_name": "A", "language_code": "uk"}
        message = {"message_id": update_id, "from": person, "date": 1_764_500_000,
                   "chat": {"id": self.chat, "type": "private"}, "text": typed}  # fmt: skip
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.token}
        body = json.dumps({"update_id": update_id, "message": message})
        answer = self.public.post(f"/channels/telegram/{self.name}", content=body, headers=headers)
        assert answer.status_code == 200, answer.status_code
        return _seen(answer)

    def delivered(self) -> list[str]:
        """Deliver what the outbox holds; every text the chat has been sent so far."""
        outbox.deliver_due(self.prt, api_base=self.api.url)
        mine = (b for b in self.api.delivered() if b["chat_id"] == self.chat)
        return [str(b["text"]) for b in mine]


def _through_telegram(rt: Runtime, chat: Chat, secret: list[str], marker: str) -> str:
    """A conversation with the bot; return the codename the bot sends to the chat."""
    for number, typed in enumerate(["/start", "Українська", *secret[:3]]):
        assert marker not in chat.say(typed, 1_000 + number)
    texts = chat.delivered()
    assert not any(marker in t for t in texts)  # nothing typed comes back to the chat
    found = [w for t in texts for w in re.findall(r": ((?:[a-z]+ ){6}[a-z]+)", t)]
    assert len(found) == 1, len(found)
    return found[0]


def _telegram(rt: Runtime, public: TestClient, prt: PublicRuntime, api: FakeBotApi) -> Chat:
    name = f"bot-{secrets.token_hex(4)}"
    with rt.transaction() as s:
        made = integrations.add(s, secret=_keys(rt).secret, audit=rt.audit, actor=OFFICER,
                                name=name, kind=IntegrationKind.TELEGRAM,
                                bot_token="123:token-leaks", handle="@leaks_bot")  # fmt: skip
    return Chat(public, prt, api, name, made.secret, 10**11 + secrets.randbelow(10**11))


def _plant(
    rt: Runtime, public: TestClient, operator: TestClient, bearer: Bearer, texts: list[str],
    chat: Chat,
) -> Planted:  # fmt: skip
    applicant, reply = f"Z{secrets.token_hex(8)}", f"Y{secrets.token_hex(8)}"
    secret = [f"{applicant}{t}" for t in texts]
    form = {"contact": secret[0][:200], "place": secret[1][:300], "language": "uk",
            "message": secret[2]}  # fmt: skip
    receipt = public.post("/request", data=form)
    assert receipt.status_code == 200, receipt.status_code
    web_codename, web_id = codename_on(receipt.text, rt)  # the one answer to carry it
    assert applicant not in _seen(receipt)
    _ingest(rt)
    _reply(rt, web_id, f"{reply}{texts[3]}")
    _write_again(public, web_codename, secret[3], applicant)
    hook_codename = _through_webhook(rt, public, secret, applicant)
    _ingest(rt)
    hook_id = codename_on(f"<p>{hook_codename}</p>", rt)[1]
    phone_id = _phone_request(operator, bearer, secret, applicant)
    with rt.transaction() as s:
        request = s.get(SurrenderRequest, phone_id)
        assert request is not None
        issued = channels.issue_codename(s, keyring=rt.keyring, keys=rt.channels, request=request)
    _reply(rt, phone_id, f"{reply}{texts[4]}")
    bot_codename = _through_telegram(rt, chat, secret, applicant)
    _ingest(rt)
    bot_id = codename_on(f"<p>{bot_codename}</p>", rt)[1]
    _reply(rt, bot_id, f"{reply}{texts[0]}")
    assert any(reply in t for t in chat.delivered())  # the reply reaches the chat, sealed till then
    return Planted(applicant, reply, web_id, web_codename, phone_id, issued.codename, hook_id,
                   hook_codename, bot_id, bot_codename, str(chat.chat))  # fmt: skip


def _operator_urls(p: Planted) -> list[str]:
    pages = []
    for r in p.requests():
        pages += [f"/api/v1/requests/{r}", f"/api/v1/requests/{r}/history", f"/requests/{r}"]
    return [
        *pages,
        "/api/v1/requests",
        "/api/v1/requests?status=all",
        "/requests",
        "/requests?status=all",
        "/api/v1/audit/entries?size=200",
        "/audit",
        "/audit/export.csv",
        "/api/v1/auth/me",
        "/integrations",
    ]


def _absent(where: str, seen: str, planted: dict[str, str]) -> None:
    for name, value in planted.items():
        assert value not in seen, f"{name} in {where}"


def _store_rows(db_url: str) -> Iterator[tuple[str, bytes]]:
    """Every row of every table, as bytes: what a copy of the store holds."""
    engine = create_engine(db_url)
    try:
        for table in inspect(engine).get_table_names():
            with engine.connect() as conn:
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    yield (
                        table,
                        b"\x00".join(
                            bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                            for v in row
                        ),
                    )
    finally:
        engine.dispose()


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(free_text, min_size=5, max_size=5))
def test_nothing_planted_through_a_channel_leaves_but_through_the_reveal(
    rt: Runtime,
    db_url: str,
    public: TestClient,
    operator: TestClient,
    bearer: Bearer,
    prt: PublicRuntime,
    bot_api: FakeBotApi,
    logs: pytest.LogCaptureFixture,
    texts: list[str],
) -> None:
    chat = _telegram(rt, public, prt, bot_api)
    p = _plant(rt, public, operator, bearer, texts, chat)
    every = p.secrets()
    for role in Role:
        for url in _operator_urls(p):
            answer = operator.get(url, headers=bearer(role), follow_redirects=False)
            _absent(f"{url} as {role.value}", _seen(answer), every)
    for url in PUBLIC_GETS:
        _absent(url, _seen(public.get(url)), every)
    wrong = public.post("/status", data={"codename": codenames.draw()})
    _absent("/status, a wrong codename", _seen(wrong), every)
    # The holder of a codename reads the replies to their own request, and nothing else.
    for codename, other in ((p.web_codename, p.phone_codename), (p.phone_codename, p.web_codename)):
        status = _seen(public.post("/status", data={"codename": codename}))
        assert p.reply in status
        _absent("/status with a codename", status, {"applicant": p.applicant, "other": other})
    for table, row in _store_rows(db_url):
        _absent(f"the store's {table}", row.decode("utf-8", "replace"), every)
    _absent("the logs", logs.text, every)
    # The one way out, and it works: the contact, the content and every step's text.
    opened = operator.post(
        f"/api/v1/requests/{p.web_id}/reveal",
        headers=bearer(Role.INTAKE),
        json={"purpose": "intake_follow_up", "reason": "call back the applicant"},
    )
    assert opened.status_code == 200, opened.text
    assert p.applicant in opened.text
    assert p.reply in opened.text
    _absent("the reveal", opened.text, {"codename": p.web_codename})
    opened = operator.post(
        f"/api/v1/requests/{p.hook_id}/reveal",
        headers=bearer(Role.INTAKE),
        json={"purpose": "intake_follow_up", "reason": "call back the applicant"},
    )
    assert opened.status_code == 200, opened.text
    assert opened.text.count(p.applicant) >= 4  # contact, place, message, the second message
    opened = operator.post(
        f"/api/v1/requests/{p.bot_id}/reveal",
        headers=bearer(Role.INTAKE),
        json={"purpose": "intake_follow_up", "reason": "call back the applicant"},
    )
    assert opened.status_code == 200, opened.text
    assert opened.text.count(p.applicant) >= 3  # contact, place, message
    _absent("the reveal", opened.text, {"chat id": p.chat})


# Accepted or rejected: the public face cannot tell --------------------------------------

ENDINGS = {
    "accepted": [S.IN_REVIEW, S.ACCEPTED],
    "accepted then closed": [S.IN_REVIEW, S.ACCEPTED, S.CLOSED],
    "accepted then withdrawn": [S.IN_REVIEW, S.ACCEPTED, S.WITHDRAWN],
    "rejected in review": [S.IN_REVIEW, S.REJECTED],
    "rejected unread": [S.REJECTED],
    "withdrawn": [S.IN_REVIEW, S.WITHDRAWN],
}


def _submit(rt: Runtime, public: TestClient) -> tuple[str, str]:
    contact = f"@someone-{secrets.token_hex(4)}"  # one contact may ask only so often a day
    receipt = public.post("/request", data={"contact": contact, "language": "ru"})
    assert receipt.status_code == 200, receipt.status_code
    codename, ticket_id = codename_on(receipt.text, rt)
    return ticket_id, codename


def _end(rt: Runtime, request_id: str, path: list[S], reply: bool) -> None:
    with rt.transaction() as s:
        request = s.get(SurrenderRequest, request_id)
        assert request is not None
        if reply:
            channels.reply(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                           request=request, text="We have read your request.")  # fmt: skip
        for status in path:
            intake.move(s, keyring=rt.keyring, audit=rt.audit, actor=OFFICER, request=request,
                        status=status, reason="a reason")  # fmt: skip


def _public_view(public: TestClient, codename: str, reference: str) -> list[tuple[int, str]]:
    """Every public answer about a request, with its own reference and codename blanked."""
    answers = [
        public.post("/status", data={"codename": codename}),
        public.post("/status", data={"codename": codename.upper(), "lang": "en"}),
        public.post("/status/message", data={"codename": codename, "message": "Are you there?"}),
        *(public.get(url) for url in PUBLIC_GETS),
    ]
    return [
        (a.status_code, a.text.replace(codename, "CODENAME").replace(reference, "REFERENCE"))
        for a in answers
    ]


def _reference(rt: Runtime, request_id: str) -> str:
    with rt.sessions() as s:
        request = s.get(SurrenderRequest, request_id)
        assert request is not None
        assert request.reference is not None
        return request.reference


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    ends=st.lists(st.sampled_from(sorted(ENDINGS)), min_size=2, max_size=2, unique=True),
    reply=st.booleans(),
)
def test_the_public_face_shows_nothing_that_tells_accepted_from_rejected(
    rt: Runtime, public: TestClient, ends: list[str], reply: bool
) -> None:
    made = [_submit(rt, public) for _ in ends]
    _ingest(rt)
    for (request_id, _), end in zip(made, ends, strict=True):
        _end(rt, request_id, ENDINGS[end], reply)
    views = [_public_view(public, c, _reference(rt, r)) for r, c in made]
    assert views[0] == views[1], ends
    assert "closed" in views[0][0][1].lower()

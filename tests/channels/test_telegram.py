"""The Telegram adapter: real Bot API Update JSON through the public face's endpoint makes
a request the operator face opens; the answers reach a fake Bot API signed, with the
receipt; nothing readable stays on the public face."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from safeconduct.audit.actors import Actor
from safeconduct.audit.service import verify
from safeconduct.channels import integrations, outbox, telegram
from safeconduct.channels import service as channels
from safeconduct.channels.models import (
    BotConversation,
    BotFragment,
    ChannelDelivery,
    IntegrationKind,
    OutboxMessage,
    Submission,
    Ticket,
)
from safeconduct.db import utcnow
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel, SurrenderRequest
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.security.sealing import FieldRef
from safeconduct.security.statements import check_statement
from tests.channels.fake_bot_api import FakeBotApi, fake_bot_api

ADMIN = Actor("test:admin")
OFFICER = Actor("account:officer-test")
TOKEN = "123456:telegram-bot-token-for-tests"
CHAT = 770_011_223
CONTACT = "+380 67 123 45 67 planted"
PLACE = "near Kupiansk planted"
MESSAGE = "I want to come over with two others planted"
TABLES_WITH_ROWS = ("channel_deliveries", "bot_conversations", "bot_fragments",
                    "channel_outbox", "submissions", "tickets")  # fmt: skip


@dataclass
class Bot:
    name: str
    secret: str
    client: TestClient
    prt: PublicRuntime
    api: FakeBotApi
    next_update: int = 10_000

    def post(self, body: Any, *, secret: str | None = None, name: str | None = None) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret if secret is None else secret}
        if secret == "":
            headers = {}
        response = self.client.post(
            f"/channels/telegram/{name or self.name}", content=json.dumps(body), headers=headers
        )
        return response.status_code

    def update(self, text: str | None = None, *, contact: str | None = None,
               chat: int = CHAT, update_id: int | None = None) -> dict[str, Any]:  # fmt: skip
        """An Update as Telegram sends it for a private chat's message."""
        if update_id is None:
            self.next_update += 1
            update_id = self.next_update
        user = {"id": chat, "is_bot": False, "first_name": "Ivan", "language_code": "uk"}
        message: dict[str, Any] = {
            "message_id": update_id,
            "from": user,
            "chat": {"id": chat, "first_name": "Ivan", "type": "private"},
            "date": 1_764_500_000,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
        if contact is not None:
            message["contact"] = {"phone_number": contact, "first_name": "Ivan", "user_id": chat}
        return {"update_id": update_id, "message": message}

    def say(self, *texts: str, chat: int = CHAT) -> None:
        for typed in texts:
            assert self.post(self.update(typed, chat=chat)) == 200

    def deliver(self) -> int:
        return outbox.deliver_due(self.prt, api_base=self.api.url)


@pytest.fixture
def bot(rt: Runtime, prt: PublicRuntime, public_client: TestClient) -> Iterator[Bot]:
    assert rt.channels is not None
    with rt.transaction() as session:
        made = integrations.add(session, secret=rt.channels.secret, audit=rt.audit,
                                actor=ADMIN, name="soldier-bot", kind=IntegrationKind.TELEGRAM,
                                bot_token=TOKEN, handle="@safe_conduct_bot")  # fmt: skip
    with fake_bot_api() as api:
        yield Bot(made.integration.name, made.secret, public_client, prt, api)


def _count(session: Session, table: str) -> int:
    return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def _counts(rt: Runtime) -> dict[str, int]:
    with rt.sessions() as session:
        return {t: _count(session, t) for t in TABLES_WITH_ROWS}


def _converse(bot: Bot) -> None:
    bot.say("/start", "Українська", CONTACT, PLACE, MESSAGE)


def _ingest(rt: Runtime) -> channels.IngestReport:
    with rt.transaction() as session:
        return channels.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


def _opened(rt: Runtime, session: Session, request: SurrenderRequest, column: str) -> str:
    sealed = getattr(request, column)
    field = FieldRef(SurrenderRequest.__tablename__, column, request.id)
    return rt.keyring.open(session, sealed=sealed, field=field).decode("utf-8")


def test_a_conversation_makes_a_request_the_operator_face_opens(rt: Runtime, bot: Bot) -> None:
    assert rt.channels is not None
    _converse(bot)
    assert bot.deliver() == 5
    assert [c.token for c in bot.api.calls] == [TOKEN] * 6  # five answers, the last in two
    assert {b["chat_id"] for b in bot.api.delivered()} == {CHAT}
    greeting, ask_contact, ask_place, ask_message, receipt, codename = bot.api.texts()
    assert "Українська" in str(bot.api.delivered()[0]["reply_markup"])
    assert bot.api.delivered()[1]["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert "Як з вами зв" in ask_contact  # Ukrainian from here on

    # Every answer is a signed statement; the final one carries the receipt.
    for answer in (greeting, ask_contact, ask_place, ask_message, receipt, codename):
        assert check_statement(answer, rt.channels.published).ok
    check = check_statement(receipt, rt.channels.published)
    assert check.body is not None
    assert "Safe Conduct receipt" in check.body
    assert "channel: chat bot" in check.body
    reference = check.body.split("reference: ")[1].split("\n")[0]
    typed = codename.split(": ", 1)[1].split("\n")[0]
    assert typed not in receipt

    with rt.sessions() as session:
        ticket = channels.find_ticket(session, keys=rt.channels, typed=typed)
        assert ticket is not None
        assert ticket.reference == reference
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0
        conversation = session.scalars(select(BotConversation)).one()
        assert conversation.ticket_id == ticket.id
        assert conversation.step == telegram.Step.DONE

    assert _ingest(rt).requests == 1
    with rt.sessions() as session:
        request = intake.get_by_reference(session, reference=reference)
        assert request is not None
        assert request.channel == Channel.CHAT_BOT.value
        assert _opened(rt, session, request, "contact") == CONTACT
        content = _opened(rt, session, request, "content")
        assert PLACE in content
        assert MESSAGE in content
        assert "Language: uk" in content
        assert request.contact_index == channels.contact_index(rt.channels, CONTACT)
        audit_keys = rt.audit_keys()
        assert verify(session, audit_keys[0], audit_keys[1:]).ok


def test_the_public_face_keeps_nothing_it_could_read(rt: Runtime, bot: Bot) -> None:
    """Mid-conversation and after, no table holds a planted answer or the chat id in the
    clear, and the fragments do not open without the private intake key."""
    bot.say("/start", "English", CONTACT, PLACE)
    planted = [CONTACT, PLACE, str(CHAT)]
    with rt.sessions() as session:
        for table in TABLES_WITH_ROWS:
            for row in session.execute(text(f"SELECT * FROM {table}")):
                dump = repr(tuple(row)).encode() + b"".join(
                    bytes(v) for v in row if isinstance(v, bytes | memoryview)
                )
                assert not any(p.encode() in dump for p in planted), table
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 2
    bot.say("/skip")
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0
        assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_bad_or_missing_secret_is_401_and_writes_nothing(rt: Runtime, bot: Bot) -> None:
    before = _counts(rt)
    assert bot.post(bot.update("/start"), secret="wrong") == 401
    assert bot.post(bot.update("/start"), secret="") == 401
    assert bot.post(bot.update("/start"), secret=bot.secret[:-1]) == 401
    assert bot.post(bot.update("/start"), name="no-such-bot") == 404
    assert _counts(rt) == before


def test_disabled_or_webhook_integrations_are_404(rt: Runtime, bot: Bot) -> None:
    assert rt.channels is not None
    with rt.transaction() as session:
        hook = integrations.add(session, secret=rt.channels.secret, audit=rt.audit,
                                actor=ADMIN, name="ivr", kind=IntegrationKind.WEBHOOK)  # fmt: skip
    assert bot.post(bot.update("/start"), name="ivr", secret=hook.secret) == 404
    with rt.transaction() as session:
        integration = integrations.get_by_name(session, bot.name)
        assert integration is not None
        integrations.disable(session, audit=rt.audit, actor=ADMIN, integration=integration)
    before = _counts(rt)
    assert bot.post(bot.update("/start")) == 404
    assert _counts(rt) == before


def test_the_same_update_twice_has_one_effect(rt: Runtime, bot: Bot) -> None:
    bot.say("/start", "Русский")
    contact = bot.update(CONTACT)
    assert bot.post(contact) == 200
    assert bot.post(contact) == 200
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 1
        assert session.scalars(select(BotConversation.step)).one() == telegram.Step.PLACE
        assert session.scalar(select(func.count()).select_from(ChannelDelivery)) == 3
    assert bot.deliver() == 3
    assert len(bot.api.delivered()) == 3


def test_with_the_api_failing_twice_each_answer_arrives_once(rt: Runtime, bot: Bot) -> None:
    assert rt.channels is not None
    _converse(bot)
    bot.api.fail_next(1, 502)
    bot.api.fail_next(1, 0)  # the connection dropped
    now = utcnow()
    for _ in range(6):
        outbox.deliver_due(bot.prt, api_base=bot.api.url, now=now)
        now += timedelta(hours=1)
    texts = bot.api.texts()
    assert len(texts) == 6
    assert len(set(texts)) == 6
    assert len(bot.api.calls) == 8
    [receipt] = [t for t in texts if "reference: R-" in t]
    assert check_statement(receipt, rt.channels.published).ok
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_later_messages_go_to_the_ticket_and_officer_replies_reach_the_chat(
    rt: Runtime, bot: Bot
) -> None:
    assert rt.channels is not None
    _converse(bot)
    bot.say("We are three now")
    report = _ingest(rt)
    assert (report.requests, report.messages) == (1, 1)
    bot.deliver()
    added = bot.api.texts()[-1]
    assert "Ваше повідомлення додано" in added
    assert "reference: R-" in added
    with rt.transaction() as session:
        request = session.scalars(select(SurrenderRequest)).one()
        row = channels.reply(session, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                             request=request, text="Go to the crossing at dawn")  # fmt: skip
        queued = outbox.enqueue_reply(session, keys=rt.channels, ticket_id=request.id,
                                      reference=request.reference, number=row.number,
                                      text="Go to the crossing at dawn")  # fmt: skip
        again = outbox.enqueue_reply(session, keys=rt.channels, ticket_id=request.id,
                                     reference=request.reference, number=row.number,
                                     text="Go to the crossing at dawn")  # fmt: skip
        assert (queued, again) == (1, 0)
        reference = request.reference
    assert bot.deliver() == 1
    reply = bot.api.delivered()[-1]
    assert reply["chat_id"] == CHAT
    check = check_statement(str(reply["text"]), rt.channels.published)
    assert check.ok
    assert check.body is not None
    assert "Go to the crossing at dawn" in check.body
    assert f"reference: {reference}" in check.body


def test_start_again_makes_a_new_request_and_replies_still_reach_the_first(
    rt: Runtime, bot: Bot
) -> None:
    assert rt.channels is not None
    _converse(bot)
    bot.say("/start", "English", "another contact", "Kharkiv")
    bot.say("Skip")
    assert _ingest(rt).requests == 2
    with rt.transaction() as session:
        assert session.scalar(select(func.count()).select_from(BotConversation)) == 2
        first = intake.get_by_reference(session, reference=_reference_of(session, 0))
        assert first is not None
        queued = outbox.enqueue_reply(
            session, keys=rt.channels, ticket_id=first.id, reference=first.reference,
            number=1, text="Hello",
        )  # fmt: skip
        assert queued == 1


def _reference_of(session: Session, index: int) -> str:
    tickets = session.scalars(select(Ticket).order_by(Ticket.opened_on, Ticket.reference)).all()
    conversations = session.scalars(select(BotConversation)).all()
    linked = {c.ticket_id for c in conversations}
    return [t.reference for t in tickets if t.id in linked][index]


def test_cancel_drops_the_conversation_and_its_answers(rt: Runtime, bot: Bot) -> None:
    bot.say("/start", "English", CONTACT, "/cancel")
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotConversation)) == 0
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0
    bot.deliver()
    assert "nothing you wrote was kept" in bot.api.texts()[-1]


def test_bad_answers_are_asked_again(rt: Runtime, bot: Bot) -> None:
    bot.say("/start", "Klingon")  # not a language: the greeting again
    bot.say("English")
    assert bot.post(bot.update(None)) == 200  # a sticker, a photo: no text
    bot.say("x" * 201)
    assert bot.post(bot.update(contact="+380671112233")) == 200  # shared with the button
    bot.deliver()
    texts = bot.api.texts()
    assert "Choose your language" in texts[1]
    assert "as text" in texts[3]
    assert "at most 200 characters" in texts[4]
    assert "Roughly where" in texts[5]
    with rt.sessions() as session:
        assert session.scalars(select(BotConversation.step)).one() == telegram.Step.PLACE


def test_group_chats_and_edits_are_ignored(rt: Runtime, bot: Bot) -> None:
    group = bot.update("/start")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "g"}
    edit = {"update_id": 1, "edited_message": bot.update("/start")["message"]}
    assert bot.post(group) == 200
    assert bot.post(edit) == 200
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotConversation)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_purge_drops_stale_conversations_and_update_keys(rt: Runtime, bot: Bot) -> None:
    bot.say("/start", "English", CONTACT)
    with rt.transaction() as session:
        telegram.purge(session, on=utcnow())
        assert session.scalar(select(func.count()).select_from(BotConversation)) == 1
        telegram.purge(session, on=utcnow() + timedelta(days=telegram.KEEP_DAYS + 1))
        assert session.scalar(select(func.count()).select_from(BotConversation)) == 0
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0
        assert session.scalar(select(func.count()).select_from(ChannelDelivery)) == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)  # fmt: skip
UPDATE_KEYS = st.sampled_from(["message", "edited_message", "callback_query", "my_chat_member"])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    body=JSON
    | st.fixed_dictionaries({"update_id": st.integers(0, 2**40)}, optional={"message": JSON})
    | st.builds(lambda k, v, i: {"update_id": i, k: v}, UPDATE_KEYS, JSON, st.integers(0, 99))
)
def test_no_body_from_an_authenticated_sender_breaks_the_endpoint(bot: Bot, body: Any) -> None:
    """Whatever JSON comes with the right secret: 200 or 400 naming the update, never 500."""
    assert bot.post(body) in (200, 400)

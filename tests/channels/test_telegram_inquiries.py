"""Family inquiries through the Telegram bot: /inquiry asks the person's names, date of
birth and place, then the inquirer's contact and relationship; each answer is sealed to the
intake key as it comes, so the public face holds nothing it could read; the operator face
takes the inquiry in with its names sealed under its own key. Bad answers are asked again;
a flood of inquiries from one contact or one chat trips the limit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from safeconduct.audit.service import verify
from safeconduct.channels import bot_texts, integrations, limits, telegram
from safeconduct.channels import service as channels
from safeconduct.channels.models import (
    BotConversation,
    BotFragment,
    IntegrationKind,
    Submission,
    SubmissionKind,
    TicketKind,
)
from safeconduct.inquiries import service as inquiries
from safeconduct.inquiries.models import Inquiry
from safeconduct.intake.models import Channel
from safeconduct.runtime import PublicRuntime, Runtime
from safeconduct.security.statements import check_statement
from safeconduct.web.public import create_public_app
from tests.channels.fake_bot_api import fake_bot_api
from tests.channels.test_db_roles import runtimes, store  # noqa: F401
from tests.channels.test_telegram import ADMIN, CHAT, TOKEN, Bot
from tests.factories import ACTOR

SURNAME = "Гриценко-планта"
GIVEN = "Тарас"
PATRONYMIC = "Богданович"
PLACE = "бригада планта"
PHONE = "+380 67 765 4321"
PLANTED = (SURNAME, GIVEN, PATRONYMIC, PLACE, "765 4321", "765-4321", str(CHAT))
TABLES = ("channel_deliveries", "bot_conversations", "bot_fragments", "channel_outbox",
          "submissions", "tickets", "channel_limits")  # fmt: skip


@pytest.fixture
def bot(rt: Runtime, prt: PublicRuntime, public_client: TestClient) -> Iterator[Bot]:
    assert rt.channels is not None
    with rt.transaction() as session:
        made = integrations.add(session, secret=rt.channels.secret, audit=rt.audit,
                                actor=ADMIN, name="family-bot", kind=IntegrationKind.TELEGRAM,
                                bot_token=TOKEN, handle="@safe_conduct_bot")  # fmt: skip
    with fake_bot_api() as api:
        yield Bot(made.integration.name, made.secret, public_client, prt, api)


def _ask_about(bot: Bot, *, chat: int = CHAT, contact: str = PHONE) -> None:
    """A whole inquiry in Ukrainian: the patronymic given, the date skipped with "-", the
    place given, the phone shared with the button, the relationship by its button."""
    bot.say("/inquiry", "Українська", SURNAME, GIVEN, PATRONYMIC, "-", PLACE, chat=chat)
    assert bot.post(bot.update(contact=contact, chat=chat)) == 200
    bot.say(bot_texts.say("uk", bot_texts.RELATIONSHIP_NAMES["sibling"]), chat=chat)


def _dump(session: Session, table: str) -> bytes:
    rows = session.execute(text(f"SELECT * FROM {table}"))
    return b"".join(
        repr(tuple(r)).encode() + b"".join(bytes(v) for v in r if isinstance(v, bytes | memoryview))
        for r in rows
    )


def _ingest(rt: Runtime) -> int:
    with rt.transaction() as session:
        return inquiries.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


def test_an_inquiry_conversation_ends_as_an_inquiry_with_its_names_sealed(
    rt: Runtime, bot: Bot
) -> None:
    assert rt.channels is not None
    _ask_about(bot)
    assert bot.deliver() == 9
    texts = bot.api.texts()
    greeting, receipt, codename = texts[0], texts[-2], texts[-1]
    assert "missing relative" in greeting
    for answer in texts:
        assert check_statement(answer, rt.channels.published).ok
    markups = [b.get("reply_markup") for b in bot.api.delivered()]
    assert markups[4]["keyboard"][0][0]["text"] == bot_texts.say("uk", bot_texts.SKIP)
    assert markups[6]["keyboard"][0][0]["request_contact"] is True
    buttons = [b["text"] for row in markups[7]["keyboard"] for b in row]
    assert len(buttons) == len(bot_texts.RELATIONSHIP_NAMES)
    check = check_statement(receipt, rt.channels.published)
    assert check.body is not None
    assert "channel: chat bot" in check.body
    reference = check.body.split("reference: ")[1].split("\n")[0]
    typed = codename.split(": ", 1)[1].split("\n")[0]
    assert typed not in receipt

    with rt.sessions() as session:
        ticket = channels.find_ticket(session, keys=rt.channels, typed=typed)
        assert ticket is not None
        assert (ticket.reference, ticket.kind) == (reference, TicketKind.INQUIRY.value)
        assert session.scalars(select(Submission.kind)).one() == SubmissionKind.INQUIRY.value
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0
        conversation = session.scalars(select(BotConversation)).one()
        assert (conversation.ticket_id, conversation.chat) == (ticket.id, None)
        for table in TABLES:
            assert not any(p.encode() in _dump(session, table) for p in PLANTED), table

    assert _ingest(rt) == 1
    with rt.transaction() as session:
        inquiry = session.scalars(select(Inquiry)).one()
        assert (inquiry.reference, inquiry.channel) == (reference, Channel.CHAT_BOT.value)
        assert not any(p.encode() in _dump(session, "inquiries") for p in PLANTED)
        opened = inquiries.reveal(session, keyring=rt.keyring, audit=rt.audit, actor=ACTOR,
                                  inquiry=inquiry)  # fmt: skip
        assert (opened.surname, opened.given_name, opened.patronymic) == (
            SURNAME, GIVEN, PATRONYMIC)  # fmt: skip
        assert (opened.date_of_birth, opened.place_last_seen) == ("", PLACE)
        assert (opened.contact, opened.relationship, opened.language) == (PHONE, "sibling", "uk")
        assert inquiry.contact_index == channels.contact_index(rt.channels, PHONE)
        audit_keys = rt.audit_keys()
        assert verify(session, audit_keys[0], audit_keys[1:]).ok


def test_mid_inquiry_the_public_face_holds_nothing_it_could_read(rt: Runtime, bot: Bot) -> None:
    bot.say("/inquiry", "English", SURNAME, GIVEN, PATRONYMIC, "1987-09-14", PLACE)
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 5
        for table in TABLES:
            assert not any(p.encode() in _dump(session, table) for p in PLANTED), table
        step = session.scalars(select(BotConversation.step)).one()
        assert step == telegram.Step.INQUIRER_CONTACT
    bot.say("/cancel")
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_bad_answers_are_asked_again_naming_what_is_wrong(rt: Runtime, bot: Bot) -> None:
    bot.say("/inquiry", "Klingon", "English", " ", "Ж" * 101, SURNAME, GIVEN, "/skip")
    bot.say("14.09.1987", "1987-09-14", "Skip", "x" * 201, "@family", "cousin", "Spouse")
    assert bot.deliver() == 15
    texts = bot.api.texts()
    assert "missing relative" in texts[1]  # not a language: the greeting again
    assert "Please write an answer" in texts[3]
    assert "at most 100 characters" in texts[4]
    assert "Please write the date as YYYY-MM-DD" in texts[8]
    assert "at most 200 characters" in texts[11]
    assert "choose with the buttons" in texts[13]
    with rt.transaction() as session:
        assert session.scalars(select(BotConversation.step)).one() == telegram.Step.DONE
    assert _ingest(rt) == 1
    with rt.transaction() as session:
        inquiry = session.scalars(select(Inquiry)).one()
        opened = inquiries.reveal(session, keyring=rt.keyring, audit=rt.audit, actor=ACTOR,
                                  inquiry=inquiry)  # fmt: skip
        assert (opened.patronymic, opened.date_of_birth, opened.place_last_seen) == (
            "", "1987-09-14", "")  # fmt: skip
        assert (opened.contact, opened.relationship, opened.language) == (
            "@family", "spouse", "en")  # fmt: skip


def test_an_inquiry_takes_no_messages_and_start_begins_a_request(rt: Runtime, bot: Bot) -> None:
    _ask_about(bot)
    bot.say("any news?")
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
    bot.say("/start", "English", "+380 50 000 0000", "Kharkiv", "/skip")
    bot.deliver()
    texts = bot.api.texts()
    assert bot_texts.say("uk", bot_texts.INQUIRY_NO_MESSAGES) in texts[10]
    assert "/inquiry" in texts[11]  # the greeting tells families where to ask
    with rt.sessions() as session:
        kinds = sorted(session.scalars(select(Submission.kind)))
    assert kinds == [SubmissionKind.INQUIRY.value, SubmissionKind.REQUEST.value]


def test_inquiry_midway_through_a_request_starts_afresh(rt: Runtime, bot: Bot) -> None:
    bot.say("/start", "English", "+380 50 000 0000", "/inquiry")
    with rt.sessions() as session:
        conversation = session.scalars(select(BotConversation)).one()
        assert conversation.step == telegram.Step.INQUIRY_LANGUAGE
        assert session.scalar(select(func.count()).select_from(BotFragment)) == 0


def test_a_flood_of_inquiries_trips_the_contact_and_the_chat_limits(rt: Runtime, bot: Bot) -> None:
    bot.client.app.state.channel_limits = limits.Limits(  # type: ignore[attr-defined]
        contact=limits.Rule("contact", 2, limits.DAY_SECONDS)
    )
    # One contact, written two ways, from three chats: the third is refused at the contact.
    _ask_about(bot, chat=CHAT + 1, contact=PHONE)
    _ask_about(bot, chat=CHAT + 2, contact="+380677654321")
    bot.say("/inquiry", "English", SURNAME, GIVEN, "-", "-", "-", PHONE, chat=CHAT + 3)
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 2
        assert telegram.Step.INQUIRER_CONTACT in session.scalars(select(BotConversation.step))
    # One chat, a new contact each time: the third inquiry is refused before it begins.
    _ask_about(bot, contact="+1 555 0101")
    _ask_about(bot, contact="+1 555 0102")
    bot.say("/inquiry")
    bot.deliver()
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 4
    answers = bot.api.delivered()
    refused = [b["chat_id"] for b in answers if "Too many inquiries" in str(b["text"])]
    assert refused == [CHAT + 3, CHAT]
    assert "Too many inquiries" in str(answers[-1]["text"])


def test_an_inquiry_conversation_runs_as_the_public_role(
    runtimes: tuple[Runtime, PublicRuntime],  # noqa: F811
) -> None:
    """PostgreSQL only: the whole conversation and its answers' delivery as the public
    face's database role, then the operator face takes the inquiry in."""
    rt, prt = runtimes
    assert rt.channels is not None
    with rt.transaction() as session:
        made = integrations.add(session, secret=rt.channels.secret, audit=rt.audit,
                                actor=ADMIN, name=f"family-{uuid.uuid4().hex[:8]}",
                                kind=IntegrationKind.TELEGRAM, bot_token=TOKEN)  # fmt: skip
    with fake_bot_api() as api, TestClient(create_public_app(prt)) as client:
        bot = Bot(made.integration.name, made.secret, client, prt, api)
        _ask_about(bot)
        assert bot.deliver() == 9
    with rt.transaction() as session:
        assert inquiries.ingest(session, keyring=rt.keyring, keys=rt.channels,
                                audit=rt.audit) >= 1  # fmt: skip


def test_every_new_bot_text_is_translated() -> None:
    """The lead merges /tmp/strings/bots.tsv into the catalogs; until then this fails."""
    for language in ("ru", "uk"):
        missing = [m for m in bot_texts.ALL if bot_texts.say(language, m) == m]
        assert missing == [], language

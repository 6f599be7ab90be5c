"""The Telegram conversation, on the public face: /start, the language, how to reach the
applicant, roughly where, a message (or none); then the request, whose receipt and
codename the chat gets. Later messages in the chat go to the request's ticket.

A family asks about a relative with /inquiry: the language, the person's surname, given
name, patronymic, date of birth and unit or place last heard of (the last three may be
skipped), how to reach the inquirer and how they are related; then the inquiry
(`channels.service.submit_inquiry`), whose receipt and codename the chat gets. Its
answer is read on the status page, never sent to the chat.

It keeps nothing beyond the sealed request. The chat is named only by a keyed hash; each
answer is sealed to the intake key as it arrives (BotFragment), so the public face cannot
read it back, and the boxes travel inside the submission for the operator face to open
(`service.SealedFields`). The chat id is kept sealed to the intake key too, for an
officer's reply; the fragments go once the request is made. Updates are parsed with
python-telegram-bot's types; every answer goes out signed, through the outbox.

An inquiry keeps the same guarantee: each answer is sealed to the intake key as it comes,
and the inquiry's fields go to the operator face as those boxes (a SealedFields JSON in
place of the fields' JSON), which `inquiry_json` opens there. An inquiry conversation keeps
no chat id: nothing is ever sent to its chat after the receipt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from telegram import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from safeconduct.audit.service import AuditLog
from safeconduct.channels import bot_texts, limits, outbox
from safeconduct.channels import service as channels
from safeconduct.channels.bot_texts import Part, say
from safeconduct.channels.deliveries import record_delivery
from safeconduct.channels.models import (
    BotConversation,
    BotFragment,
    ChannelDelivery,
    Integration,
    IntegrationKind,
    Ticket,
    TicketKind,
    public_ticket,
)
from safeconduct.channels.policy import LIMITS, FieldError, check_fields, check_message
from safeconduct.db import new_id, today, utcnow
from safeconduct.inquiries import policy as inquiry_policy
from safeconduct.intake.models import Channel
from safeconduct.runtime import ChannelKeys
from safeconduct.security.intake_box import open_box, seal_to

# Telegram redelivers an unanswered update for about a day: delivery keys older than this
# are no use; conversations left unfinished this long are dropped with their fragments.
KEEP_DAYS = 3


class Step(IntEnum):
    LANGUAGE = 1
    CONTACT = 2
    PLACE = 3
    MESSAGE = 4
    DONE = 5  # a request or an inquiry is made
    # A family inquiry (/inquiry).
    INQUIRY_LANGUAGE = 11
    SURNAME = 12
    GIVEN_NAME = 13
    PATRONYMIC = 14
    DATE_OF_BIRTH = 15
    PLACE_LAST_SEEN = 16
    INQUIRER_CONTACT = 17
    RELATIONSHIP = 18


FIELD_OF = {Step.CONTACT: "contact", Step.PLACE: "place", Step.MESSAGE: "message"}
# An inquiry's steps in order, each with its field and its question.
INQUIRY_STEPS = (
    (Step.SURNAME, "surname", bot_texts.ASK_SURNAME),
    (Step.GIVEN_NAME, "given_name", bot_texts.ASK_GIVEN_NAME),
    (Step.PATRONYMIC, "patronymic", bot_texts.ASK_PATRONYMIC),
    (Step.DATE_OF_BIRTH, "date_of_birth", bot_texts.ASK_DATE_OF_BIRTH),
    (Step.PLACE_LAST_SEEN, "place_last_seen", bot_texts.ASK_PLACE_LAST_SEEN),
    (Step.INQUIRER_CONTACT, "contact", bot_texts.ASK_INQUIRER_CONTACT),
    (Step.RELATIONSHIP, "relationship", bot_texts.ASK_RELATIONSHIP),
)
INQUIRY_FIELD_OF = {step: field for step, field, _ in INQUIRY_STEPS}
# What a family may leave out: "-", /skip or the Skip button.
OPTIONAL = frozenset({Step.PATRONYMIC, Step.DATE_OF_BIRTH, Step.PLACE_LAST_SEEN})


class NotAnUpdateError(ValueError):
    """The body is not a Telegram Update (names nothing from it)."""


@dataclass(frozen=True)
class Said:
    """What the applicant sent, as far as the conversation cares."""

    chat_id: int
    text: str | None
    phone: str | None  # a shared contact's phone number

    @property
    def command(self) -> str | None:
        if self.text is None or not self.text.startswith("/"):
            return None
        return self.text.split()[0].split("@")[0].lower()


@dataclass(frozen=True)
class Context:
    session: Session
    keys: ChannelKeys
    audit: AuditLog
    integration: Integration
    now: datetime
    rules: limits.Limits = limits.DEFAULT


def parse(data: Any) -> Update:
    """A Telegram Update from its JSON, or NotAnUpdateError."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise NotAnUpdateError("update: not a Telegram update")
    try:
        return Update.de_json(data, None)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise NotAnUpdateError("update: not a Telegram update") from exc


def _said(message: Message) -> Said:
    phone = message.contact.phone_number if message.contact is not None else None
    return Said(message.chat.id, message.text, phone)


def handle(
    session: Session,
    *,
    keys: ChannelKeys,
    audit: AuditLog,
    integration: Integration,
    update: Update,
    now: datetime | None = None,
    rules: limits.Limits = limits.DEFAULT,
) -> bool:
    """Take one update in; False when it was taken in before (Telegram redelivers). The
    caller commits."""
    if not _first_delivery(session, keys, integration, update.update_id):
        return False
    message = update.message
    if message is None or message.chat.type != "private":
        return True  # edits, channel posts, groups: nothing to say
    ctx = Context(session, keys, audit, integration, now or utcnow(), rules)
    said = _said(message)
    parts = _answer(ctx, said)
    if parts:
        key = outbox.answer_key(keys.secret, "telegram", integration.id, str(update.update_id))
        outbox.enqueue(session, keys.secret, integration_id=integration.id, key=key,
                       chat_id=said.chat_id, parts=parts)  # fmt: skip
    return True


def _first_delivery(
    session: Session, keys: ChannelKeys, integration: Integration, update_id: int
) -> bool:
    key_hash = keys.secret.keyed_hash("telegram-update", f"{integration.id}:{update_id}")
    recorded = record_delivery(session, integration_id=integration.id, key_hash=key_hash)
    return recorded is not None


def _chat_hash(keys: ChannelKeys, integration: Integration, chat_id: int) -> str:
    return keys.secret.keyed_hash("telegram-chat", f"{integration.id}:{chat_id}")


def _conversation(ctx: Context, chat_id: int) -> BotConversation | None:
    stmt = select(BotConversation).where(
        BotConversation.integration_id == ctx.integration.id,
        BotConversation.chat_hash == _chat_hash(ctx.keys, ctx.integration, chat_id),
    )
    if ctx.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return ctx.session.scalars(stmt).one_or_none()


def _answer(ctx: Context, said: Said) -> list[Part]:
    conversation = _conversation(ctx, said.chat_id)
    if conversation is None or said.command in ("/start", "/inquiry"):
        if conversation is not None:
            _put_aside(ctx, conversation)
        if said.command == "/inquiry":
            return _start_inquiry(ctx, said.chat_id)
        return _start(ctx, said.chat_id)
    if conversation.step == Step.DONE:
        return _write_again(ctx, conversation, said)
    if said.command == "/cancel":
        ctx.session.delete(conversation)
        return [_part(ctx, conversation.language, bot_texts.CANCELLED, _no_keyboard())]
    if conversation.step == Step.LANGUAGE:
        return _choose_language(ctx, conversation, said)
    if conversation.step == Step.INQUIRY_LANGUAGE:
        return _choose_inquiry_language(ctx, conversation, said)
    if conversation.step in INQUIRY_FIELD_OF:
        return _take_inquiry_field(ctx, conversation, said)
    return _take_field(ctx, conversation, said)


def _put_aside(ctx: Context, conversation: BotConversation) -> None:
    """/start again: an unfinished conversation goes; a finished one stays for the
    officers' replies to its request, but no longer answers to the chat."""
    if conversation.ticket_id is None:
        ctx.session.delete(conversation)
    else:
        conversation.chat_hash = ctx.keys.secret.keyed_hash("telegram-put-aside", conversation.id)
    ctx.session.flush()


def _new_conversation(ctx: Context, chat_id: int, step: Step) -> BotConversation:
    conversation = BotConversation(id=new_id(), integration_id=ctx.integration.id,
                                   chat_hash=_chat_hash(ctx.keys, ctx.integration, chat_id),
                                   step=step)  # fmt: skip
    ctx.session.add(conversation)
    return conversation


def _start(ctx: Context, chat_id: int) -> list[Part]:
    conversation = _new_conversation(ctx, chat_id, Step.LANGUAGE)
    conversation.chat = seal_to(ctx.keys.intake_public, str(chat_id).encode(),
                                context=outbox.chat_context(conversation.id))  # fmt: skip
    ctx.session.flush()
    return _start_again(ctx)


def _start_inquiry(ctx: Context, chat_id: int) -> list[Part]:
    # Counted when begun, so a chat over its allowance types nothing in vain.
    chat_hash = _chat_hash(ctx.keys, ctx.integration, chat_id)
    if not _within_limit(ctx, ctx.keys.secret.keyed_hash("telegram-chat-limit", chat_hash)):
        refused = bot_texts.signed(ctx.keys.signer, bot_texts.in_all(bot_texts.TOO_MANY))
        return [Part(refused, _no_keyboard())]
    # No chat id kept, not even sealed: an inquiry's answer never goes to the chat.
    _new_conversation(ctx, chat_id, Step.INQUIRY_LANGUAGE)
    ctx.session.flush()
    return _start_again(ctx, inquiry=True)


def _language_of(text: str | None) -> str | None:
    if text is None:
        return None
    typed = text.strip().lstrip("/").casefold()
    for code, name in bot_texts.LANGUAGE_NAMES.items():
        if typed in (code, name.casefold()):
            return code
    return None


def _choose_language(ctx: Context, conversation: BotConversation, said: Said) -> list[Part]:
    language = _language_of(said.text)
    if language is None:
        return _start_again(ctx)
    conversation.language = language
    conversation.step = Step.CONTACT
    share = KeyboardButton(say(language, bot_texts.SHARE_PHONE), request_contact=True)
    keyboard = ReplyKeyboardMarkup([[share]], one_time_keyboard=True, resize_keyboard=True)
    return [_part(ctx, language, bot_texts.ASK_CONTACT, keyboard.to_dict())]


def _start_again(ctx: Context, *, inquiry: bool = False) -> list[Part]:
    buttons = [[KeyboardButton(name) for name in bot_texts.LANGUAGE_NAMES.values()]]
    keyboard = ReplyKeyboardMarkup(buttons, one_time_keyboard=True, resize_keyboard=True)
    text = bot_texts.signed(ctx.keys.signer, bot_texts.greeting(inquiry=inquiry))
    return [Part(text, keyboard.to_dict())]


def _checked(field: str, value: str, language: str) -> str:
    """One field as policy keeps it (cleaned, bounded), or FieldError."""
    given = {"contact": "-", "place": "", "message": "", field: value}
    fields = check_fields(given["contact"], given["place"], language, given["message"])
    return str(getattr(fields, field))


def _typed(conversation: BotConversation, said: Said, language: str) -> str | None:
    """The answer to the current step, or None when the applicant sent no text."""
    step = Step(conversation.step)
    if step == Step.CONTACT and said.phone:
        return said.phone
    if said.text is None:
        return None
    if step == Step.MESSAGE and said.text.strip() in (say(language, bot_texts.SKIP), "/skip"):
        return ""
    return said.text


def _take_field(ctx: Context, conversation: BotConversation, said: Said) -> list[Part]:
    language = conversation.language or "en"
    step = Step(conversation.step)
    field = FIELD_OF[step]
    typed = _typed(conversation, said, language)
    if typed is None:
        return [_part(ctx, language, bot_texts.TEXT_ONLY)]
    try:
        value = _checked(field, typed, language)
    except FieldError:
        if field == "contact" and not typed.strip():
            return [_part(ctx, language, bot_texts.EMPTY)]
        return [_part(ctx, language, bot_texts.TOO_LONG, limit=LIMITS[field])]
    box = channels.seal_field(ctx.keys, _fragment_context(conversation), field, value)
    ctx.session.add(BotFragment(id=new_id(), conversation_id=conversation.id, step=step,
                                box=box))  # fmt: skip
    if step == Step.CONTACT:
        conversation.step = Step.PLACE
        return [_part(ctx, language, bot_texts.ASK_PLACE, _no_keyboard())]
    if step == Step.PLACE:
        conversation.step = Step.MESSAGE
        skip = ReplyKeyboardMarkup([[KeyboardButton(say(language, bot_texts.SKIP))]],
                                   one_time_keyboard=True, resize_keyboard=True)  # fmt: skip
        return [_part(ctx, language, bot_texts.ASK_MESSAGE, skip.to_dict())]
    return _submit(ctx, conversation, language)


def _fragment_context(conversation: BotConversation) -> str:
    return f"bot:{conversation.id}"


def _submit(ctx: Context, conversation: BotConversation, language: str) -> list[Part]:
    ctx.session.flush()
    fragments = ctx.session.scalars(
        select(BotFragment).where(BotFragment.conversation_id == conversation.id)
    ).all()
    boxes = {FIELD_OF[Step(f.step)]: f.box for f in fragments}
    issued = channels.submit_sealed(
        ctx.session,
        keys=ctx.keys,
        audit=ctx.audit,
        channel=Channel.CHAT_BOT,
        fields=channels.SealedFields(_fragment_context(conversation), language, boxes),
        integration_id=ctx.integration.id,
        now=ctx.now,
    )
    ctx.session.execute(delete(BotFragment).where(BotFragment.conversation_id == conversation.id))
    conversation.step = Step.DONE
    conversation.ticket_id = issued.ticket_id
    signer = ctx.keys.signer
    receipt = bot_texts.signed(signer, say(language, bot_texts.RECEIVED),
                               reference=issued.reference, now=ctx.now)  # fmt: skip
    codename = bot_texts.signed(signer, say(language, bot_texts.CODENAME,
                                            codename=issued.codename))  # fmt: skip
    return [Part(receipt, _no_keyboard()), Part(codename)]


def _write_again(ctx: Context, conversation: BotConversation, said: Said) -> list[Part]:
    language = conversation.language or "en"
    ticket = (
        ctx.session.get(Ticket, conversation.ticket_id, options=[public_ticket()])
        if conversation.ticket_id
        else None
    )
    if ticket is None:  # its channel data was destroyed
        return [_part(ctx, language, bot_texts.CLOSED)]
    if ticket.kind == TicketKind.INQUIRY.value:
        return [_part(ctx, language, bot_texts.INQUIRY_NO_MESSAGES)]
    if said.text is None:
        return [_part(ctx, language, bot_texts.TEXT_ONLY, reference=ticket.reference)]
    try:
        check_message(said.text)
        channels.write_again(ctx.session, keys=ctx.keys, audit=ctx.audit, ticket=ticket,
                             text=said.text, channel=Channel.CHAT_BOT,
                             integration_id=ctx.integration.id)  # fmt: skip
    except FieldError:
        return [_part(ctx, language, bot_texts.TOO_LONG, reference=ticket.reference,
                      limit=LIMITS["message"])]  # fmt: skip
    except channels.NoCodenameError:
        return [_part(ctx, language, bot_texts.CLOSED, reference=ticket.reference)]
    return [_part(ctx, language, bot_texts.ADDED, reference=ticket.reference)]


def _part(
    ctx: Context,
    language: str | None,
    message: str,
    markup: dict[str, Any] | None = None,
    *,
    reference: str | None = None,
    **values: object,
) -> Part:
    text = say(language, message, **values)
    return Part(bot_texts.signed(ctx.keys.signer, text, reference=reference, now=ctx.now), markup)


def _no_keyboard() -> dict[str, Any]:
    return ReplyKeyboardRemove().to_dict()


# A family inquiry -----------------------------------------------------------------------


def _choose_inquiry_language(ctx: Context, conversation: BotConversation, said: Said) -> list[Part]:
    language = _language_of(said.text)
    if language is None:
        return _start_again(ctx, inquiry=True)
    conversation.language = language
    return _ask(ctx, conversation, Step.SURNAME)


def _ask(ctx: Context, conversation: BotConversation, step: Step) -> list[Part]:
    """Move to `step` and ask its question, with the buttons it takes."""
    conversation.step = step
    language = conversation.language or "en"
    question = next(q for s, _, q in INQUIRY_STEPS if s == step)
    return [_part(ctx, language, question, _inquiry_keyboard(step, language))]


def _inquiry_keyboard(step: Step, language: str) -> dict[str, Any]:
    def keyboard(rows: list[list[KeyboardButton]]) -> dict[str, Any]:
        markup = ReplyKeyboardMarkup(rows, one_time_keyboard=True, resize_keyboard=True)
        return markup.to_dict()

    if step in OPTIONAL:
        return keyboard([[KeyboardButton(say(language, bot_texts.SKIP))]])
    if step == Step.INQUIRER_CONTACT:
        share = KeyboardButton(say(language, bot_texts.SHARE_PHONE), request_contact=True)
        return keyboard([[share]])
    if step == Step.RELATIONSHIP:
        names = [KeyboardButton(say(language, n)) for n in bot_texts.RELATIONSHIP_NAMES.values()]
        return keyboard([names[i : i + 2] for i in range(0, len(names), 2)])
    return _no_keyboard()


def _relationship_of(typed: str, language: str) -> str:
    """The relationship a button (or its code) names; what else was typed, as it is (the
    policy then refuses it)."""
    wanted = typed.strip().casefold()
    for code, name in bot_texts.RELATIONSHIP_NAMES.items():
        if wanted in (code, say(language, name).casefold()):
            return code
    return typed


def _inquiry_typed(step: Step, said: Said, language: str) -> str | None:
    """The answer to an inquiry's step, or None when the family sent no text."""
    if step == Step.INQUIRER_CONTACT and said.phone:
        return said.phone
    if said.text is None:
        return None
    if step in OPTIONAL and said.text.strip() in ("-", "/skip", say(language, bot_texts.SKIP)):
        return ""
    if step == Step.RELATIONSHIP:
        return _relationship_of(said.text, language)
    return said.text


def _inquiry_checked(field: str, value: str, language: str) -> str:
    """One field as the inquiry policy keeps it (cleaned, bounded), or FieldError."""
    given = {f: "-" for f in inquiry_policy.REQUIRED}
    given.update(relationship="other", language=language)
    given[field] = value
    return str(getattr(inquiry_policy.check_fields(given), field))


def _refusal(ctx: Context, step: Step, typed: str, language: str) -> Part:
    field = INQUIRY_FIELD_OF[step]
    if step == Step.DATE_OF_BIRTH and len(typed.strip()) <= inquiry_policy.LIMITS[field]:
        return _part(ctx, language, bot_texts.BAD_DATE)
    if step == Step.RELATIONSHIP:
        return _part(ctx, language, bot_texts.ASK_RELATIONSHIP,
                     _inquiry_keyboard(step, language))  # fmt: skip
    if not typed.strip():
        text = bot_texts.EMPTY if step == Step.INQUIRER_CONTACT else bot_texts.WRITE_SOMETHING
        return _part(ctx, language, text)
    return _part(ctx, language, bot_texts.TOO_LONG, limit=inquiry_policy.LIMITS[field])


def _take_inquiry_field(ctx: Context, conversation: BotConversation, said: Said) -> list[Part]:
    language = conversation.language or "en"
    step = Step(conversation.step)
    typed = _inquiry_typed(step, said, language)
    if typed is None:
        return [_part(ctx, language, bot_texts.TEXT_ONLY)]
    field = INQUIRY_FIELD_OF[step]
    try:
        value = _inquiry_checked(field, typed, language)
    except FieldError:
        return [_refusal(ctx, step, typed, language)]
    # Counted when the contact is given: later it is sealed and the public face cannot read
    # it. A family asking for many names is a prober, whatever the channel.
    contact = limits.contact_bucket(ctx.keys.secret, value) if field == "contact" else None
    if contact is not None and not _within_limit(ctx, contact):
        return [_part(ctx, language, bot_texts.TOO_MANY, _no_keyboard())]
    box = channels.seal_field(ctx.keys, _fragment_context(conversation), field, value)
    ctx.session.add(BotFragment(id=new_id(), conversation_id=conversation.id, step=step,
                                box=box))  # fmt: skip
    if step != Step.RELATIONSHIP:
        following = next(s for s, _, _ in INQUIRY_STEPS if s > step)
        return _ask(ctx, conversation, following)
    return _submit_inquiry(ctx, conversation, language)


def _within_limit(ctx: Context, bucket: str) -> bool:
    """Count one hit against the contact rule: inquiries a day per contact, and per chat
    (the contact is free text: one chat could give a new one each time)."""
    try:
        limits.hit(ctx.session, bucket=bucket, rule=ctx.rules.contact, now=ctx.now)
    except limits.RateLimitedError:
        return False
    return True


def _submit_inquiry(ctx: Context, conversation: BotConversation, language: str) -> list[Part]:
    """The inquiry, its fields passed on as the boxes they were sealed in, one by one."""
    ctx.session.flush()
    fragments = ctx.session.scalars(
        select(BotFragment).where(BotFragment.conversation_id == conversation.id)
    ).all()
    boxes = {INQUIRY_FIELD_OF[Step(f.step)]: f.box for f in fragments}
    sealed = channels.SealedFields(_fragment_context(conversation), language, boxes)
    issued = channels.submit_inquiry(ctx.session, keys=ctx.keys, audit=ctx.audit,
                                     channel=Channel.CHAT_BOT, fields_json=sealed.to_json(),
                                     integration_id=ctx.integration.id, now=ctx.now)  # fmt: skip
    ctx.session.execute(delete(BotFragment).where(BotFragment.conversation_id == conversation.id))
    conversation.step = Step.DONE
    conversation.ticket_id = issued.ticket_id
    signer = ctx.keys.signer
    receipt = bot_texts.signed(signer, say(language, bot_texts.INQUIRY_RECEIVED),
                               reference=issued.reference, now=ctx.now)  # fmt: skip
    codename = bot_texts.signed(signer, say(language, bot_texts.INQUIRY_CODENAME,
                                            codename=issued.codename))  # fmt: skip
    return [Part(receipt, _no_keyboard()), Part(codename)]


def inquiry_json(keys: ChannelKeys, fields_json: str) -> str:
    """Operator face: an inquiry's fields as `InquiryFields.to_json` writes them. Those a
    bot conversation sealed one by one (a SealedFields JSON) are opened here with the
    private intake key and checked again; any other is returned as it came."""
    doc = json.loads(fields_json)
    if not isinstance(doc, dict) or "boxes" not in doc:
        return fields_json
    if keys.intake is None:
        raise RuntimeError("only the operator face opens an inquiry's fields")
    sealed = channels.SealedFields.from_json(fields_json)
    opened = {
        field: open_box(keys.intake.private, sealed.boxes[field],
                        context=f"{sealed.context}:{field}").decode("utf-8")
        for field in INQUIRY_FIELD_OF.values()
    }  # fmt: skip
    return inquiry_policy.check_fields({**opened, "language": sealed.language}).to_json()


# Housekeeping ---------------------------------------------------------------------------


def purge(session: Session, *, on: datetime | None = None) -> None:
    """Drop what has served: Telegram update keys past its redelivery window, and
    conversations left unfinished (their fragments with them)."""
    day = (on.date() if on is not None else today()) - timedelta(days=KEEP_DAYS)
    telegram = select(Integration.id).where(Integration.kind == IntegrationKind.TELEGRAM.value)
    session.execute(
        delete(ChannelDelivery).where(
            ChannelDelivery.integration_id.in_(telegram), ChannelDelivery.received_on < day
        )
    )
    stale = select(BotConversation.id).where(
        BotConversation.ticket_id.is_(None), BotConversation.started_on < day
    )
    ids = list(session.scalars(stale))
    if ids:
        session.execute(delete(BotFragment).where(BotFragment.conversation_id.in_(ids)))
        session.execute(delete(BotConversation).where(BotConversation.id.in_(ids)))

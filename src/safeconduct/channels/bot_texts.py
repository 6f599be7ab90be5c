"""What the Telegram bot says, in Russian, Ukrainian and English, and how each answer is
signed so an applicant can check it came from Safe Conduct and not from a clone.

The texts live in the interface's catalogs (`locale/<language>/LC_MESSAGES/messages.po`),
read here with Babel: the domain cannot use `web.ui.i18n`, which sits above it.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from safeconduct.channels.policy import LANGUAGES, receipt_body
from safeconduct.intake.models import Channel
from safeconduct.security.signing import Signer
from safeconduct.security.statements import sign_statement

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
# Telegram refuses a message longer than this (characters).
MESSAGE_LIMIT = 4096
# Each language's name in that language: the buttons an applicant picks from.
LANGUAGE_NAMES = {"uk": "Українська", "ru": "Русский", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a text for the catalogs; it is translated when said (see `say`)."""
    return message


CHOOSE_LANGUAGE = N_("Safe Conduct. Choose your language with the buttons below.")
ASK_CONTACT = N_(
    "How can we reach you? Write a phone number, a messenger account or an email address, "
    "or share this account's phone number with the button. Our replies also come to this chat."
)
SHARE_PHONE = N_("Share my phone number")
ASK_PLACE = N_(
    "Roughly where are you? A district or a town is enough: never send your exact position."
)
ASK_MESSAGE = N_("Anything else you want to tell us? Write a message, or press Skip.")
SKIP = N_("Skip")
RECEIVED = N_(
    "Your request is received. Keep this message: it is your receipt, signed by Safe Conduct. "
    "You can check the signature on the verify page of the official site."
)
CODENAME = N_(
    "Your codename: %(codename)s\n"
    "With it you can read our replies and write to us on the status page of the official "
    "site. Keep it secret and delete this message once it is safe: whoever holds the "
    "codename can read the replies."
)
ADDED = N_("Your message is added to your request.")
CLOSED = N_("This request is closed. Send /start to make a new request.")
CANCELLED = N_("Cancelled: nothing you wrote was kept. Send /start to begin again.")
TEXT_ONLY = N_("Please write your answer as text.")
EMPTY = N_("Please write how we can reach you.")
TOO_LONG = N_("That is too long: at most %(limit)s characters.")
REPLY = N_("Safe Conduct replied to your request:")
REPLY_ELSEWHERE = N_(
    "Safe Conduct replied to your request. The reply is too long for this chat: read it on "
    "the status page of the official site with your codename."
)


# A family inquiry (/inquiry): the person sought, then the inquirer. No answer is given in
# the chat: it is read later with the codename, on a day that tells nothing.
FAMILIES = N_("Looking for a relative held as a prisoner of war? Send /inquiry.")
INQUIRY_CHOOSE_LANGUAGE = N_(
    "Safe Conduct: asking about a missing relative. Choose your language with the buttons below."
)
ASK_SURNAME = N_(
    "We answer only what the law allows a family to know, and only if the person agreed that "
    "their family may be told. Each answer you write here is encrypted as it comes; send "
    "/cancel to stop.\n\nWhat is the surname of the person you are looking for?"
)
ASK_GIVEN_NAME = N_("Their given name?")
ASK_PATRONYMIC = N_(
    "Their patronymic? Write it, or press Skip if there is none or you do not know it."
)
ASK_DATE_OF_BIRTH = N_("Their date of birth, as YYYY-MM-DD, YYYY-MM or YYYY? Or press Skip.")
ASK_PLACE_LAST_SEEN = N_("The unit or the place they were last heard of? Or press Skip.")
ASK_INQUIRER_CONTACT = N_(
    "How can we reach you? Write a phone number, a messenger account or an email address, "
    "or share this account's phone number with the button."
)
ASK_RELATIONSHIP = N_("You are the person's: choose with the buttons.")
BAD_DATE = N_("Please write the date as YYYY-MM-DD, YYYY-MM or YYYY, or press Skip.")
WRITE_SOMETHING = N_("Please write an answer.")
TOO_MANY = N_("Too many inquiries today. Please try again tomorrow.")
INQUIRY_RECEIVED = N_(
    "Your inquiry is received. Keep this message: it is your receipt, signed by Safe Conduct. "
    "You can check the signature on the verify page of the official site."
)
INQUIRY_CODENAME = N_(
    "Your codename: %(codename)s\n"
    "With it you can read our answer on the status page of the official site. The answer is "
    "not given at once: look again in a few days. Keep the codename secret and delete this "
    "message once it is safe: whoever holds the codename can read the answer."
)
INQUIRY_NO_MESSAGES = N_(
    "An inquiry takes no messages: read our answer on the status page of the official site "
    "with your codename. Send /inquiry to ask about someone else."
)
# The relationships as the inquiry form names them (the same catalog entries).
RELATIONSHIP_NAMES = {
    "parent": N_("parent"),
    "spouse": N_("spouse"),
    "child": N_("child"),
    "sibling": N_("brother or sister"),
    "relative": N_("another relative"),
    "other": N_("other"),
}

ALL = (CHOOSE_LANGUAGE, ASK_CONTACT, SHARE_PHONE, ASK_PLACE, ASK_MESSAGE, SKIP, RECEIVED,
       CODENAME, ADDED, CLOSED, CANCELLED, TEXT_ONLY, EMPTY, TOO_LONG, REPLY,
       REPLY_ELSEWHERE, FAMILIES, INQUIRY_CHOOSE_LANGUAGE, ASK_SURNAME, ASK_GIVEN_NAME,
       ASK_PATRONYMIC, ASK_DATE_OF_BIRTH, ASK_PLACE_LAST_SEEN, ASK_INQUIRER_CONTACT,
       ASK_RELATIONSHIP, BAD_DATE, WRITE_SOMETHING, TOO_MANY, INQUIRY_RECEIVED,
       INQUIRY_CODENAME, INQUIRY_NO_MESSAGES,
       *RELATIONSHIP_NAMES.values())  # fmt: skip


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def say(language: str | None, message: str, **values: object) -> str:
    """One bot text in a language (English when none was chosen yet)."""
    text = _catalog(language or "en").gettext(message)
    return text % values if values else text


def in_all(message: str) -> str:
    """A bot text in all three languages, for a chat whose language is not known yet."""
    return "\n\n".join(say(language, message) for language in LANGUAGE_NAMES)


def greeting(*, inquiry: bool = False) -> str:
    """The first answer, before a language is chosen: in all three. /start also tells
    families where to ask; /inquiry says what it is for."""
    if inquiry:
        return in_all(INQUIRY_CHOOSE_LANGUAGE)
    return "\n\n".join(
        f"{say(language, CHOOSE_LANGUAGE)}\n{say(language, FAMILIES)}"
        for language in LANGUAGE_NAMES
    )


@dataclass(frozen=True)
class Part:
    """One Telegram message of an answer: its signed text and, maybe, a keyboard (as the
    Bot API's `reply_markup` JSON, built with python-telegram-bot's types)."""

    text: str
    markup: dict[str, Any] | None = field(default=None)

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"text": self.text}
        if self.markup is not None:
            doc["reply_markup"] = self.markup
        return doc

    @staticmethod
    def from_json(doc: dict[str, Any]) -> Part:
        markup = doc.get("reply_markup")
        return Part(str(doc["text"]), dict(markup) if isinstance(markup, dict) else None)


def signed(signer: Signer, text: str, *, reference: str | None = None,
           now: datetime | None = None) -> str:  # fmt: skip
    """An answer as sent: its text, the receipt when there is a request (issued now), and
    the signature over both, so a copy pasted into /verify checks."""
    body = text
    if reference is not None:
        assert now is not None
        body = f"{text}\n\n{receipt_body(reference, now, Channel.CHAT_BOT)}"
    return sign_statement(signer, body)

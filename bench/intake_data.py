"""Surrender-form submissions for `bench/intake.py`, written from the form's contract alone
(issue 9, item 2, and `channels.policy.LIMITS`), never from how the service stores them.

The form: how to reach you (required, at most 200 characters), roughly where you are (300),
language (ru, uk or en), an optional message (4,000). Applicants write mostly in Cyrillic;
contacts are phone numbers, messenger handles and e-mail addresses; most messages are short,
a few run to the limit.
"""

from __future__ import annotations

import random

LIMITS = {"contact": 200, "place": 300, "message": 4000}
LANGUAGES = (("ru", 0.55), ("uk", 0.35), ("en", 0.10))
_RU = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
_UK = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_EN = "abcdefghijklmnopqrstuvwxyz"
_ALPHABETS = {"ru": _RU, "uk": _UK, "en": _EN}


def _words(rng: random.Random, alphabet: str, length: int) -> str:
    """Text of about `length` characters: words of 2-11 letters, some punctuation."""
    out: list[str] = []
    size = 0
    while size < length:
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 11)))
        if rng.random() < 0.08:
            word += rng.choice(".,!?")
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length].strip()


def _contact(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        code = rng.choice(["+7", "+380", "+375"])
        digits = "".join(rng.choice("0123456789") for _ in range(9))
        return f"{code} {digits[:2]} {digits[2:5]}-{digits[5:7]}-{digits[7:]}"
    if kind < 0.80:
        return "@" + _words(rng, _EN + "0123456789_", rng.randint(5, 32)).replace(" ", "_")
    if kind < 0.97:
        user = _words(rng, _EN + "0123456789.", rng.randint(4, 24)).replace(" ", ".")
        return f"{user}@{rng.choice(['mail.example', 'proton.example', 'inbox.example'])}"
    # A few give everything they have, up to the limit.
    return ("Signal, Telegram: " + _words(rng, _EN + "0123456789", 400))[: LIMITS["contact"]]


def _message_length(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.30:
        return 0
    if roll < 0.80:
        return rng.randint(20, 300)
    if roll < 0.97:
        return rng.randint(300, 2000)
    return rng.randint(2000, LIMITS["message"])


def submission(rng: random.Random) -> dict[str, str]:
    """One honest applicant's form, as the browser posts it."""
    language = rng.choices([c for c, _ in LANGUAGES], weights=[w for _, w in LANGUAGES])[0]
    alphabet = _ALPHABETS[language]
    place = "" if rng.random() < 0.2 else _words(rng, alphabet, rng.randint(8, LIMITS["place"]))
    message = _words(rng, alphabet, _message_length(rng))
    return {
        "contact": _contact(rng),
        "place": place,
        "language": language,
        "message": message,
        "lang": language,
    }


def generate(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [submission(rng) for _ in range(count)]

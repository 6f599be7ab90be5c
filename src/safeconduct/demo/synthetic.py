"""Synthetic people for the demo: Faker ru_RU and uk_UA, with patronymics, Cyrillic names
and the Latin spellings a bureau would write. Deterministic for a given seed; nobody real."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from safeconduct.people.ranks import RANKS

CAMPS = ("Camp North-1", "Camp North-2", "Transit Centre East", "Camp South-3", "Hospital Ward 4")
PLACES = (
    "forest road near a village",
    "checkpoint",
    "river crossing",
    "field position",
    "abandoned farm",
    "railway station",
)
HOW_VOLUNTARY = (
    "walked to the agreed point",
    "followed radio instructions from the hotline",
    "by white flag at dawn",
    "met a patrol after a chat bot call",
)
HOW_CAPTURED = ("surrounded, laid down arms", "wounded, evacuated", "taken during a raid")
CHANNELS = ("web_form", "webhook", "chat_bot", "phone")


@dataclass(frozen=True)
class DemoPerson:
    surname: str
    given_names: str
    patronymic: str
    name_original_script: str
    date_of_birth: str
    place_of_birth: str
    rank: str
    service_number: str
    sex: str
    place: str
    channel: str
    contact: str
    message: str


def _latin(text: str, ukrainian: bool) -> str:
    import iuliia
    import translitua

    if ukrainian:
        return str(translitua.translit(text, translitua.UkrainianKMU))
    return str(iuliia.ICAO_DOC_9303.translate(text))


def _names(fake: object, female: bool) -> tuple[str, str, str]:
    kind = "female" if female else "male"
    return (
        getattr(fake, f"last_name_{kind}")(),
        getattr(fake, f"first_name_{kind}")(),
        getattr(fake, f"middle_name_{kind}")(),
    )


def _dob(rng: random.Random) -> str:
    born = date(1966, 1, 1) + timedelta(days=rng.randrange(365 * 40))
    # A prisoner may know only part of a date.
    return rng.choices((born.isoformat(), born.isoformat()[:7], born.isoformat()[:4]), (90, 5, 5))[
        0
    ]


def generate(seed: int, count: int) -> list[DemoPerson]:
    """Return `count` synthetic people; the same seed gives the same people."""
    from faker import Faker

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    fakers = {"ru": Faker("ru_RU"), "uk": Faker("uk_UA")}
    for i, fake in enumerate(fakers.values()):
        fake.seed_instance(seed * 31 + i)
    people = []
    for _ in range(count):
        ukrainian = rng.random() < 0.4
        fake = fakers["uk" if ukrainian else "ru"]
        female = rng.random() < 0.06
        surname, given, patronymic = _names(fake, female)
        people.append(
            DemoPerson(
                surname=_latin(surname, ukrainian).upper(),
                given_names=_latin(given, ukrainian),
                patronymic=_latin(patronymic, ukrainian),
                name_original_script=f"{surname} {given} {patronymic}",
                date_of_birth=_dob(rng),
                place_of_birth=fake.city_name(),
                rank=rng.choice(RANKS),
                service_number=f"{rng.choice('ABCDEHKMPT')}{rng.randrange(10**6, 10**7)}",
                sex="female" if female else "male",
                place=rng.choice(PLACES),
                channel=rng.choice(CHANNELS),
                contact=f"+000 {rng.randrange(10**8, 10**9)}",  # a reserved, undiallable prefix
                message=f"Want to surrender. Sector {rng.randrange(1, 40)}, {rng.choice(PLACES)}.",
            )
        )
    return people

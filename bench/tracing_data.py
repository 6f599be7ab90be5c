"""Deterministic synthetic registry and family inquiries for the tracing benchmark.

The registry is Cyrillic, Russian and Ukrainian names from Faker's lists,
reweighted so that common surnames are common (Zipf). Inquiries copy a
registry person through one tagged corruption, or ask for someone absent.
"""

from __future__ import annotations

import csv
import importlib
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import iuliia
import translitua

_RU = importlib.import_module("faker.providers.person.ru_RU").Provider
_UK = importlib.import_module("faker.providers.person.uk_UA").Provider
_EQUIV = Path(__file__).parents[1] / "src/safeconduct/tracing/data/given_name_equivalents.csv"

IULIIA_SCHEMAS = (
    iuliia.ICAO_DOC_9303,
    iuliia.GOST_779,
    iuliia.BGN_PCGN,
    iuliia.ALA_LC,
    iuliia.WIKIPEDIA,
    iuliia.SCIENTIFIC,
    iuliia.MOSMETRO,
    iuliia.GOST_52535,
    iuliia.MVD_310,
    iuliia.MVD_782,
    iuliia.YANDEX_MAPS,
    iuliia.BS_2979,
)
UKRAINIAN_TABLES = (
    translitua.UkrainianKMU,
    translitua.UkrainianPassport2007,
    translitua.UkrainianBGN,
    translitua.UkrainianALALC,
    translitua.UkrainianGerman,
    translitua.UkrainianFrench,
)
# Hand-made German, French and Dutch styles for Russian spellings.
_STYLES: dict[str, dict[str, str]] = {
    "german": {
        "щ": "schtsch",
        "ш": "sch",
        "ж": "sch",
        "ч": "tsch",
        "ц": "z",
        "з": "s",
        "в": "w",
        "х": "ch",
        "й": "j",
        "я": "ja",
        "ю": "ju",
        "е": "e",
        "ё": "jo",
        "ы": "y",
        "ь": "",
        "ъ": "",
        "э": "e",
        "с": "s",
    },
    "french": {
        "щ": "chtch",
        "ш": "ch",
        "ж": "j",
        "ч": "tch",
        "ц": "ts",
        "у": "ou",
        "х": "kh",
        "й": "i",
        "я": "ia",
        "ю": "iou",
        "ё": "io",
        "ы": "y",
        "ь": "",
        "ъ": "",
        "э": "e",
    },
    "dutch": {
        "щ": "sjtsj",
        "ш": "sj",
        "ж": "zj",
        "ч": "tsj",
        "ц": "ts",
        "х": "ch",
        "й": "j",
        "я": "ja",
        "ю": "joe",
        "у": "oe",
        "ё": "jo",
        "ы": "y",
        "ь": "",
        "ъ": "",
        "э": "e",
    },
}
MATCH_TAGS = (
    "translit",
    "ukrainian_form",
    "no_patronymic",
    "patronymic_initial",
    "swapped",
    "typo",
    "caps_punct",
    "dob_day_month_swapped",
    "dob_year_only",
    "dob_one_day_off",
    "exact",
)
NONMATCH_TAGS = ("namesake_other_dob", "absent")
SIZES = {"default": (20_000, 2_000), "medium": (200_000, 20_000), "large": (1_000_000, 10_000)}


@dataclass(frozen=True, slots=True)
class Person:
    """One registry person, in Cyrillic."""

    id: str
    surname: str
    given: str
    patronymic: str
    dob: str
    ukrainian: bool


@dataclass(frozen=True, slots=True)
class Inquiry:
    """One family inquiry with its corruption tag and the true registry id."""

    inquiry_id: str
    surname: str
    given: str
    patronymic: str
    dob: str
    tag: str
    truth: str


def _zipf(n: int, s: float) -> list[float]:
    return [1 / (k + 1) ** s for k in range(n)]


class NamePool:
    """Weighted Cyrillic name pools, with Russian/Ukrainian equivalents."""

    def __init__(self, rng: random.Random) -> None:
        stems = [g.rstrip("аийь") for g in _RU.first_names_male[:120]]
        derived = [g + suffix for g in stems for suffix in ("ов", "енко")]
        ru = list(dict.fromkeys(_RU.last_names_male + tuple(derived)))
        uk = list(dict.fromkeys(_UK.last_names_male))
        rng.shuffle(ru)
        rng.shuffle(uk)
        self.surnames = {False: ru, True: uk}
        self.surname_w = {False: _zipf(len(ru), 0.8), True: _zipf(len(uk), 0.8)}
        with _EQUIV.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
        self.pairs = rows
        self.pair_w = _zipf(len(rows), 1.0)
        rng.shuffle(self.pairs)

    def person(self, rng: random.Random, pid: str, ukrainian: bool) -> Person:
        """Draw a person."""
        surname = rng.choices(self.surnames[ukrainian], self.surname_w[ukrainian])[0]
        given = rng.choices(self.pairs, self.pair_w)[0]
        father = rng.choices(self.pairs, self.pair_w)[0]
        lang = "ukrainian" if ukrainian else "russian"
        return Person(pid, surname, given[lang], father[f"{lang}_patronymic"], _dob(rng), ukrainian)

    def ukrainian_form(self, name: str, column: str) -> str:
        """Return the Ukrainian equivalent of a Russian given name or patronymic."""
        for row in self.pairs:
            if row[f"russian{column}"] == name:
                return row[f"ukrainian{column}"]
        return name


def _dob(rng: random.Random) -> str:
    return (date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 40))).isoformat()


def latin(text: str, rng: random.Random, ukrainian: bool) -> str:
    """Transliterate with a randomly chosen system, as a family member might."""
    if ukrainian and rng.random() < 0.7:
        return str(translitua.translit(text, rng.choice(UKRAINIAN_TABLES)))
    if rng.random() < 0.2:
        style = _STYLES[rng.choice(sorted(_STYLES))]
        lowered = "".join(style.get(c, c) for c in text.lower())
        return iuliia.ICAO_DOC_9303.translate(lowered).capitalize()
    return str(rng.choice(IULIIA_SCHEMAS).translate(text))


def typo(text: str, rng: random.Random) -> str:
    """Make one keyboard slip: substitute, drop, double or swap a letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    alphabet = "абвгдеклмнопрст" if any("а" <= c <= "я" for c in text.lower()) else "abdeklmnoprst"
    ops: list[Callable[[], str]] = [
        lambda: text[:i] + rng.choice(alphabet) + text[i + 1 :],
        lambda: text[:i] + text[i + 1 :],
        lambda: text[:i] + text[i] + text[i:],
        lambda: text[:i] + text[i + 1] + text[i] + text[i + 2 :],
    ]
    return rng.choice(ops)()


def _shift_dob(dob: str, tag: str, rng: random.Random) -> str:
    y, m, d = (int(x) for x in dob.split("-"))
    if tag == "dob_day_month_swapped" and d <= 12 and d != m:
        return f"{y:04d}-{d:02d}-{m:02d}"
    if tag == "dob_year_only":
        return f"{y:04d}"
    if tag == "dob_one_day_off":
        return (date(y, m, d) + timedelta(days=rng.choice((-1, 1)))).isoformat()
    return dob


def _swappable(dob: str) -> bool:
    _, m, d = dob.split("-")
    return int(d) <= 12 and d != m


def corrupt(p: Person, tag: str, pool: NamePool, rng: random.Random) -> tuple[str, ...]:
    """Return (surname, given, patronymic, dob) as a family would write them."""
    sur, giv, pat, dob = p.surname, p.given, p.patronymic, p.dob
    if tag == "ukrainian_form" and not p.ukrainian:
        giv, pat = pool.ukrainian_form(giv, ""), pool.ukrainian_form(pat, "_patronymic")
    if tag == "no_patronymic":
        pat = ""
    if tag == "patronymic_initial":
        pat = pat[:1] + "."
    if tag == "typo":
        sur, giv = (typo(sur, rng), giv) if rng.random() < 0.5 else (sur, typo(giv, rng))
    dob = _shift_dob(dob, tag, rng)
    as_ukrainian = p.ukrainian or tag == "ukrainian_form"
    if tag == "translit" or (tag != "exact" and rng.random() < 0.5):
        sur, giv, pat = (latin(x, rng, as_ukrainian) if x else x for x in (sur, giv, pat))
    if tag == "swapped":
        sur, giv = giv, sur
    if tag == "caps_punct":
        sur, giv, pat = f" {sur.upper()},", f"{giv.upper()}. ", f"({pat.upper()})"
    return sur, giv, pat, dob


def generate(
    n_registry: int, n_inquiries: int, *, seed: int = 2024
) -> tuple[list[Person], list[Inquiry]]:
    """Generate a registry and inquiries; about 20% of inquiries match no one."""
    rng = random.Random(seed)
    pool = NamePool(rng)
    people = [pool.person(rng, str(i + 1), rng.random() < 0.3) for i in range(n_registry)]
    inquiries: list[Inquiry] = []
    tags = itertools.cycle(MATCH_TAGS * 4 + NONMATCH_TAGS * 5)
    for q in range(n_inquiries):
        tag, qid = next(tags), f"Q{q + 1}"
        if tag == "absent":
            p = pool.person(rng, "", rng.random() < 0.3)
            inquiries.append(Inquiry(qid, p.surname, p.given, p.patronymic, p.dob, tag, ""))
            continue
        p = rng.choice(people)
        while tag == "dob_day_month_swapped" and not _swappable(p.dob):
            p = rng.choice(people)
        if tag == "namesake_other_dob":
            # Earlier, not later: a date of birth in the future is refused as input.
            other = date.fromisoformat(p.dob) - timedelta(days=rng.randrange(400, 9000))
            p = Person("", p.surname, p.given, p.patronymic, other.isoformat(), p.ukrainian)
            tag_for_corrupt = "exact" if rng.random() < 0.5 else "translit"
            sur, giv, pat, dob = corrupt(p, tag_for_corrupt, pool, rng)
            inquiries.append(Inquiry(qid, sur, giv, pat, dob, tag, ""))
            continue
        sur, giv, pat, dob = corrupt(p, tag, pool, rng)
        inquiries.append(Inquiry(qid, sur, giv, pat, dob, tag, p.id))
    return people, inquiries


def write_csvs(people: Sequence[Person], inquiries: Sequence[Inquiry], folder: Path) -> None:
    """Write registry.csv, inquiries.csv and truth.csv into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "registry.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "surname", "given_name", "patronymic", "date_of_birth"])
        w.writerows((p.id, p.surname, p.given, p.patronymic, p.dob) for p in people)
    with (folder / "inquiries.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["inquiry_id", "surname", "given_name", "patronymic", "date_of_birth"])
        w.writerows((q.inquiry_id, q.surname, q.given, q.patronymic, q.dob) for q in inquiries)
    with (folder / "truth.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["inquiry_id", "tag", "truth"])
        w.writerows((q.inquiry_id, q.tag, q.truth) for q in inquiries)

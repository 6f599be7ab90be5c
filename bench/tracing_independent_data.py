"""An independent benchmark set for the tracing engine: a registry of prisoners of war as a
detaining power writes it, and families' inquiries about them, with the truth for scoring.

Written from the CSV contract alone, without reading the engine it is meant to measure.
Every person is synthetic: names are drawn from Russian and Ukrainian name lists
(bench/data/tracing_independent_*.csv) and combined at random.

- registry.csv `id, surname, given_name, patronymic, date_of_birth`: men (about 3% women)
  born 1960-2006, Zipf-like surname and given-name frequencies, patronymics from fathers'
  names; about a third in Cyrillic, the rest in Latin by the registrar's scheme (ICAO 9303,
  KMU 2010, BGN/PCGN, GOST 7.79 B, scholarly, German Duden, French), some in capitals;
  15% without patronymic; dates full (84%), year-month (3%), year (9%) or missing (4%);
  about 3% deliberate namesakes of another record (same surname and given name, often
  the same year).
- inquiries.csv `inquiry_id, ...same fields`: 70% about a registry person with one error
  kind (a tag) applied, 30% about people not in the registry (a third of them namesakes of
  registry people born in another year), given the same surface noise so they look alike.
  Families write in Cyrillic (85%) or copy the registry's Latin spelling; Latin spellings
  that differ from the registry's are the `translit` kind.
- truth.csv `inquiry_id, tag, truth`: the registry id, or empty for `no_match`.

Usage: .venv/bin/python bench/tracing_independent_data.py --registry 200000
       --inquiries 20000 --out DIR [--seed 2026] [--no-match-share 0.3]
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from itertools import accumulate
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
REGISTRY_FIELDS = ("id", "surname", "given_name", "patronymic", "date_of_birth")
INQUIRY_FIELDS = ("inquiry_id", "surname", "given_name", "patronymic", "date_of_birth")
TRUTH_FIELDS = ("inquiry_id", "tag", "truth")

SINGLE_KINDS = (
    "translit",
    "swap",
    "typo",
    "patronymic_missing",
    "patronymic_initial",
    "year_only",
    "month_year",
    "dm_swap",
    "date_wrong",
    "date_missing",
    "ru_uk_form",
    "diminutive",
)
COMBINED_KINDS = ("swap+typo", "translit+year_only", "ru_uk_form+patronymic_missing")
ALL_TAGS = ("none", "no_match", *SINGLE_KINDS, *COMBINED_KINDS)
CLEAN_SHARE = 0.15  # of the matching inquiries
COMBINED_SHARE = 0.02  # each combined kind, of the matching inquiries
# Kinds that can disguise a namesake as the registry person: never applied to namesakes.
DATE_BLURRING = frozenset({"year_only", "month_year", "date_missing", "date_wrong", "dm_swap"})

VOWELS = frozenset("аеёиоуыэюяіїє")
SEPARATORS = frozenset(" -'")

# ---------------------------------------------------------------------------------------
# Name tables


@dataclass(frozen=True, slots=True)
class GivenName:
    """One given name in its Russian and Ukrainian forms, with diminutives."""

    ru: str
    uk: str
    ru_dims: tuple[str, ...]
    uk_dims: tuple[str, ...]

    def form(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.uk

    def dims(self, lang: str) -> tuple[str, ...]:
        return self.ru_dims if lang == "ru" else self.uk_dims


@dataclass(frozen=True, slots=True)
class Table:
    """Names with cumulative Zipf-Mandelbrot weights, for `random.choices`."""

    names: tuple[str, ...] | tuple[GivenName, ...]
    cum: tuple[float, ...]


def _zipf(n: int, shift: float, exponent: float = 1.0) -> tuple[float, ...]:
    return tuple(accumulate(1.0 / (rank + shift) ** exponent for rank in range(1, n + 1)))


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def given_names(sex: str) -> tuple[GivenName, ...]:
    """The given names of one sex ("m" or "f"), most frequent first."""
    rows = _read("tracing_independent_given.csv")
    return tuple(
        GivenName(
            r["ru"],
            r["uk"],
            tuple(d for d in r["ru_diminutives"].split("|") if d),
            tuple(d for d in r["uk_diminutives"].split("|") if d),
        )
        for r in rows
        if r["sex"] == sex
    )


@cache
def _given_cum(sex: str) -> tuple[float, ...]:
    return _zipf(len(given_names(sex)), shift=2.0, exponent=1.05)


UK_SUFFIXES = ("енко", "ук", "чук", "ишин", "ів", "ович", "ський", "ко")
RU_SUFFIXES = ("ов", "ин", "ский", "ич", "ых")


def _tail(lang: str, roots: list[str]) -> list[str]:
    """Rarer surnames made from roots and suffixes: the long tail of the distribution."""
    out = []
    for suffix in UK_SUFFIXES if lang == "uk" else RU_SUFFIXES:
        for root in roots:
            soft = root[-1] in "жшчщцй" or root.endswith("ь")
            if suffix == "ов" and soft:
                out.append(root.rstrip("ь") + "ев")
            elif suffix == "ук" and root[-1] in "чщш":
                out.append(root + "ук")
            elif suffix == "ук":
                out.append(root.rstrip("ь") + "юк")
            elif suffix == "ых" and root[-1] in "гкх":
                out.append(root + "их")  # Russian spelling: no ы after г, к, х
            else:
                out.append(root.rstrip("ь") + suffix)
    return out


@cache
def surnames(lang: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Masculine surnames of one language with cumulative weights, most frequent first."""
    listed = [r["surname"] for r in _read("tracing_independent_surnames.csv") if r["lang"] == lang]
    roots = [r["root"] for r in _read("tracing_independent_roots.csv") if r["lang"] == lang]
    seen = set(listed)
    tail = sorted({s for s in _tail(lang, roots) if s not in seen})
    random.Random(7).shuffle(tail)  # a fixed order, the same for every seed
    names = tuple(listed + tail)
    return names, _zipf(len(names), shift=12.0)


# ---------------------------------------------------------------------------------------
# Name forms: patronymics, feminine surnames, Russian <-> Ukrainian spelling

RU_PATRONYMIC = {
    "Лев": "Львович",
    "Павел": "Павлович",
    "Пётр": "Петрович",
    "Михаил": "Михайлович",
    "Яков": "Яковлевич",
    "Илья": "Ильич",
    "Никита": "Никитич",
    "Фома": "Фомич",
    "Кузьма": "Кузьмич",
    "Лука": "Лукич",
    "Савва": "Саввич",
    "Данила": "Данилович",
    "Дмитрий": "Дмитриевич",
    "Георгий": "Георгиевич",
}
UK_PATRONYMIC = {
    "Лев": "Львович",
    "Микола": "Миколайович",
    "Ілля": "Ілліч",
    "Кузьма": "Кузьмич",
    "Лука": "Лукич",
    "Хома": "Хомич",
    "Федір": "Федорович",
    "Сидір": "Сидорович",
    "Яків": "Якович",
}
RU_FEMININE_PATRONYMIC = {
    "Ильич": "Ильинична",
    "Фомич": "Фоминична",
    "Кузьмич": "Кузьминична",
    "Лукич": "Лукинична",
    "Саввич": "Саввична",
}


def _ru_patronymic(father: str) -> str:
    if father in RU_PATRONYMIC:
        return RU_PATRONYMIC[father]
    if father.endswith("ий"):
        return father[:-2] + "ьевич"
    if father.endswith("й") or father.endswith("ь"):
        return father[:-1] + "евич"
    if father.endswith(("а", "я")):
        return father[:-1] + "ич"
    if father.endswith("о"):
        return father[:-1] + "ович"
    if father[-1] in "жшчщц":
        return father + "евич"
    return father + "ович"


def _uk_patronymic(father: str) -> str:
    if father in UK_PATRONYMIC:
        return UK_PATRONYMIC[father]
    if father.endswith(("о", "а", "я")):
        return father[:-1] + "ович"
    if father.endswith("ь"):
        return father + "ович"
    return father + "ович"


@cache
def patronymic(father: GivenName, lang: str, sex: str) -> str:
    """The patronymic from a father's given name, in Russian or Ukrainian, for a son or
    daughter."""
    male = _ru_patronymic(father.ru) if lang == "ru" else _uk_patronymic(father.uk)
    if sex == "m":
        return male
    if lang == "ru":
        if male in RU_FEMININE_PATRONYMIC:
            return RU_FEMININE_PATRONYMIC[male]
        if male.endswith("ич") and not male.endswith("вич"):
            return male + "на"
        return male[:-2] + "на"
    if male.endswith(("йович", "ьович")):
        return male[:-5] + ("ївна" if male[-5] == "й" else "івна")
    return male[:-4] + "івна" if male.endswith("ович") else male[:-2] + "івна"


@cache
def feminine_surname(surname: str, lang: str) -> str:
    """The wife's or daughter's form of a masculine surname."""
    if surname.endswith(("ов", "ев", "ёв", "єв", "ин", "ын", "ін", "їн")):
        return surname + "а"
    if surname.endswith(("ский", "цкий", "ський", "цький")):
        return surname[:-2] + ("а" if lang == "uk" else "ая")
    if surname.endswith(("ый", "ой", "ий")) and lang == "ru":
        return surname[:-2] + "ая"
    if surname.endswith(("ий", "ій")):
        return surname[:-2] + "а"
    return surname


@cache
def other_language_surname(surname: str, lang: str) -> str:
    """The surname as the other language spells it (Іванов <-> Иванов, Лук'яненко <->
    Лукьяненко)."""
    if lang == "uk":
        out = surname.replace("'", "ь").replace("ьо", "ё").replace("ійн", "ейн")
        return out.translate(str.maketrans("іїєґІЇЄҐ", "ииегИИЕГ"))
    chars = []
    for i, ch in enumerate(surname):
        prev = surname[i - 1] if i else ""
        low = ch.lower()
        if low == "е" and (prev.lower() in VOWELS or prev == "ь"):
            new = "є"
        elif low == "ё":
            new = "йо" if prev == "ь" or not prev else "ьо"
        else:
            new = {"и": "і", "ы": "и", "э": "е"}.get(low, low)
        chars.append(new.capitalize() if ch.isupper() else new)
    return "".join(chars).replace("ьйо", "йо")


# ---------------------------------------------------------------------------------------
# Transliteration


def _start(s: str, i: int) -> bool:
    return i == 0 or s[i - 1] in SEPARATORS


def _end(s: str, i: int) -> bool:
    return i == len(s) - 1 or s[i + 1] in SEPARATORS


def _after_vowel(s: str, i: int) -> bool:
    return i > 0 and (s[i - 1] in VOWELS or s[i - 1] in "ьъй")


def _nxt(s: str, i: int) -> str:
    return s[i + 1] if i + 1 < len(s) else ""


BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e",
    "є": "ie", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "'": "", " ": " ", "-": "-",
}  # fmt: skip
Rule = Callable[[str, int, str], str | None]


def _icao(s: str, i: int, lang: str) -> str | None:
    ch = s[i]
    if lang == "uk":
        return {"г": "h", "и": "y"}.get(ch)
    return "ie" if ch == "ъ" else None


def _kmu(s: str, i: int, lang: str) -> str | None:
    ch, start = s[i], _start(s, i)
    if ch == "г":
        return "gh" if i and s[i - 1] == "з" else "h"
    if ch in "єїйюя":
        return {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}[ch] if start else None
    if ch == "и":
        return "y" if lang == "uk" else "i"
    return "io" if ch == "ё" else None


def _bgn(s: str, i: int, lang: str) -> str | None:
    ch = s[i]
    if lang == "uk":
        uk = {"г": "h", "и": "y", "є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
        return uk.get(ch)
    if ch in "её":
        soft = _start(s, i) or _after_vowel(s, i)
        return ("ye" if soft else "e") if ch == "е" else ("yo" if soft else "e")
    return {"й": "y", "ю": "yu", "я": "ya"}.get(ch)


def _gost(s: str, i: int, lang: str) -> str | None:
    ch = s[i]
    if ch == "ц":
        return "c" if _nxt(s, i) in ("и", "е", "ы", "й", "і", "є") else "cz"
    table = {"й": "j", "х": "x", "щ": "shh", "ъ": "``", "ь": "`", "ю": "yu", "я": "ya",
             "ё": "yo", "ы": "y`", "э": "e`", "є": "ye", "ї": "yi", "'": "''"}  # fmt: skip
    if lang == "uk" and ch in "ги":
        return {"г": "g`", "и": "y`"}[ch]
    return table.get(ch)


def _scholarly(s: str, i: int, lang: str) -> str | None:
    ch = s[i]
    if lang == "uk" and ch in "гиєї":
        return {"г": "h", "и": "y", "є": "je", "ї": "ji"}[ch]
    table = {"ж": "ž", "х": "x", "ц": "c", "ч": "č", "ш": "š", "щ": "šč", "ь": "ʹ",
             "ъ": "ʺ", "э": "è", "ю": "ju", "я": "ja", "й": "j", "ё": "ë"}  # fmt: skip
    return table.get(ch)


def _german(s: str, i: int, lang: str) -> str | None:
    ch, nxt = s[i], _nxt(s, i)
    if ch == "й":
        if s[i - 1 : i] == "и" and _end(s, i):
            return ""
        return "i" if i and s[i - 1] in "аоуы" else "j"
    if ch in "её":
        soft = _start(s, i) or _after_vowel(s, i)
        if ch == "е":
            return "je" if soft else "e"
        return "o" if i and s[i - 1] in "жчшщ" else "jo"
    if ch == "с":
        return "ss" if i and s[i - 1] in VOWELS and nxt in VOWELS else "s"
    if lang == "uk" and ch in "гиєї":
        return {"г": "h", "и": "y", "є": "je", "ї": "ji"}[ch]
    table = {"в": "w", "ж": "sch", "з": "s", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch",
             "щ": "schtsch", "ю": "ju", "я": "ja", "ы": "y"}  # fmt: skip
    return table.get(ch)


def _french(s: str, i: int, lang: str) -> str | None:
    ch, nxt = s[i], _nxt(s, i)
    if ch == "й":
        if s[i - 1 : i] == "и" and _end(s, i):
            return ""
        return "ï" if i and s[i - 1] in "аоуеэ" else "i"
    if ch == "г":
        if lang == "uk":
            return "h"
        return "gu" if nxt in ("е", "и", "ы", "э", "і") else "g"
    if ch == "е":
        return "ie" if _start(s, i) or _after_vowel(s, i) else "e"
    if ch == "с":
        return "ss" if i and s[i - 1] in VOWELS and nxt in VOWELS else "s"
    if lang == "uk" and ch in "иєї":
        return {"и": "y", "є": "ie", "ї": "ï"}[ch]
    table = {"ё": "io", "ж": "j", "у": "ou", "ч": "tch", "ш": "ch", "щ": "chtch",
             "ю": "iou", "я": "ia"}  # fmt: skip
    return table.get(ch)


SCHEMES: dict[str, Rule] = {
    "icao": _icao,
    "kmu": _kmu,
    "bgn": _bgn,
    "gost": _gost,
    "scholarly": _scholarly,
    "german": _german,
    "french": _french,
}


def _title(text: str) -> str:
    out, up = [], True
    for ch in text:
        out.append(ch.upper() if up else ch)
        up = ch in " -"
    return "".join(out)


@cache
def transliterate(text: str, scheme: str, lang: str) -> str:
    """A Cyrillic name in Latin letters by one scheme, title-cased."""
    s, rule = text.lower(), SCHEMES[scheme]
    out = []
    for i, ch in enumerate(s):
        special = rule(s, i, lang)
        out.append(special if special is not None else BASE.get(ch, ch))
    return _title("".join(out))


SOCIAL_NAMES = {
    "Александр": ("Alexandr", "Alexander", "Aleksandr", "Alex"),
    "Олександр": ("Oleksandr", "Olexandr", "Alexander", "Oleksander"),
    "Сергей": ("Sergey", "Sergei", "Serge"),
    "Сергій": ("Serhii", "Sergiy", "Serhiy", "Sergii"),
    "Андрей": ("Andrey", "Andrei", "Andrew"),
    "Андрій": ("Andrii", "Andriy", "Andrew"),
    "Дмитрий": ("Dmitry", "Dmitriy", "Dmitrii"),
    "Дмитро": ("Dmytro", "Dmitro", "Dmitry"),
    "Алексей": ("Alexey", "Alexei", "Aleksey"),
    "Олексій": ("Oleksii", "Oleksiy", "Olexiy"),
    "Юрий": ("Yuri", "Yuriy", "Yury", "Iurii"),
    "Юрій": ("Yurii", "Yuriy", "Yura"),
    "Евгений": ("Evgeny", "Evgeniy", "Yevgeniy", "Eugene"),
    "Євген": ("Yevhen", "Evgen", "Yevgen", "Eugene"),
    "Михаил": ("Mikhail", "Michail", "Michael"),
    "Михайло": ("Mykhailo", "Mykhaylo", "Michael"),
    "Николай": ("Nikolay", "Nikolai", "Nick"),
    "Микола": ("Mykola", "Mikola"),
    "Владимир": ("Vladimir", "Wladimir"),
    "Володимир": ("Volodymyr", "Volodimir"),
}


def _social_char(s: str, i: int, lang: str, rng: random.Random) -> str:
    ch = s[i]
    if ch == "й":
        if s[i - 1 : i] == "и" and _end(s, i):
            return rng.choice(("y", "i", ""))
        return "y"
    options = {
        "х": ("kh", "h"),
        "ц": ("ts", "c", "tz"),
        "щ": ("sch", "shch"),
        "ю": ("yu", "iu", "ju"),
        "я": ("ya", "ia", "ja"),
        "ё": ("yo", "e"),
        "є": ("ye", "e"),
        "ї": ("yi", "i"),
        "г": ("h", "g") if lang == "uk" else ("g",),
        "и": ("y", "i") if lang == "uk" else ("i",),
        "е": ("e", "ye") if _start(s, i) else ("e",),
    }
    if ch == "к" and _nxt(s, i) == "с" and rng.random() < 0.4:
        return "x\0"  # the NUL marks the next letter as consumed
    return rng.choice(options[ch]) if ch in options else BASE.get(ch, ch)


def social_spelling(text: str, lang: str, rng: random.Random) -> str:
    """How a relative might spell a Cyrillic name on a social network: inconsistent."""
    if text in SOCIAL_NAMES and rng.random() < 0.7:
        return rng.choice(SOCIAL_NAMES[text])
    s = text.lower()
    out, skip = [], False
    for i in range(len(s)):
        if skip:
            skip = False
            continue
        piece = _social_char(s, i, lang, rng)
        skip = piece.endswith("\0")
        out.append(piece.rstrip("\0"))
    return _title("".join(out))


# ---------------------------------------------------------------------------------------
# People


@dataclass(frozen=True, slots=True)
class Person:
    """A synthetic person as they are, before anyone writes them down."""

    sex: str  # "m" or "f"
    lang: str  # "ru" or "uk": the language of their own documents
    surname: str  # masculine Cyrillic form, in `lang`
    given: int  # index in given_names(sex)
    father: int  # index in given_names("m")
    dob: date
    yo: bool  # whether ё is written as such (else е), by registrar and family alike


@dataclass(frozen=True, slots=True)
class Fields:
    """A name and date as written in one record: Cyrillic forms in a language."""

    lang: str
    surname: str
    given: str
    patronymic: str
    dob: str


def _index(rng: random.Random, cum: Sequence[float]) -> int:
    return min(bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def _birth_date(rng: random.Random, year: int | None = None) -> date:
    if year is None:
        year = min(2006, int(rng.triangular(1960, 2007, 1994)))
    first = date(year, 1, 1)
    return first + timedelta(days=rng.randrange((date(year + 1, 1, 1) - first).days))


def new_person(rng: random.Random) -> Person:
    """A person drawn from the name and birth distributions."""
    sex = "f" if rng.random() < 0.03 else "m"
    lang = "uk" if rng.random() < 0.55 else "ru"
    names, cum = surnames(lang)
    return Person(
        sex=sex,
        lang=lang,
        surname=names[_index(rng, cum)],
        given=_index(rng, _given_cum(sex)),
        father=_index(rng, _given_cum("m")),
        dob=_birth_date(rng),
        yo=rng.random() < 0.3,
    )


def namesake(rng: random.Random, of: Person, *, same_year: bool) -> Person:
    """Another person with the same surname and given name (often the same father's
    name)."""
    father = of.father if rng.random() < 0.4 else _index(rng, _given_cum("m"))
    if same_year:
        year = of.dob.year
    else:
        year = of.dob.year + rng.choice((-1, 1)) * rng.randint(2, 12)
        year = min(2006, max(1960, year))
        if year == of.dob.year:
            year = of.dob.year + (3 if year < 2000 else -3)
    return replace(of, father=father, dob=_birth_date(rng, year))


def key(p: Person) -> tuple[str, int, int, date]:
    return (p.surname, p.given, p.father, p.dob)


def _twin_key(p: Person) -> tuple[str, int, int, int]:
    return (p.surname, p.given, p.father, p.dob.year)


def fields_of(p: Person, lang: str | None = None) -> Fields:
    """The person's names in Cyrillic, in their own language or in `lang`."""
    lang = lang or p.lang
    surname = p.surname if lang == p.lang else other_language_surname(p.surname, p.lang)
    if p.sex == "f":
        surname = feminine_surname(surname, lang)
    out = Fields(
        lang,
        surname,
        given_names(p.sex)[p.given].form(lang),
        patronymic(given_names("m")[p.father], lang, p.sex),
        p.dob.isoformat(),
    )
    return out if p.yo else _no_yo(out)


def _yo_free(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")


def _no_yo(f: Fields) -> Fields:
    fix = _yo_free
    return replace(f, surname=fix(f.surname), given=fix(f.given), patronymic=fix(f.patronymic))


# ---------------------------------------------------------------------------------------
# The registry

REGISTRY_SCRIPTS = (
    ("cyrillic", 0.34),
    ("icao", 0.24),
    ("kmu", 0.10),
    ("bgn", 0.10),
    ("gost", 0.04),
    ("scholarly", 0.03),
    ("german", 0.08),
    ("french", 0.07),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """How the registrar wrote one person down."""

    person: Person
    script: str  # "cyrillic" or a scheme in SCHEMES
    precision: str  # "day", "month", "year" or "none"
    has_patronymic: bool
    upper: bool


def _registrar_style(rng: random.Random, p: Person) -> Entry:
    scripts, weights = zip(*REGISTRY_SCRIPTS, strict=True)
    script = rng.choices(scripts, weights)[0]
    if script == "kmu" and p.lang == "ru":
        script = "icao"  # the Ukrainian passport scheme is only used for Ukrainian names
    precision = rng.choices(("day", "month", "year", "none"), (84, 3, 9, 4))[0]
    upper = rng.random() < (0.35 if script != "cyrillic" else 0.08)
    return Entry(p, script, precision, rng.random() >= 0.15, upper)


def _cut_date(iso: str, precision: str) -> str:
    return {"day": iso, "month": iso[:7], "year": iso[:4], "none": ""}[precision]


def render(f: Fields, script: str, *, upper: bool = False) -> dict[str, str]:
    """The fields as written in one script ("cyrillic" or a scheme)."""
    names: tuple[str, ...] = (f.surname, f.given, f.patronymic)
    if script != "cyrillic":
        names = tuple(transliterate(n, script, f.lang) if n else "" for n in names)
    if upper:
        names = tuple(n.upper() for n in names)
    return {
        "surname": names[0],
        "given_name": names[1],
        "patronymic": names[2],
        "date_of_birth": f.dob,
    }


def registry_row(entry: Entry, record_id: str) -> dict[str, str]:
    f = fields_of(entry.person)
    f = replace(
        f,
        patronymic=f.patronymic if entry.has_patronymic else "",
        dob=_cut_date(f.dob, entry.precision),
    )
    return {"id": record_id, **render(f, entry.script, upper=entry.upper)}


def _build_registry(rng: random.Random, size: int) -> list[Entry]:
    people: list[Person] = []
    keys: set[tuple[str, int, int, date]] = set()
    while len(people) < size:
        if people and rng.random() < 0.03:
            p = namesake(rng, rng.choice(people), same_year=rng.random() < 0.5)
        else:
            p = new_person(rng)
        if key(p) not in keys:
            keys.add(key(p))
            people.append(p)
    rng.shuffle(people)
    return [_registrar_style(rng, p) for p in people]


# ---------------------------------------------------------------------------------------
# Errors


def _applicable(kind: str, e: Entry) -> bool:
    """Whether an error kind would change something for this registry entry."""
    p = e.person
    given = given_names(p.sex)[p.given]
    checks = {
        "patronymic_missing": e.has_patronymic,
        "patronymic_initial": e.has_patronymic,
        "year_only": e.precision in ("day", "month"),
        "month_year": e.precision == "day",
        "dm_swap": e.precision == "day" and p.dob.day <= 12 and p.dob.day != p.dob.month,
        "date_wrong": e.precision == "day",
        "date_missing": e.precision != "none",
        "ru_uk_form": _yo_free(given.ru) != _yo_free(given.uk),
        "diminutive": bool(given.dims(p.lang)),
    }
    return checks.get(kind, True)


def _date_wrong(rng: random.Random, dob: date) -> str:
    """The date off by one year, or with one digit wrong (still a valid date)."""
    if rng.random() < 0.4:
        return _shift_year(dob, rng.choice((-1, 1))).isoformat()
    iso = dob.isoformat()
    for _ in range(30):
        pos = rng.choice((2, 3, 5, 6, 8, 9))
        digit = str(rng.randrange(10))
        candidate = iso[:pos] + digit + iso[pos + 1 :]
        try:
            moved = date.fromisoformat(candidate)
        except ValueError:
            continue
        if moved != dob and 1930 <= moved.year <= 2015:
            return candidate
    return _shift_year(dob, 1).isoformat()


def _shift_year(d: date, by: int) -> date:
    try:
        return d.replace(year=d.year + by)
    except ValueError:  # 29 February
        return d.replace(year=d.year + by, day=28)


def _date_error(kind: str, rng: random.Random, dob: date) -> str:
    if kind == "year_only":
        return dob.isoformat()[:4]
    if kind == "month_year":
        return dob.isoformat()[:7]
    if kind == "dm_swap":
        return date(dob.year, dob.day, dob.month).isoformat()
    if kind == "date_missing":
        return ""
    return _date_wrong(rng, dob)


KEYBOARD_ROWS = {
    "ru": ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю"),
    "uk": ("йцукенгшщзхї", "фівапролджє", "ячсмитьбю"),
    "latin": ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
}


@cache
def _neighbours(layout: str) -> dict[str, str]:
    rows = KEYBOARD_ROWS[layout]
    out: dict[str, str] = {}
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            near = [row[c - 1] if c else "", row[c + 1 : c + 2]]
            near += [rows[rr][c : c + 1] for rr in (r - 1, r + 1) if 0 <= rr < len(rows)]
            out[ch] = "".join(near)
    return out


def typo(text: str, rng: random.Random, lang: str) -> str:
    """One typing slip in a name: a neighbouring key, a dropped or doubled letter, or two
    letters transposed. The first letter is kept."""
    if len(text) < 3:
        return text + text[-1:]
    layout = lang if any("\u0400" <= c <= "\u04ff" for c in text) else "latin"
    for _ in range(20):
        i = rng.randrange(1, len(text))
        op = rng.choices(("near", "drop", "double", "swap"), (35, 25, 20, 20))[0]
        if op == "near":
            near = _neighbours(layout).get(text[i].lower(), "")
            out = text[:i] + rng.choice(near) + text[i + 1 :] if near else text
        elif op == "drop":
            out = text[:i] + text[i + 1 :]
        elif op == "double":
            out = text[: i + 1] + text[i:]
        else:
            out = text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :] if i > 1 else text
        if out != text:
            return out
    return text + text[-1]


def _initial(name: str, rng: random.Random) -> str:
    return name[:1] + ("." if rng.random() < 0.8 else "") if name else ""


# ---------------------------------------------------------------------------------------
# Inquiries


def _content(kinds: Sequence[str], e: Entry, rng: random.Random) -> Fields:
    """The Cyrillic content a family would write, with the content-level errors."""
    p = e.person
    f = fields_of(p)
    if "ru_uk_form" in kinds:
        other = "ru" if p.lang == "uk" else "uk"
        switched = fields_of(p, other)
        keep_surname = rng.random() < 0.5
        f = replace(switched, surname=f.surname if keep_surname else switched.surname)
    if "diminutive" in kinds:
        f = replace(f, given=rng.choice(given_names(p.sex)[p.given].dims(p.lang)))
    if "patronymic_missing" in kinds:
        f = replace(f, patronymic="")
    for kind in kinds:
        if kind in DATE_BLURRING:
            f = replace(f, dob=_date_error(kind, rng, p.dob))
    return f


def _inquiry_script(kinds: Sequence[str], e: Entry, rng: random.Random) -> str:
    """Cyrillic mostly; sometimes the registry's own Latin spelling; for `translit` a
    Latin spelling other than the registry's."""
    if "translit" in kinds:
        choices = [s for s in ("social", *SCHEMES) if s != e.script]
        if e.person.lang == "ru":
            choices.remove("kmu")
        weights = [6 if s == "social" else 1 for s in choices]
        return rng.choices(choices, weights)[0]
    if e.script != "cyrillic" and rng.random() < 0.15:
        return e.script
    return "cyrillic"


def _write(f: Fields, script: str, rng: random.Random) -> dict[str, str]:
    if script != "social":
        return render(f, script)
    names = [social_spelling(n, f.lang, rng) if n else "" for n in (f.surname, f.given)]
    patr = social_spelling(f.patronymic, f.lang, rng) if f.patronymic else ""
    return {"surname": names[0], "given_name": names[1], "patronymic": patr, "date_of_birth": f.dob}


def _differs_from_registry(row: dict[str, str], reg: dict[str, str]) -> bool:
    return any(row[k].lower() != reg[k].lower() for k in ("surname", "given_name", "patronymic"))


def _other_spelling(
    f: Fields, e: Entry, reg: dict[str, str], rng: random.Random
) -> dict[str, str] | None:
    """A Latin spelling unlike the registry's, when the first choice happened to match."""
    schemes = [s for s in SCHEMES if s != e.script and (s != "kmu" or f.lang == "uk")]
    rng.shuffle(schemes)
    for script in ["social"] * 3 + schemes:
        row = _write(f, script, rng)
        if _differs_from_registry(row, reg):
            return row
    return None


def inquiry_row(
    kinds: Sequence[str], e: Entry, reg: dict[str, str], rng: random.Random
) -> dict[str, str]:
    """An inquiry about a registry entry with the given error kinds applied."""
    f = _content(kinds, e, rng)
    row = _write(f, _inquiry_script(kinds, e, rng), rng)
    if "translit" in kinds and not _differs_from_registry(row, reg):
        row = _other_spelling(f, e, reg, rng) or row
    if "patronymic_initial" in kinds:
        row["patronymic"] = _initial(row["patronymic"], rng)
    if "typo" in kinds:
        field = rng.choices(("surname", "given_name", "patronymic"), (55, 35, 10))[0]
        field = field if row[field] and reg[field] else "surname"  # where it can be seen
        row[field] = typo(row[field], rng, f.lang)
    if "swap" in kinds:
        row["surname"], row["given_name"] = row["given_name"], row["surname"]
    return row


def _quotas(total: int, shares: dict[str, float]) -> list[str]:
    """Exactly `total` tags in the given shares (largest remainders)."""
    raw = {t: total * s / sum(shares.values()) for t, s in shares.items()}
    counts = {t: int(v) for t, v in raw.items()}
    for t in sorted(raw, key=lambda t: counts[t] - raw[t])[: total - sum(counts.values())]:
        counts[t] += 1
    return [t for t, n in counts.items() for _ in range(n)]


def matching_shares() -> dict[str, float]:
    rest = 1.0 - CLEAN_SHARE - COMBINED_SHARE * len(COMBINED_KINDS)
    shares = {"none": CLEAN_SHARE}
    shares.update({k: rest / len(SINGLE_KINDS) for k in SINGLE_KINDS})
    shares.update({k: COMBINED_SHARE for k in COMBINED_KINDS})
    return shares


def _target(kinds: Sequence[str], entries: list[Entry], used: set[int], rng: random.Random) -> int:
    """A registry entry the kinds apply to, preferring people not yet asked about."""
    fallback = -1
    for _ in range(200):
        i = rng.randrange(len(entries))
        if all(_applicable(k, entries[i]) for k in kinds):
            if i not in used:
                return i
            fallback = i
    return fallback if fallback >= 0 else rng.randrange(len(entries))


def _absent_person(
    rng: random.Random, entries: list[Entry], keys: set[tuple[str, int, int, date]]
) -> tuple[Person, bool]:
    """Someone not in the registry: a third are namesakes of a registry person."""
    while True:
        is_namesake = rng.random() < 1 / 3
        if is_namesake:
            p = namesake(rng, rng.choice(entries).person, same_year=False)
        else:
            p = new_person(rng)
        if key(p) not in keys:
            return p, is_namesake


def _no_match_kinds(rng: random.Random, entry: Entry, keep_date: bool) -> tuple[str, ...]:
    """Surface noise for a non-matching inquiry so it looks like the matching ones."""
    shares = matching_shares()
    kinds, weights = list(shares), list(shares.values())
    for _ in range(50):
        tag = rng.choices(kinds, weights)[0]
        parts = tuple(t for t in tag.split("+") if t != "none")
        if keep_date and DATE_BLURRING.intersection(parts):
            continue
        if all(_applicable(k, entry) for k in parts):
            return parts
    return ()


def _no_match_row(
    rng: random.Random,
    entries: list[Entry],
    keys: set[tuple[str, int, int, date]],
    twins: set[tuple[str, int, int, int]],
) -> dict[str, str]:
    person, is_namesake = _absent_person(rng, entries, keys)
    # An imagined registry entry, so that translit picks a spelling and the noise applies.
    entry = replace(_registrar_style(rng, person), precision="day", has_patronymic=True)
    # Blurring the date of someone whose name and year are in the registry would make the
    # inquiry indistinguishable from a registry person: keep the date then.
    keep_date = is_namesake or _twin_key(person) in twins
    kinds = _no_match_kinds(rng, entry, keep_date)
    return inquiry_row(kinds, entry, registry_row(entry, ""), rng)


def generate(
    registry_size: int, inquiry_count: int, *, seed: int = 2026, no_match_share: float = 0.3
) -> tuple[list[dict[str, str]], list[dict[str, str]], list[dict[str, str]]]:
    """The registry, the inquiries and the truth rows, deterministic for a seed."""
    rng = random.Random(seed)
    entries = _build_registry(rng, registry_size)
    registry = [registry_row(e, f"R{i + 1:07d}") for i, e in enumerate(entries)]
    keys = {key(e.person) for e in entries}
    twins = {_twin_key(e.person) for e in entries}
    matching = round(inquiry_count * (1 - no_match_share))
    tags = _quotas(matching, matching_shares()) + ["no_match"] * (inquiry_count - matching)
    rng.shuffle(tags)
    used: set[int] = set()
    inquiries, truth = [], []
    for n, tag in enumerate(tags):
        inquiry_id = f"Q{n + 1:06d}"
        if tag == "no_match":
            row = _no_match_row(rng, entries, keys, twins)
            truth.append({"inquiry_id": inquiry_id, "tag": tag, "truth": ""})
        else:
            kinds = tuple(k for k in tag.split("+") if k != "none")
            i = _target(kinds, entries, used, rng)
            used.add(i)
            row = inquiry_row(kinds, entries[i], registry[i], rng)
            truth.append({"inquiry_id": inquiry_id, "tag": tag, "truth": registry[i]["id"]})
        inquiries.append({"inquiry_id": inquiry_id, **row})
    return registry, inquiries, truth


def _write_csv(path: Path, fields: Sequence[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)


def write_csvs(
    folder: Path,
    registry_size: int,
    inquiry_count: int,
    *,
    seed: int = 2026,
    no_match_share: float = 0.3,
) -> Counter[str]:
    """Write registry.csv, inquiries.csv and truth.csv; return the count of each tag."""
    registry, inquiries, truth = generate(
        registry_size, inquiry_count, seed=seed, no_match_share=no_match_share
    )
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "registry.csv", REGISTRY_FIELDS, registry)
    _write_csv(folder / "inquiries.csv", INQUIRY_FIELDS, inquiries)
    _write_csv(folder / "truth.csv", TRUTH_FIELDS, truth)
    return Counter(t["tag"] for t in truth)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--registry", type=int, default=200_000)
    parser.add_argument("--inquiries", type=int, default=20_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-match-share", type=float, default=0.3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tags = write_csvs(
        args.out,
        args.registry,
        args.inquiries,
        seed=args.seed,
        no_match_share=args.no_match_share,
    )
    elapsed = time.perf_counter() - started
    for tag, n in sorted(tags.items(), key=lambda kv: -kv[1]):
        print(f"{tag:32} {n:7d} {n / args.inquiries:6.1%}")
    print(f"wrote {args.out} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()

"""Split a person's name fields into surname, given name and patronymic keys.

Families type names however they can: all in one field, patronymic in the
given-name field, only its initial, Ukrainian forms of Russian names. This
module turns the three raw fields into comparable keys; it never guesses
which of surname and given name was swapped (the model scores that).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from safeconduct.tracing.names import word_skeleton, words

_DATA_FILE = "given_name_equivalents.csv"
_DIMINUTIVES_FILE = "given_name_diminutives.csv"
# Skeleton ending of a diminutive suffix (-ко, -ка: Макарко, Егорка, Левко).
_DIMINUTIVE_ENDING = "ka"
# Skeleton endings of patronymics: -ovich/-evich/-ovych/-yovych, -ich, -ovna/-evna.
_PATRONYMIC_ENDINGS = ("vaz", "vna")


@dataclass(frozen=True, slots=True)
class Equivalents:
    """Lookups from a name skeleton to the skeleton of its Russian form."""

    given: dict[str, str]
    patronymic: dict[str, str]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("safeconduct.tracing").joinpath("data", name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def equivalents() -> Equivalents:
    """Load the Russian/Ukrainian given-name and patronymic equivalents, and diminutives."""
    given: dict[str, str] = {}
    patronymic: dict[str, str] = {}
    for row in _rows(_DATA_FILE):
        _add_pair(given, row["russian"], row["ukrainian"])
        _add_pair(patronymic, row["russian_patronymic"], row["ukrainian_patronymic"])
    _add_diminutives(given, _rows(_DIMINUTIVES_FILE))
    return Equivalents(given=given, patronymic=patronymic)


def _add_diminutives(given: dict[str, str], rows: list[dict[str, str]]) -> None:
    meanings: dict[str, set[str]] = {}
    for row in rows:
        full = word_skeleton(row["name"])
        meanings.setdefault(word_skeleton(row["diminutive"]), set()).add(given.get(full, full))
    for short, keys in meanings.items():
        # Skeletons fold vowels, so two forms may meet (Саня, Сеня): such a
        # skeleton names no one in particular. A full name keeps its own key.
        if len(keys) == 1:
            given.setdefault(short, keys.pop())


def _add_pair(table: dict[str, str], russian: str, ukrainian: str) -> None:
    key = word_skeleton(russian)
    # The first row wins, so a name listed twice keeps one stable key.
    table.setdefault(key, key)
    table.setdefault(word_skeleton(ukrainian), table[key])


@lru_cache(maxsize=50_000)
def given_key(word: str) -> str:
    """Return the key shared by every spelling, national and diminutive form of a given name."""
    sk = word_skeleton(word)
    table = equivalents().given
    if sk in table:
        return table[sk]
    # A known name with a diminutive suffix (Лазарко, Егорка) is that name.
    stem = sk.removesuffix(_DIMINUTIVE_ENDING)
    if stem != sk and len(stem) >= 3 and stem in table:
        return table[stem]
    return sk


def is_known_given_name(word: str) -> bool:
    """Tell whether a given name is one the name tables know (in any form)."""
    sk = word_skeleton(word)
    return sk in equivalents().given or given_key(word) != sk


@lru_cache(maxsize=50_000)
def patronymic_key(word: str) -> str:
    """Return the key shared by every spelling and national form of a patronymic."""
    sk = word_skeleton(word)
    return equivalents().patronymic.get(sk, sk)


@lru_cache(maxsize=50_000)
def initial_key(word: str) -> str:
    """Return a key for the first sound of a name, as its initial would be written.

    Vowels stay apart (a skeleton folds them all into one), and a glide
    written before a vowel gives way to it: Ye, Je and Ie are all E.
    """
    latin = "".join(words(word))
    if len(latin) > 1 and latin[0] in "yji" and latin[1] in "aeiou":
        latin = latin[1:]
    if latin.startswith("ou"):  # French у
        return "u"
    if latin[:1] in tuple("aeiouy"):
        return "i" if latin[0] == "y" else latin[0]
    return word_skeleton(latin)[:1]


def looks_like_patronymic(word: str) -> bool:
    """Tell whether a word is shaped like a male or female patronymic."""
    sk = word_skeleton(word)
    if sk in equivalents().patronymic:
        return True
    return len(sk) > 4 and sk.endswith(_PATRONYMIC_ENDINGS)


@dataclass(frozen=True, slots=True)
class PersonName:
    """Canonical Latin words of a name, split into its three parts."""

    surname: str
    given: str
    patronymic: str

    @property
    def patronymic_is_initial(self) -> bool:
        """Tell whether only the patronymic's initial is known.

        Two letters count as an initial: one Cyrillic letter may take two
        Latin ones (Я. -> Ya., Ю. -> Yu.).
        """
        return 0 < len(self.patronymic) <= 2


def split_name(surname: str, given: str, patronymic: str) -> PersonName:
    """Split raw name fields into surname, given name and patronymic."""
    sur, giv, pat = words(surname), words(given), words(patronymic)
    if not giv and not pat and len(sur) > 1:
        # Whole name in one field, written in the Russian order: surname first.
        sur, giv = sur[:1], sur[1:]
    if not pat and len(giv) > 1 and _is_patronymic_or_initial(giv[-1]):
        giv, pat = giv[:-1], giv[-1:]
    return PersonName(surname=" ".join(sur), given=" ".join(giv), patronymic=" ".join(pat))


def _is_patronymic_or_initial(word: str) -> bool:
    return len(word) <= 2 or looks_like_patronymic(word)

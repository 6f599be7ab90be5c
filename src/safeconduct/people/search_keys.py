"""Search keys and what a query looks for: pure functions of names, dates and numbers.

For each name word, whatever its script or transliteration: its canonical Latin spelling
(field `w`) and its sounds (`s`: the coarse phonetic skeleton of the tracing normaliser,
and that of its Russian/Ukrainian equivalent). For the date of birth: its year (`y`),
year-month (`m`) and the date as known (`dob`). The service number without spaces or
dashes (`n`). A query token becomes probes of the same keys, one typo away included:
every string one edit from the query word, in sounds and in spelling, is a key to look up.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from safeconduct.tracing.names import coarse, word_skeleton, words
from safeconduct.tracing.person_names import given_key, patronymic_key

KEY_LENGTH = 80  # PersonSearchKey.key
# Below this length a word one edit away is another name, not a typo ("ara" is not "abra");
# skeletons need one more letter (vowels all fold to "a", so they have more neighbours).
MIN_TYPO_LENGTH = 4
MIN_SOUND_TYPO_LENGTH = 5
# How well a query token matched a person's key: exact spelling, same sounds, a date known
# in part; one edit away, or the beginning of a word.
EXACT, SOUND, PARTIAL, NEAR = 4, 3, 2, 1
LETTERS = string.ascii_lowercase
# Every letter a coarse skeleton can hold (vowels fold to "a", sibilants and gutturals to
# "z", and so on): the alphabet of its one-edit neighbours.
_SKELETONLETTERS = "".join(sorted({coarse(word_skeleton(c)) for c in LETTERS} - {""}))
_NUMBER_ALPHABET = string.digits + string.ascii_uppercase
_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_FULL_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED_DATE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_DOTTED_MONTH = re.compile(r"(\d{1,2})[./](\d{4})")
_NOT_ALNUM = re.compile(r"[\W_]+")
_HARD_C = re.compile(r"c(?=[abcdfgklmnopqrstuvwxz]|$)")
_J_AS_ZH = re.compile(r"j(?=[aeiouy])")
_TOKEN_SPLIT = re.compile(r"[\s,;]+")


# --- stored keys ------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _spellings(word: str) -> frozenset[str]:
    """The word, and its readings in the French or Romanian manner, which no skeleton
    folds: a hard "c" (Cosolobenco, Olecsandr) where "c" cannot be ц, ч or ш (not before
    e, i, y or h), and "j" before a vowel as ж (Jukov)."""
    return frozenset({word, _HARD_C.sub("k", word), _J_AS_ZH.sub("zh", word)})


@lru_cache(maxsize=200_000)
def sounds(word: str) -> frozenset[str]:
    """Return the sound keys of one canonical Latin word: its coarse skeleton, and that of
    the Russian form its given-name or patronymic equivalents share (Mykola ~ Nikolai)."""
    keys: set[str] = set()
    for spelled in _spellings(word):
        if sk := word_skeleton(spelled):
            keys |= {coarse(sk), coarse(given_key(spelled)), coarse(patronymic_key(spelled))}
    return frozenset(keys)


def word_keys(word: str) -> set[tuple[str, str]]:
    """Return the stored keys of one canonical Latin word: its spelling and its sounds."""
    return {("w", word), *(("s", key) for key in sounds(word))}


def service_number_key(text: str) -> str:
    """Return a service number as compared: upper case, letters and digits only."""
    return _NOT_ALNUM.sub("", text).upper()


def date_keys(date_of_birth: str) -> set[tuple[str, str]]:
    """Return the stored keys of a date of birth (YYYY, YYYY-MM or YYYY-MM-DD)."""
    keys = {("dob", date_of_birth)}
    if len(date_of_birth) >= 4:
        keys.add(("y", date_of_birth[:4]))
    if len(date_of_birth) >= 7:
        keys.add(("m", date_of_birth[:7]))
    return keys


def person_keys(person: Any) -> set[tuple[str, str]]:
    """Return every search key of a person (any object with the Person fields)."""
    if getattr(person, "erased_on", None) is not None:
        return set()
    keys: set[tuple[str, str]] = set()
    names = (person.surname, person.given_names, person.patronymic, person.name_original_script)
    for text in names:
        for word in words(text or ""):
            keys |= word_keys(word)
    if person.date_of_birth:
        keys |= date_keys(person.date_of_birth)
    if person.service_number and (number := service_number_key(person.service_number)):
        keys.add(("n", number))
    return {(field, key[:KEY_LENGTH]) for field, key in keys}


# --- what a query looks for -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """Keys of one field that count as a match of a given weight, or (`prefix`) the keys
    starting with it: a word being typed, a service number half known."""

    field: str
    keys: frozenset[str]
    weight: int
    prefix: str | None = None

    def __bool__(self) -> bool:
        return bool(self.keys or self.prefix)


@dataclass(frozen=True, slots=True)
class Group:
    """What one query token may match: any of its probes; the best weight counts.
    `names`: the Latin words it stands for, if a name (to rank close spellings first)."""

    probes: tuple[Probe, ...]
    names: tuple[str, ...] = ()


def successor(prefix: str) -> str | None:
    """Return the first string after every string starting with `prefix`, in the order of
    the keys' alphabets (a-z for names; 0-9 then A-Z for service numbers); None if none."""
    alphabet = _NUMBER_ALPHABET if prefix.isupper() or prefix.isdigit() else LETTERS
    stem = prefix.rstrip(alphabet[-1])
    if not stem:
        return None
    return stem[:-1] + alphabet[alphabet.index(stem[-1]) + 1]


def one_edit(word: str, alphabet: str) -> set[str]:
    """Return every string one letter lost, added, changed or swapped away from `word`
    (none for short words, and none shorter than a typo can be)."""
    if len(word) < MIN_TYPO_LENGTH:
        return set()
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    near = {a + b[1:] for a, b in splits if b}
    near |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    near |= {a + c + b[1:] for a, b in splits if b for c in alphabet}
    near |= {a + c + b for a, b in splits for c in alphabet}
    return {n for n in near if len(n) >= MIN_TYPO_LENGTH} - {word}


def _probe(field: str, keys: Iterable[str], weight: int) -> Probe:
    return Probe(field, frozenset(k[:KEY_LENGTH] for k in keys if k), weight)


def _prefix(field: str, start: str, alphabet: str) -> Probe:
    """Keys starting with `start`, from three characters on (fewer would match too many)."""
    usable = len(start) >= 3 and set(start) <= set(alphabet)
    return Probe(field, frozenset(), NEAR, start[:KEY_LENGTH] if usable else None)


def name_probes(word: str, *, typing: bool = False) -> list[Probe]:
    """Probes of one canonical Latin query word: its spelling, its sounds, one edit away
    (in sounds, or in spelling when a typo merges sounds: Iaanov), and (`typing`: the last
    word, maybe not finished) its beginning."""
    near_sounds: set[str] = set()
    for spelled in _spellings(word):
        rough = coarse(word_skeleton(spelled))
        # Short skeletons have too many neighbours (vowels all fold to "a").
        if len(rough) >= MIN_SOUND_TYPO_LENGTH:
            near_sounds |= one_edit(rough, _SKELETONLETTERS)
    probes = [
        _probe("w", [word], EXACT),
        _probe("s", sounds(word), SOUND),
        _probe("s", near_sounds, NEAR),
        _probe("w", one_edit(word, LETTERS), NEAR),
    ]
    if typing:
        probes.append(_prefix("w", word, LETTERS))
    return probes


def _iso(year: str, month: str, day: str | None = None) -> str | None:
    if not 1 <= int(month) <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return None
    return f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day is not None else "")


def parse_date(token: str) -> str | None:
    """Read a full or partial date (YYYY, YYYY-MM, YYYY-MM-DD, MM.YYYY, DD.MM.YYYY) as ISO."""
    if _YEAR.fullmatch(token):
        return token
    if m := _FULL_DATE.fullmatch(token):
        return _iso(m[1], m[2], m[3])
    if m := _YEAR_MONTH.fullmatch(token):
        return _iso(m[1], m[2])
    if m := _DOTTED_DATE.fullmatch(token):
        return _iso(m[3], m[2], m[1])
    if m := _DOTTED_MONTH.fullmatch(token):
        return _iso(m[2], m[1])
    return None


def date_probes(iso: str) -> list[Probe]:
    """Probes of a query date: people born then, and people whose known date holds it."""
    field = {4: "y", 7: "m", 10: "dob"}[len(iso)]
    # A person known only by year (or year and month) may be the one asked about.
    return [
        _probe(field, [iso], EXACT),
        _probe("dob", [iso[:7]] if len(iso) == 10 else [], PARTIAL),
        _probe("dob", [iso[:4]] if len(iso) > 4 else [], NEAR),
    ]


def token_groups(token: str, *, typing: bool = False) -> list[Group]:
    """Turn one whitespace-separated query token into what it may match; `typing`: it is
    the last one, maybe not finished."""
    if any(c.isdigit() for c in token):
        number = service_number_key(token)
        probes = [_probe("n", [number], EXACT), _prefix("n", number, _NUMBER_ALPHABET)]
        if (iso := parse_date(token)) is not None:
            probes += date_probes(iso)
        return [Group(tuple(p for p in probes if p))]
    # "Petrova-Vodkina" is two words, each its own group.
    names = words(token)
    return [
        Group(tuple(p for p in name_probes(w, typing=typing and i == len(names) - 1) if p), (w,))
        for i, w in enumerate(names)
    ]


def query_groups(q: str) -> list[Group]:
    """Cut a query into groups. A service number typed with spaces ("AB 123 456") also
    counts whole: each group accepts it, so its holder matches every group."""
    tokens = [t for t in _TOKEN_SPLIT.split(q.strip()) if t]
    last = len(tokens) - 1
    groups = [
        g for i, t in enumerate(tokens) for g in token_groups(t, typing=i == last) if g.probes
    ]
    whole = service_number_key(q)
    if len(tokens) > 1 and any(c.isdigit() for c in whole):
        extra = _probe("n", [whole], EXACT)
        groups = [Group((*g.probes, extra), g.names) for g in groups]
    return groups


# --- how close a name is spelled -------------------------------------------------------


def closeness(groups: Sequence[Group], names: Sequence[str | None]) -> float:
    """How closely a person's name words match the query's name words: for each query
    word, the best likeness to one of theirs, summed."""
    theirs = [w for text in names for w in words(text or "")]
    return sum(
        max((_likeness(mine, other) for other in theirs), default=0.0)
        for group in groups
        for mine in group.names
    )


@lru_cache(maxsize=200_000)
def _likeness(mine: str, theirs: str) -> float:
    """1 for the same spelling, 0.95 for the same fine sounds (Sergei, Sergey), else how many
    letter pairs (bigrams) the spellings share (Dice): Sukhanov is like "Sukhnov"."""
    if mine == theirs:
        return 1.0
    if _fine_sounds(mine) & _fine_sounds(theirs):
        return 0.95
    return _dice(_bigrams(mine), _bigrams(theirs))


@lru_cache(maxsize=200_000)
def _fine_sounds(word: str) -> frozenset[str]:
    # Sounds before the coarse merge: Sukhnov and Sosnov sound alike only coarsely.
    return frozenset(
        key
        for spelled in _spellings(word)
        for key in (word_skeleton(spelled), given_key(spelled), patronymic_key(spelled))
    )


@lru_cache(maxsize=50_000)
def _bigrams(word: str) -> frozenset[str]:
    padded = f"^{word}$"
    return frozenset(padded[i : i + 2] for i in range(len(padded) - 1))


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b))

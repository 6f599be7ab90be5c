"""Normalise personal names across Cyrillic and Latin scripts.

Everything here is a pure function of its input. Two keys come out of a name:

- ``to_latin``: one canonical Latin spelling (lower-case ASCII words). Russian
  Cyrillic goes through ICAO Doc 9303 (iuliia), Ukrainian Cyrillic through the
  Ukrainian national 2010 system (translitua). Latin input is only cleaned,
  never turned back into Cyrillic.
- ``skeleton``: a phonetic key on which the spellings of every common
  transliteration system fall together (Shcherbakov, Ščerbakov, Schtscherbakow,
  Chtcherbakov, Sjtsjerbakov -> ``zarbakav``).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache

# Letters only Ukrainian uses: a word holding one is transliterated as Ukrainian.
_UKRAINIAN_ONLY = frozenset("іїєґІЇЄҐ")
# Apostrophes and primes mark softness or separation inside a word (В'ячеслав,
# Il'ya, Ilʹin): drop them rather than split there. Combining marks such as
# the ALA-LC tie (t͡s) stay inside the word until the Latin step removes them.
_APOSTROPHES = re.compile("['\u2019\u02bc\u02b9\u02ba\u2032\u2033\u0060\u00b4\"]")
_WORD_SPLIT = re.compile(r"[^\w\u0300-\u036f]+|_+")
_LATIN_WORD = re.compile(r"[a-z]+")


class Script(StrEnum):
    """Writing system of a piece of text."""

    EMPTY = "empty"
    LATIN = "latin"
    CYRILLIC = "cyrillic"
    MIXED = "mixed"
    OTHER = "other"


def _letter_script(char: str) -> Script:
    name = unicodedata.name(char, "")
    if name.startswith("CYRILLIC"):
        return Script.CYRILLIC
    if name.startswith("LATIN"):
        return Script.LATIN
    return Script.OTHER


def detect_script(text: str) -> Script:
    """Name the script of the letters in ``text``."""
    scripts = {_letter_script(c) for c in text if c.isalpha()}
    if not scripts:
        return Script.EMPTY
    if len(scripts) > 1:
        return Script.MIXED
    return scripts.pop()


def is_ukrainian(word: str) -> bool:
    """Tell whether a Cyrillic word uses a letter found only in Ukrainian."""
    return any(c in _UKRAINIAN_ONLY for c in word)


@lru_cache(maxsize=200_000)
def _word_to_latin(word: str) -> str:
    # Lower-case first: iuliia keeps the case pattern of digraphs badly (ЩЕ -> ShchE).
    word = word.lower()
    if any(_letter_script(c) is Script.CYRILLIC for c in word):
        if is_ukrainian(word):
            import translitua

            word = translitua.translit(word)
        else:
            import iuliia

            word = iuliia.ICAO_DOC_9303.translate(word)
    # NFKD splits diacritics (š -> s + caron, t͡s -> t s + breve) so they can be dropped.
    decomposed = unicodedata.normalize("NFKD", word.lower())
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    return "".join(_LATIN_WORD.findall(ascii_only))


@lru_cache(maxsize=200_000)
def words(text: str) -> tuple[str, ...]:
    """Split text into canonical Latin words, dropping punctuation and case."""
    normalised = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text))
    parts = (_word_to_latin(w) for w in _WORD_SPLIT.split(normalised) if w)
    return tuple(p for p in parts if p)


def to_latin(text: str) -> str:
    """Return the canonical Latin spelling of a name: lower-case words, one space apart."""
    return " ".join(words(text))


# Phonetic folding of a Latin word. Order matters: the regex takes the first
# alternative that matches at each position, so longer spellings come first.
_SOUND_RULES: tuple[tuple[str, str], ...] = (
    # Sibilants and affricates (ш щ ж ч ц з с) collapse to one class: systems
    # disagree on every one of them (sch, sh, š, ŝ, chtch, sjtsj, tsch, c, tz).
    (r"t?[szc]+[hj]?(?:t?[szc]+[hj]?)*", "z"),
    # х, г, ґ, кс: kh, h, x, ch (no: taken above), g, gh; Ukrainian г is h.
    (r"ks|kh|gh|x|g|h", "x"),
    (r"ck|q|k", "k"),
    (r"ph|ff|f|w|v", "v"),
    # Vowels, and the glides й/ь written as y, j or i, fold to a single vowel.
    (r"[aeiouyj]+", "a"),
)
_SOUND_PATTERN = re.compile("|".join(f"({p})" for p, _ in _SOUND_RULES))
_SOUND_REPLACEMENTS = tuple(r for _, r in _SOUND_RULES)


def _fold_match(match: re.Match[str]) -> str:
    assert match.lastindex is not None
    return _SOUND_REPLACEMENTS[match.lastindex - 1]


@lru_cache(maxsize=200_000)
def word_skeleton(word: str) -> str:
    """Return the phonetic skeleton of one word (any script)."""
    folded = _SOUND_PATTERN.sub(_fold_match, "".join(words(word)))
    # Doubled letters (Sergeev/Sergeyev, -skii/-sky) carry no information.
    return re.sub(r"(.)\1+", r"\1", folded)


def coarse(key: str) -> str:
    """Merge the guttural and sibilant classes of a skeleton.

    German writes х as ``ch`` and French writes ш as ``ch``, while English uses
    it for ч: no single reading is right, so the coarse key gives them up.
    """
    return key.replace("x", "z")


@lru_cache(maxsize=200_000)
def skeleton(text: str) -> str:
    """Return the phonetic skeleton of a name: one key per word, space-separated."""
    return " ".join(s for s in (word_skeleton(w) for w in words(text)) if s)

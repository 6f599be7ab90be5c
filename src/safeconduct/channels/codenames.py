"""Codenames: SecureDrop-style diceware from a bundled list of 4,096 words (12 bits each).

Seven words make 84 bits, beyond the 77 a keyed fast hash needs to resist guessing. The
words are consonant-vowel pairs spelled the same in Latin, Russian and Ukrainian letters,
so a codename typed or dictated in Cyrillic is read back to the same words.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources

WORDS_IN_CODENAME = 7
MIN_BITS = 77

_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "e",
        "э": "e", "з": "z", "и": "i", "і": "i", "ї": "i", "к": "k", "л": "l", "м": "m",
        "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    }
)  # fmt: skip
_SPLIT = re.compile(r"[\s\-_.,;:/]+")


@cache
def words() -> tuple[str, ...]:
    text = resources.files("safeconduct.channels").joinpath("codewords.txt").read_text("utf-8")
    # One word a line; comment lines (`#`) are skipped whole, never split into words.
    lines = (line.strip() for line in text.splitlines())
    return tuple(w for w in lines if w and not w.startswith("#") and w.isalpha() and w.islower())


def bits(count: int = WORDS_IN_CODENAME) -> float:
    return count * math.log2(len(words()))


def draw(pick: Callable[[Sequence[str]], str] = secrets.choice) -> str:
    """A fresh codename: seven words from the list, chosen by the system's CSPRNG."""
    vocabulary = words()
    return " ".join(pick(vocabulary) for _ in range(WORDS_IN_CODENAME))


def normalise(text: str) -> str | None:
    """The codename as it was issued, from what someone typed (any case, any separators,
    Latin or Cyrillic letters); None when it cannot be one. Never says which word is wrong."""
    parts = [p for p in _SPLIT.split(text.strip().lower().translate(_CYRILLIC)) if p]
    known = set(words())
    if len(parts) != WORDS_IN_CODENAME or not all(p in known for p in parts):
        return None
    return " ".join(parts)

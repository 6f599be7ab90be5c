"""Ranks as the registry stores them: English names, one per rank, shown translated."""

from __future__ import annotations

RANKS = (
    "private",
    "private first class",
    "corporal",
    "junior sergeant",
    "sergeant",
    "senior sergeant",
    "lieutenant",
    "senior lieutenant",
    "captain",
    "major",
)

"""Partial dates of birth: ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or unknown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_EPOCH = date(1970, 1, 1).toordinal()


class PartialDateError(ValueError):
    """Raised for a date that is neither empty nor ``YYYY[-MM[-DD]]``."""


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date of birth known to the year, the month or the day, or not at all."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or blank; raise on anything else."""
        return _parse(text.strip())

    @classmethod
    def _parse_uncached(cls, text: str) -> PartialDate:
        if not text:
            return cls()
        match = _PATTERN.match(text)
        if match is None:
            raise PartialDateError(f"expected YYYY-MM-DD, YYYY-MM or YYYY, got {text!r}")
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is not None and not 1 <= month <= 12:
            raise PartialDateError(f"month out of range in {text!r}")
        if day is not None:
            try:
                date(year or 1, month or 1, day)
            except ValueError as exc:
                raise PartialDateError(f"no such day: {text!r}") from exc
        return cls(year, month, day)

    @property
    def is_empty(self) -> bool:
        """Tell whether nothing is known."""
        return self.year is None

    @property
    def is_full(self) -> bool:
        """Tell whether the day is known."""
        return self.day is not None

    def epoch_day(self) -> int | None:
        """Return days since 1970-01-01 for a full date, else None."""
        if self.year is None or self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day).toordinal() - _EPOCH

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"] if self.year is not None else []
        parts += [f"{v:02d}" for v in (self.month, self.day) if v is not None]
        return "-".join(parts)


# Birth dates repeat across a registry; parsing each distinct one once is enough.
_parse = lru_cache(maxsize=1 << 16)(PartialDate._parse_uncached)

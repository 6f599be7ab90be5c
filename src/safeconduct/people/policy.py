"""Pure rules about identity data."""

from __future__ import annotations

import re
from datetime import date

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def check_partial_date(value: str) -> str:
    """Accept YYYY-MM-DD, YYYY-MM or YYYY naming a real date; raise ValueError otherwise."""
    match = _PARTIAL_DATE.fullmatch(value)
    if match is None:
        raise ValueError("must be YYYY-MM-DD, YYYY-MM or YYYY")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if not 1900 <= year <= 2100:
        raise ValueError("year must be between 1900 and 2100")
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError("is not a real date") from None
    return value

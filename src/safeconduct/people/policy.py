"""Pure rules about identity data. The one rule for partial dates of birth lives here: the
API schemas and the tracing engine both parse through `PartialDate.parse`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from safeconduct import clock

EARLIEST_BIRTH_YEAR = 1900
# ASCII digits only: `\d`, `str.isdigit()` and `int()` also take Arabic-Indic, Devanagari
# or full-width digits, and "19٩٠" is no year anyone can file or compare.
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
# The same shape for the OpenAPI schema, so clients see the rule before they are refused.
PARTIAL_DATE_PATTERN = f"^{_PARTIAL_DATE.pattern}$"
_EPOCH = date(1970, 1, 1).toordinal()


class PartialDateError(ValueError):
    """A date of birth not in ASCII ``YYYY[-MM[-DD]]``, not a real date, or not plausible.

    The message never holds the value: it ends up in API answers and CLI errors."""


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date of birth known to the year, the month or the day, or not at all."""

    year: int | None = None
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or blank; raise PartialDateError else."""
        return _parse(text.strip(), clock.today().year)

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


# Birth dates repeat across a registry; parsing each distinct one once a year is enough.
@lru_cache(maxsize=1 << 16)
def _parse(text: str, this_year: int) -> PartialDate:
    if not text:
        return PartialDate()
    match = _PARTIAL_DATE.fullmatch(text)
    if match is None:
        raise PartialDateError("must be YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(match[1])
    month, day = (int(part) if part else None for part in match.groups()[1:])
    if not EARLIEST_BIRTH_YEAR <= year <= this_year:
        raise PartialDateError(f"year must be between {EARLIEST_BIRTH_YEAR} and {this_year}")
    try:
        # Not `month or 1`: that would let month 00 and day 00 through.
        date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        raise PartialDateError("is not a real date") from None
    return PartialDate(year, month, day)


def check_partial_date(value: str) -> str:
    """Return a plausible partial date of birth as ``YYYY[-MM[-DD]]``; raise otherwise."""
    parsed = PartialDate.parse(value)
    if parsed.is_empty:
        raise PartialDateError("must be YYYY-MM-DD, YYYY-MM or YYYY")
    return str(parsed)


# The plain identity fields of a person, in the order a form shows them and a history
# lists them; `family` is the sealed one, recorded in a history by its name only.
IDENTITY_FIELDS = (
    "surname",
    "given_names",
    "patronymic",
    "date_of_birth",
    "place_of_birth",
    "rank",
    "service_number",
    "sex",
    "nationality",
    "name_original_script",
)
FAMILY = "family"
# What a person's sex is when nothing was recorded: not a value anyone "gave".
SEX_NOT_RECORDED = "unknown"

Values = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Change:
    """What a revision records: the fields changed, in form order, and their plain values
    before and after (never the family details' values)."""

    fields: tuple[str, ...]
    before: Values
    after: Values


def registered(values: Values, *, family: bool) -> Change:
    """The first revision of a person: every field given (blank and an unrecorded sex are not)."""
    given = {
        n: values.get(n)
        for n in IDENTITY_FIELDS
        if values.get(n) and not (n == "sex" and values.get(n) == SEX_NOT_RECORDED)
    }
    return Change((*given, *((FAMILY,) if family else ())), {}, given)


def changed(current: Values, wanted: Values, *, family: bool) -> Change:
    """The fields of `wanted` that differ from `current`; `family`: the sealed details are
    replaced (their values are never compared: they are sealed)."""
    names = [n for n in IDENTITY_FIELDS if n in wanted and wanted[n] != current.get(n)]
    return Change(
        (*names, *((FAMILY,) if family else ())),
        {n: current.get(n) for n in names},
        {n: wanted[n] for n in names},
    )


def check_plain_text(value: str) -> str:
    """Refuse control characters and lone surrogates: no one types them in a name or an
    address, and they would make a sealed value longer than its fixed size."""
    if any(unicodedata.category(c) in {"Cc", "Cs"} for c in value):
        raise ValueError("must not contain control characters")
    return value

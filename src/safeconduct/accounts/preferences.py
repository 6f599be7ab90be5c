"""An operator's own preferences: the time zone their times are shown in."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy.orm import Session

from safeconduct.accounts.models import Account

# Longest IANA name in use is 32 characters; the column holds 64.
MAX_ZONE = 64


@cache
def _known() -> frozenset[str]:
    # Read once: the list comes from the disk and does not change while we run.
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """Tell whether `name` is an IANA zone this machine knows (`Europe/Kyiv`, `UTC`)."""
    return len(name) <= MAX_ZONE and name in _known()


class UnknownZoneError(ValueError):
    """The zone named is not one this machine knows."""


def _known_zone(value: str | None) -> str | None:
    if value is not None and not is_zone(value):
        raise UnknownZoneError("unknown time zone: use an IANA name such as Europe/Kyiv")
    return value


class TimeZoneRequest(BaseModel):
    """An IANA zone for one's own times; null: the deployment's zone."""

    model_config = ConfigDict(extra="forbid")

    time_zone: Annotated[str | None, AfterValidator(_known_zone)]


def set_time_zone(session: Session, *, account_id: str, time_zone: str | None) -> None:
    """Show this account's times in `time_zone`; None: in the deployment's zone."""
    _known_zone(time_zone)
    account = session.get(Account, account_id)
    if account is not None:
        account.time_zone = time_zone

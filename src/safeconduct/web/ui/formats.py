"""Dates and times as the operator reads them: days as YYYY-MM-DD in every language; times
in the operator's zone, with the zone shown, formatted by Babel for their language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_datetime
from markupsafe import Markup, escape

# Days are ISO everywhere: a reader of any language reads them, and they sort.
TIME_PATTERN = "yyyy-MM-dd HH:mm zzz"


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The zone named, else the default, else UTC: a bad setting never breaks a page."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    """Tell whether `name` is an IANA zone this machine knows."""
    return name in available_timezones()


def day(value: date | datetime | str | None) -> Markup:
    """A day (or a partial one, YYYY-MM or YYYY) that never breaks across lines."""
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    text = value.isoformat() if isinstance(value, date) else str(value)[:10]
    return Markup('<time datetime="{0}">{0}</time>').format(escape(text))


def moment(value: datetime | str | None, *, language: str, time_zone: ZoneInfo) -> Markup:
    """A point in time in the reader's zone, with the zone shown."""
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return escape(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    shown = format_datetime(value, TIME_PATTERN, tzinfo=time_zone, locale=language)
    return Markup('<time datetime="{}">{}</time>').format(
        value.astimezone(UTC).isoformat(timespec="minutes"), shown
    )

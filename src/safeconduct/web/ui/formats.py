"""Dates and times as the operator reads them: days as YYYY-MM-DD in every language; times
in the operator's zone, with the zone shown, formatted by Babel for their language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from markupsafe import Markup, escape

# Days are ISO everywhere: a reader of any language reads them, and they sort. The zone
# follows as its offset (`UTC+03:00`): Babel's zone names differ by language ("EDT" in
# English only), an offset reads the same in all of them.
TIME_PATTERN = "yyyy-MM-dd HH:mm"
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu"})
# Offered first on the preferences page, west to east; any other IANA zone can be typed.
COMMON_ZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Europe/Chisinau",
    "Europe/Istanbul",
    "Europe/Minsk",
    "Europe/Moscow",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Asia/Baku",
    "Asia/Dubai",
    "Asia/Tashkent",
    "Asia/Almaty",
    "Asia/Shanghai",
    "Asia/Tokyo",
)


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The zone named, else the default, else UTC: a bad setting never breaks a page."""
    for candidate in (name, default):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def zone_label(at: datetime, time_zone: ZoneInfo) -> str:
    """The zone as a reader of any language knows it at that moment: `UTC` itself, else
    its offset then (`UTC+03:00`; summer time changes it)."""
    if time_zone.key in UTC_NAMES:
        return "UTC"
    delta = at.astimezone(time_zone).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def offset(name: str, at: datetime | None = None) -> str:
    """The named zone's label now (or at `at`), for a list of zones to choose from."""
    return zone_label(at or datetime.now(UTC), zone(name))


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
    return Markup('<time datetime="{}">{} {}</time>').format(
        value.astimezone(UTC).isoformat(timespec="minutes"), shown, zone_label(value, time_zone)
    )

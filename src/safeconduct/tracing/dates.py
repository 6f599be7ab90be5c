"""Partial dates of birth as the tracing engine reads them: the rule is `people.policy`'s,
so a date the API refuses is refused in a registry or inquiry file too."""

from __future__ import annotations

from safeconduct.people.policy import PartialDate, PartialDateError

__all__ = ["PartialDate", "PartialDateError"]

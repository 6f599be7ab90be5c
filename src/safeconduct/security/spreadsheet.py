"""CSV cells a spreadsheet shows as text: every CSV that leaves the system goes through
`cell`, so a name or a place typed as "=HYPERLINK(...)" is never run as a formula."""

from __future__ import annotations

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str | int | None) -> str:
    """The value as CSV text, neutralised as OWASP advises: a leading apostrophe makes a
    spreadsheet show the text rather than run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text

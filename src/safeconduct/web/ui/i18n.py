"""Interface languages: Babel catalogs read at start-up, chosen per account or per browser."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from safeconduct.accounts.schemas import Language

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DEFAULT = Language.EN
SUPPORTED = frozenset(lang.value for lang in Language)

# The translations of the page being rendered; set only around one render call.
_current: ContextVar[gettext.NullTranslations | None] = ContextVar("ui_translations", default=None)
_UNTRANSLATED = gettext.NullTranslations()


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """Load one language's catalog from its .po file (no compile step at build time)."""
    if language not in SUPPORTED:
        language = DEFAULT.value
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def load_all() -> None:
    """Read every catalog now, so a broken one stops the start rather than a page."""
    for language in sorted(SUPPORTED):
        translations(language)


@contextmanager
def active(language: str) -> Iterator[None]:
    """Translate into `language` inside the block (one render, one thread)."""
    token = _current.set(translations(language))
    try:
        yield
    finally:
        _current.reset(token)


def _now() -> gettext.NullTranslations:
    return _current.get() or _UNTRANSLATED


def gettext_(message: str) -> str:
    return _now().gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return _now().ngettext(singular, plural, n)


def pick(candidate: str | None) -> str | None:
    """Return a supported language code for `ru`, `uk-UA`, `EN` and the like, or None."""
    if not candidate:
        return None
    primary = candidate.strip().split("-")[0].split("_")[0].lower()
    return primary if primary in SUPPORTED else None


def from_accept_language(header: str | None) -> str | None:
    """Return the browser's most preferred supported language, or None."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = pick(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else None

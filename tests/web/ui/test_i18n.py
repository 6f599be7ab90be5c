"""Every interface text has a translation in every catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from safeconduct.web.ui import i18n
from safeconduct.web.ui.render import TEMPLATES

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# Texts the Python side of the UI translates (the QR code's accessible name).
PYTHON_MSGIDS = {"QR code for your authenticator app"}


def template_msgids() -> set[str]:
    found: set[str] = set()
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    for template in sorted(TEMPLATES.glob("*.html")):
        with template.open("rb") as source:
            for _line, _func, message, _comments in babel_extract(
                source, ("_", "gettext", "ngettext"), [], options
            ):
                parts = message if isinstance(message, tuple) else (message,)
                found.update(part for part in parts if part)
    return found


def catalog(language: str) -> dict[str, str]:
    """msgid -> translation; each part of a plural message (`ngettext`) -> its last form,
    or "" while any form is missing."""
    entries: dict[str, str] = {}
    with i18n.catalog_path(language).open("rb") as po:
        for m in read_po(po, locale=language):
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            for msgid in ids:
                entries[msgid] = forms[-1] if all(forms) else ""
    return entries


def test_the_templates_are_translatable() -> None:
    assert len(template_msgids()) > 100


@pytest.mark.parametrize("language", sorted(i18n.SUPPORTED))
def test_every_msgid_has_a_translation(language: str) -> None:
    entries = catalog(language)
    wanted = sorted(template_msgids() | PYTHON_MSGIDS)
    # All at once, so a translator sees every text still to do.
    assert [m for m in wanted if not entries.get(m)] == [], f"{language}: no translation"
    for msgid in wanted:
        assert set(PLACEHOLDER.findall(entries[msgid])) == set(PLACEHOLDER.findall(msgid)), msgid


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_russian_and_ukrainian_are_really_translated(language: str) -> None:
    entries = catalog(language)
    # A msgid of placeholders only ("%(field)s: %(value)s") has no word to translate.
    worded = {
        m: text for m, text in entries.items() if re.search("[A-Za-z]", PLACEHOLDER.sub("", m))
    }
    same = [m for m, text in worded.items() if text == m and not m.startswith(("Webhook",))]
    assert same == []
    assert all(
        re.search("[а-яіїєґʼ№]", text.lower()) for m, text in worded.items() if m not in {"Webhook"}
    ), language


def test_catalogs_load_through_gettext() -> None:
    assert i18n.translations("ru").gettext("Log out") == "Выйти"
    assert i18n.translations("uk").gettext("Log out") == "Вийти"
    assert i18n.translations("xx").gettext("Log out") == "Log out"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
        ("de, ru;q=0.5", "ru"),
        ("de", None),
        ("", None),
        ("en;q=0, ru;q=0.1", "ru"),
        ("ru;q=bad, uk", "uk"),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def test_no_catalog_is_left_behind() -> None:
    folders = {p.name for p in Path(i18n.LOCALE_DIR).iterdir() if p.is_dir()}
    assert folders == set(i18n.SUPPORTED)

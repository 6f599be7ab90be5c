"""Public pages: Jinja2 with autoescape and gettext, in the reader's language.

The language comes from a `lang` field (the switch is plain links and a hidden form field:
no cookie is set before a submission, none after either), else the browser's
Accept-Language, else Russian: the language most who reach the form read.

The switch is shown on pages reached by GET only: on the answer to a POST (a receipt, a
status with replies) a language link would throw the answer away, and the codename must
never travel in a URL to carry it over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from safeconduct.web.ui import i18n

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "Русский", "uk": "Українська", "en": "English"}
# The service's name on the public pages, in the reader's words (docs/glossary.md); the
# operator pages keep "Safe Conduct".
BRAND = {"ru": "Безопасный переход", "uk": "Безпечний перехід", "en": "Safe Conduct"}

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]


def language_of(request: Request, chosen: str | None = None) -> str:
    return (
        i18n.pick(chosen)
        or i18n.pick(request.query_params.get("lang"))
        or i18n.from_accept_language(request.headers.get("accept-language"))
        or DEFAULT_LANGUAGE
    )


def page(
    request: Request,
    template: str,
    *,
    language: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = language_of(request, language)
    values = {
        "lang": lang,
        "path": request.url.path,
        "language_names": LANGUAGE_NAMES,
        "brand": BRAND[lang],
        "switch": request.method == "GET",
    } | context
    with i18n.active(lang):
        html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)

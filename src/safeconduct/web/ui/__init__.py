"""The operator UI: server-rendered pages (Jinja2 + HTMX) over the same services as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from safeconduct.web.ui import (
    i18n,
    routes_accounts,
    routes_approvals,
    routes_audit,
    routes_auth,
    routes_bureau_cards,
    routes_bureau_cta,
    routes_custody,
    routes_deaths,
    routes_exchange,
    routes_inquiries,
    routes_inquiry_exchange,
    routes_integrations,
    routes_people,
    routes_preferences,
    routes_registration,
    routes_repatriation,
    routes_requests,
    routes_statistics,
    routes_transmissions,
    routes_treatment,
)
from safeconduct.web.ui.errors import install_error_pages
from safeconduct.web.ui.headers import SecurityHeaders

STATIC = Path(__file__).parent / "static"


def install_ui(app: FastAPI) -> None:
    """Add the UI routes, static files, HTML error pages and security headers to `app`."""
    i18n.load_all()
    for module in (
        routes_auth,
        routes_registration,
        routes_people,
        routes_custody,
        routes_requests,
        routes_audit,
        routes_approvals,
        routes_accounts,
        routes_integrations,
        routes_preferences,
        routes_treatment,
        routes_repatriation,
        routes_exchange,
        routes_bureau_cards,
        routes_bureau_cta,
        routes_deaths,
        routes_statistics,
        routes_transmissions,
        routes_inquiry_exchange,
        routes_inquiries,
    ):
        app.include_router(module.router, include_in_schema=False)
    routes_treatment.remember_terms(app)
    routes_repatriation.remember_window(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_pages(app)
    app.add_middleware(SecurityHeaders)

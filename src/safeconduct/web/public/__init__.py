"""The public face: the only part of Safe Conduct on the internet (DESIGN.md, Two faces).

It serves the public pages and the channel endpoints and nothing else: no `/api/v1`, no
operator page, no OpenAPI schema. It holds no key that opens anything.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from safeconduct import __version__
from safeconduct.channels import api_telegram, api_webhook, limits
from safeconduct.http.errors import RequestLog, install_error_handlers
from safeconduct.http.limits import BodySizeLimit
from safeconduct.runtime import PublicRuntime
from safeconduct.web.public import routes
from safeconduct.web.public.render import page
from safeconduct.web.ui import i18n
from safeconduct.web.ui.headers import SecurityHeaders

STATIC = Path(__file__).parent / "static"
# A public page's largest honest body (a long message) is far below this.
PUBLIC_BODY_LIMIT = 64 * 1024


async def too_many_posts(request: Request, exc: Exception) -> Response:
    """A client over its window gets a page saying when to try again."""
    assert isinstance(exc, limits.RateLimitedError)
    # The limit is counted before the form is read; read it now for its language only.
    form = await request.form()
    chosen = form.get("lang")
    language = chosen if isinstance(chosen, str) else None
    answer = page(
        request, "too_many.html", language=language, status_code=429, retry_after=exc.retry_after
    )
    answer.headers["Retry-After"] = str(exc.retry_after)
    return answer


def create_public_app(prt: PublicRuntime) -> FastAPI:
    """Build the public face around its runtime."""
    i18n.load_all()
    app = FastAPI(
        title="Safe Conduct",
        version=__version__,
        debug=False,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.public_runtime = prt
    settings = prt.settings
    app.state.channel_limits = replace(
        limits.DEFAULT,
        client=replace(limits.DEFAULT.client, limit=settings.public_posts_per_minute),
        integration=replace(
            limits.DEFAULT.integration, limit=settings.integration_posts_per_minute
        ),
    )
    install_error_handlers(app)
    app.add_exception_handler(limits.RateLimitedError, too_many_posts)
    app.add_middleware(RequestLog)
    app.add_middleware(BodySizeLimit, limit=PUBLIC_BODY_LIMIT)
    app.include_router(routes.router)
    app.include_router(api_webhook.router)
    app.include_router(api_telegram.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="public-static")
    app.add_middleware(SecurityHeaders)
    return app

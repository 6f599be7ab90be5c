"""The Telegram adapter, on the public face: `POST /channels/telegram/{integration}`.

Telegram posts each Update here with the integration's secret in a header. An unknown or
disabled integration answers 404, a wrong or missing secret 401, and neither writes a row.
Once authenticated, every update is answered 200 at once (even one the bot ignores, or
has seen before): Telegram would otherwise redeliver it. The answers go out through the
outbox (see `channels.outbox`).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from safeconduct.channels import integrations, limits, telegram
from safeconduct.channels.models import IntegrationKind
from safeconduct.runtime import PublicRuntime

router = APIRouter()

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def _runtime(request: Request) -> PublicRuntime:
    prt = request.app.state.public_runtime
    assert isinstance(prt, PublicRuntime)
    return prt


def _take(prt: PublicRuntime, name: str, token: str, body: bytes, rules: limits.Limits) -> None:
    with prt.transaction() as session:
        integration = integrations.active(session, name=name, kind=IntegrationKind.TELEGRAM)
        if integration is None:
            raise HTTPException(status_code=404, detail="no such integration")
        expected = integrations.secret_of(prt.channels.secret, integration)
        if not hmac.compare_digest(token.encode(), expected):
            raise HTTPException(status_code=401, detail="secret token: missing or wrong")
        try:
            update = telegram.parse(json.loads(body))
        except (ValueError, RecursionError, telegram.NotAnUpdateError) as exc:
            raise HTTPException(status_code=400, detail="update: not a Telegram update") from exc
        telegram.handle(session, keys=prt.channels, audit=prt.audit, integration=integration,
                        update=update, rules=rules)  # fmt: skip


@router.post("/channels/telegram/{integration}", include_in_schema=False)
async def telegram_update(integration: str, request: Request) -> dict[str, Any]:
    """Take one Telegram Update in (see the module's docstring)."""
    token = request.headers.get(SECRET_HEADER, "")
    body = await request.body()
    rules = limits.configured(request.app.state)
    await run_in_threadpool(_take, _runtime(request), integration, token, body, rules)
    return {"ok": True}

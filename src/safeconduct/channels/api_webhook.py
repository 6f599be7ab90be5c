"""The webhook for bot and phone (IVR) platforms, on the public face (see channels.webhook
for the protocol). JSON in, JSON out; errors name a field or a header, never a value."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from safeconduct.channels import limits, webhook
from safeconduct.channels.policy import FieldError
from safeconduct.db import utcnow
from safeconduct.runtime import PublicRuntime

router = APIRouter()
HEADERS = (webhook.TIMESTAMP_HEADER, webhook.SIGNATURE_HEADER, webhook.IDEMPOTENCY_HEADER)


def _public_runtime(request: Request) -> PublicRuntime:
    prt = request.app.state.public_runtime
    assert isinstance(prt, PublicRuntime)
    return prt


def _refused(status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": "refused", "detail": detail}, status_code=status_code)


def _too_many(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {"error": "rate_limited", "detail": "too many requests"},
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


@router.post("/channels/webhook/{integration}")
async def deliver(
    integration: Annotated[str, Path(max_length=64)], request: Request
) -> JSONResponse:
    """Take one delivery from a bot or phone platform (a request, a family inquiry or a
    message): 201 with the reference, the codename and the signed receipt; 200 with the
    first answer (codename null) when delivered again."""
    prt = _public_runtime(request)
    rules = limits.configured(request.app.state)
    now = utcnow()
    address = request.client.host if request.client is not None else "unknown"
    bucket = limits.client_bucket(prt.channels.secret, rules.webhook_client, address)
    try:
        await run_in_threadpool(limits.count, prt, bucket=bucket, rule=rules.webhook_client,
                                now=now)  # fmt: skip
        body = await request.body()
        headers = {name: request.headers.get(name) for name in HEADERS}
        answer = await run_in_threadpool(webhook.handle, prt, name=integration, headers=headers,
                                         body=body, now=now, rules=rules)  # fmt: skip
    except limits.RateLimitedError as exc:
        return _too_many(exc.retry_after)
    except webhook.RefusedError as exc:
        return _refused(exc.status_code, exc.detail)
    except FieldError as exc:
        detail = [{"field": exc.field, "message": exc.message}]
        return JSONResponse({"error": "invalid_request", "detail": detail}, status_code=422)
    return JSONResponse(answer.body, status_code=answer.status_code)

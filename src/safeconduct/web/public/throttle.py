"""A per-client rate limit for the public pages' posts: a FastAPI dependency.

A client is named by a keyed hash of its address under the channel secret (see
channels.limits); the hit is counted in a transaction of its own before the page's work,
so a refused or failing post still counts. Over the limit: a 429 page with `Retry-After`.

Attach it to a route: `@router.post("/request", dependencies=[Depends(client_limit)])`.
"""

from __future__ import annotations

from fastapi import Request

from safeconduct.channels import limits
from safeconduct.db import utcnow
from safeconduct.web.public.deps import public_runtime


def client_address(request: Request) -> str:
    """The peer's address. Behind a reverse proxy, the server must be told to trust the
    proxy's forwarded address (uvicorn --forwarded-allow-ips), or every client is one."""
    return request.client.host if request.client is not None else "unknown"


def client_limit(request: Request) -> None:
    """Count this client's post; over its window, `limits.RateLimitedError` becomes a 429
    page with Retry-After (see `web.public.create_public_app`)."""
    prt = public_runtime(request)
    rule = limits.configured(request.app.state).client
    bucket = limits.client_bucket(prt.channels.secret, rule, client_address(request))
    limits.count(prt, bucket=bucket, rule=rule, now=utcnow())

"""Who is calling, and may they: every route declares a `Requires` (deny by default)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from safeconduct.accounts import sessions, throttle, tokens
from safeconduct.accounts.policy import Permission, allows
from safeconduct.accounts.service import Principal
from safeconduct.disclosure.policy import APPROVAL_GATED
from safeconduct.http.deps import DbSession, runtime

SESSION_COOKIE = "sc_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AWAITING_APPROVAL = "awaiting approval"


def unauthenticated() -> HTTPException:
    return HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})


def forbidden() -> HTTPException:
    # Checked before any lookup, so a 403 never tells whether the record exists.
    return HTTPException(403, "forbidden")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def identify(request: Request, db: Session) -> Principal | None:
    """Return the caller from a bearer token or a session cookie, or None."""
    token = _bearer(request)
    if token is not None:
        return tokens.resolve(db, token=token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = sessions.resolve_session(db, token=cookie)
    if principal is not None and request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER) or getattr(request.state, "csrf_form", None)
        if not sessions.csrf_ok(cookie, presented):
            raise HTTPException(403, "missing or invalid CSRF token")
    return principal


class Requires:
    """A route's declared permission; `Requires(None)` declares a public route.

    `during_enrolment`: open to a session that has yet to enrol its second factor.
    `session_only`: refused to API tokens (what a stolen token must not do).
    """

    def __init__(
        self,
        permission: Permission | None,
        *,
        during_enrolment: bool = False,
        session_only: bool = False,
    ) -> None:
        self.permission = permission
        self.during_enrolment = during_enrolment
        self.session_only = session_only

    def __call__(self, request: Request, db: DbSession) -> Principal | None:
        if self.permission is None:
            return None
        principal = identify(request, db)
        if principal is None:
            raise unauthenticated()
        if principal.enrolment_only and not self.during_enrolment:
            raise HTTPException(403, "enrol the second factor first")
        if not allows(principal.role, self.permission):
            raise forbidden()
        # Four eyes: a sealed permission, or the power to approve, counts only once the
        # account was approved in this role (the admin who made it may have set it up itself).
        if self.permission in APPROVAL_GATED and not principal.sealed_approved:
            raise HTTPException(403, AWAITING_APPROVAL)
        if self.session_only and principal.via_token:
            raise HTTPException(403, "not with an API token: use a browser session")
        request.state.principal = principal
        return principal

    def __repr__(self) -> str:
        return f"Requires({self.permission})"


class RequiresAny(Requires):
    """Any one of several permissions (a route serving both kinds of document, each
    checked again against the document's own kind)."""

    def __init__(self, *permissions: Permission) -> None:
        super().__init__(permissions[0])
        self.permissions = permissions

    def __call__(self, request: Request, db: DbSession) -> Principal | None:
        refused: HTTPException | None = None
        for permission in self.permissions:
            try:
                return Requires(permission)(request, db)
            except HTTPException as exc:
                if exc.status_code != 403:
                    raise
                refused = exc
        assert refused is not None
        raise refused

    def __repr__(self) -> str:
        return f"RequiresAny{self.permissions}"


def caller(request: Request) -> Principal:
    """The principal a `Requires` dependency already established for this request."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise unauthenticated()
    return principal


def login_client(request: Request) -> str:
    """Name the caller's client for login throttling: a keyed hash of its address, never the
    address itself. Behind a proxy, the server must be told to trust its forwarded address."""
    address = request.client.host if request.client is not None else "unknown"
    return throttle.client_ref(throttle.client_key(runtime(request).keyring), address)

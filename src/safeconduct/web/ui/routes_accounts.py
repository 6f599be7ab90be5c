"""Accounts for the admin: the list, a new account whose invitation code is shown once, and
each account's page: disable, enable, reset the second factor, a new invitation, another
role, its API tokens and their revocation. The admin never sets a password nor mints a
token: the holder does, with the invitation code.

Each change takes two steps: the button, then the generic confirmation page (confirm.html),
which posts again with `confirm=yes`; then post/redirect/get to the account's page, whose
address names only the action done (`?done=disabled`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session

from safeconduct.accounts import approvals, tokens
from safeconduct.accounts import service as accounts
from safeconduct.accounts.invitations import Issued
from safeconduct.accounts.models import Account, ApiToken
from safeconduct.accounts.policy import Permission, Role
from safeconduct.accounts.schemas import AccountCreate
from safeconduct.accounts.service import Principal
from safeconduct.http.auth import Requires
from safeconduct.http.deps import DbSession, RuntimeDep
from safeconduct.web.ui import i18n, render
from safeconduct.web.ui.guard import csrf_form

router = APIRouter(dependencies=[Depends(csrf_form)])
Admin = Annotated[Principal, Depends(Requires(Permission.ACCOUNT_MANAGE))]
Confirm = Annotated[str, Form(max_length=8)]
# What `?done=` may name on an account's page; anything else is ignored.
DONE = frozenset({"disabled", "enabled", "totp_reset", "role_changed", "token_revoked"})
ROLES = frozenset(r.value for r in Role)


def _account(db: Session, account_id: str) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "account not found")
    return account


def _list_page(
    request: Request,
    db: Session,
    *,
    status_code: int = 200,
    wrong: frozenset[str] = frozenset(),
    typed: dict[str, str] | None = None,
    invited: tuple[str, Issued] | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "accounts.html",
        status_code=status_code,
        accounts=accounts.list_(db),
        awaiting={a.id for a in approvals.pending(db)},
        roles=list(Role),
        wrong=wrong,
        typed=typed or {"username": "", "role": ""},
        invited=invited,
    )


def _account_page(
    request: Request,
    db: Session,
    who: Principal,
    account: Account,
    *,
    status_code: int = 200,
    done: str | None = None,
    refused: str | None = None,
    invited: Issued | None = None,
) -> Response:
    return render.page(
        request,
        db,
        "accounts.html",
        status_code=status_code,
        account=account,
        own=who.account_id == account.id,
        awaiting=approvals.awaiting(account),
        roles=list(Role),
        account_tokens=tokens.list_(db, account_id=account.id),
        done=done if done in DONE else None,
        refused=refused,
        invited=invited,
    )


def _confirm(
    request: Request,
    db: Session,
    account: Account,
    action: str,
    path: str,
    fields: dict[str, str] | None = None,
    detail: str = "",
) -> Response:
    """The confirmation page for an action on an account, in the reader's words: its texts
    are macros of _accounts_macros.html, so the catalogs find them with the templates'."""
    texts = render.env.get_template("_accounts_macros.html").module
    with i18n.active(render.language_of(request, db)):
        parts: dict[str, Markup] = {
            part: texts.confirm_text(part, action, account.username, detail)  # type: ignore[attr-defined]
            for part in ("heading", "message", "button")
        }
    return render.page(
        request,
        db,
        "confirm.html",
        action=path,
        fields=fields or {},
        cancel=f"/accounts/{account.id}",
        heading=parts["heading"],
        message=parts["message"],
        button=parts["button"],
    )


def _done(account: Account, what: str) -> Response:
    # Post/redirect/get: a reload does not repeat the action; the address names no one.
    return RedirectResponse(f"/accounts/{account.id}?done={what}", status_code=303)


def _create_problems(username: str, role: str) -> frozenset[str]:
    """Which fields of a new account are wrong, each on its own."""
    try:
        AccountCreate(username=username, role=role)
    except ValidationError as exc:
        return frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
    return frozenset()


@router.get("/accounts")
def accounts_page(request: Request, db: DbSession, _: Admin) -> Response:
    return _list_page(request, db)


@router.post("/accounts")
def create_account(
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Create an account and show its invitation code, on this answer only; a wrong field
    is named, and what was typed is kept."""
    typed = {"username": username.strip(), "role": role}
    wrong = _create_problems(typed["username"], role)
    if not wrong and accounts.get_by_username(db, username=typed["username"]) is not None:
        wrong = frozenset({"taken"})
    if wrong:
        return _list_page(request, db, status_code=422, wrong=wrong, typed=typed)
    try:
        account, issued = accounts.create(
            db, audit=rt.audit, actor=who.actor, username=typed["username"], role=Role(role)
        )
    except accounts.AccountError:  # taken since the check, by another admin's request
        return _list_page(request, db, status_code=422, wrong=frozenset({"taken"}), typed=typed)
    return _list_page(request, db, status_code=201, invited=(account.username, issued))


@router.get("/accounts/{account_id}")
def account_page(
    account_id: str,
    request: Request,
    db: DbSession,
    who: Admin,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """One account: its state, the changes the admin may make, its API tokens."""
    return _account_page(request, db, who, _account(db, account_id), done=done)


@router.post("/accounts/{account_id}/invitation")
def reinvite(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Replace the invitation of an account not yet set up, and show the new code once."""
    account = _account(db, account_id)
    if account.set_up:
        return _account_page(request, db, who, account, status_code=409, refused="set_up")
    if confirm != "yes":
        return _confirm(request, db, account, "reinvite", f"/accounts/{account.id}/invitation")
    issued = accounts.reinvite(db, audit=rt.audit, actor=who.actor, account=account)
    return _account_page(request, db, who, account, status_code=201, invited=issued)


def _refuse_own(request: Request, db: Session, who: Principal, account: Account) -> Response:
    # Separation of duties: an admin who reset its own second factor, or disabled itself,
    # would act on the power the log attributes to it without a second pair of eyes.
    return _account_page(request, db, who, account, status_code=409, refused="own")


def _account_action(
    request: Request,
    db: Session,
    who: Principal,
    account: Account,
    confirm: str,
    *,
    name: str,
    act: Callable[[], None],
    done: str,
    not_own: bool = True,
) -> Response:
    """One change to an account: refused on one's own (when `not_own`), confirmed first,
    then done and reported."""
    if not_own and who.account_id == account.id:
        return _refuse_own(request, db, who, account)
    if confirm != "yes":
        return _confirm(request, db, account, name, request.url.path)
    act()
    return _done(account, done)


@router.post("/accounts/{account_id}/disable")
def disable(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Disable an account: its sessions end and its API tokens are revoked."""
    account = _account(db, account_id)

    def act() -> None:
        accounts.disable(db, audit=rt.audit, actor=who.actor, account=account)

    return _account_action(
        request, db, who, account, confirm, name="disable", act=act, done="disabled"
    )


@router.post("/accounts/{account_id}/enable")
def enable(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Enable a disabled account; its old sessions and tokens stay ended."""
    account = _account(db, account_id)

    def act() -> None:
        accounts.enable(db, audit=rt.audit, actor=who.actor, account=account)

    return _account_action(
        request, db, who, account, confirm, name="enable", act=act, done="enabled", not_own=False
    )


@router.post("/accounts/{account_id}/reset-totp")
def reset_totp(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Make the holder enrol a new second factor at the next login; sessions and tokens end."""
    account = _account(db, account_id)

    def act() -> None:
        accounts.reset_totp(
            db, keyring=rt.keyring, audit=rt.audit, actor=who.actor, account=account
        )

    return _account_action(
        request, db, who, account, confirm, name="reset_totp", act=act, done="totp_reset"
    )


@router.post("/accounts/{account_id}/role")
def change_role(
    account_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    role: Annotated[str, Form(max_length=32)] = "",
    confirm: Confirm = "",
) -> Response:
    """Move an account to another role: its sessions and tokens end, and an approval for
    sealed values is needed again. Not one's own."""
    account = _account(db, account_id)
    if role not in ROLES:
        return _account_page(request, db, who, account, status_code=422, refused="role")
    if who.account_id == account.id:
        return _refuse_own(request, db, who, account)
    if role == account.role:
        return _account_page(request, db, who, account, status_code=409, refused="same_role")
    if confirm != "yes":
        path = f"/accounts/{account.id}/role"
        return _confirm(request, db, account, "role", path, {"role": role}, role)
    try:
        accounts.change_role(db, audit=rt.audit, actor=who.actor, account=account, role=Role(role))
    except accounts.AccountError:
        return _refuse_own(request, db, who, account)
    return _done(account, "role_changed")


def _token(db: Session, account: Account, token_id: str) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise HTTPException(404, "token not found")
    return token


@router.post("/accounts/{account_id}/tokens/{token_id}/revoke")
def revoke_token(
    account_id: str,
    token_id: str,
    request: Request,
    db: DbSession,
    rt: RuntimeDep,
    who: Admin,
    confirm: Confirm = "",
) -> Response:
    """Revoke one API token of an account: programs using it can no longer call the API."""
    account = _account(db, account_id)
    token = _token(db, account, token_id)
    if confirm != "yes":
        path = f"/accounts/{account.id}/tokens/{token.id}/revoke"
        return _confirm(request, db, account, "revoke", path, detail=token.name)
    tokens.revoke(db, audit=rt.audit, actor=who.actor, token=token)
    return _done(account, "token_revoked")

"""The `safeconduct` command: demo, serve, db, keys, audit, trace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Protocol

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.orm import Session

from safeconduct import migrate
from safeconduct.accounts import approvals
from safeconduct.accounts import service as accounts
from safeconduct.accounts.invitations import Issued
from safeconduct.accounts.models import Account
from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.audit.service import AuditLog
from safeconduct.commands.audit_verify import audit_verify
from safeconduct.commands.bureau import bureau_app
from safeconduct.commands.channel_keys import keys_rotate_channel
from safeconduct.commands.channels import channels_app
from safeconduct.commands.common import DbOption, console
from safeconduct.commands.common import cli_actor as _cli_actor
from safeconduct.commands.common import runtime_for as _runtime
from safeconduct.commands.common import settings_for as _settings
from safeconduct.commands.duties import duties_app
from safeconduct.commands.exchange import exchange_app
from safeconduct.commands.inquiries import inquiries_app
from safeconduct.commands.receipts import receipt_app
from safeconduct.commands.retention import retention_app
from safeconduct.commands.roles import db_roles
from safeconduct.config import DEFAULT_DB_URL, Settings, SettingsError
from safeconduct.db import make_engine, make_sessionmaker, transaction
from safeconduct.demo.accounts import DemoAccount
from safeconduct.people import search as people_search  # also: keys follow every write
from safeconduct.runtime import PublicRuntime, Runtime, open_public_runtime
from safeconduct.schemas_common import Username
from safeconduct.security.channel_secret import ChannelSecretError
from safeconduct.security.intake_box import IntakeKeyError
from safeconduct.security.keys import FileKeyProvider
from safeconduct.security.signing import SigningKeyError
from safeconduct.security.statements import KeySetError
from safeconduct.tracing.cli import trace_app

app = typer.Typer(
    help="Safe Conduct: the registry that keeps the promises made to those who surrender.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="Key-encryption keys.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
users_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(channels_app, name="channels")
app.add_typer(receipt_app, name="receipt")
app.add_typer(exchange_app, name="exchange")
app.add_typer(bureau_app, name="bureau")
app.add_typer(retention_app, name="retention")
app.add_typer(duties_app, name="duties")
app.add_typer(inquiries_app, name="inquiries")
keys_app.command("rotate-channel")(keys_rotate_channel)
db_app.command("roles")(db_roles)


class Face(StrEnum):
    OPERATOR = "operator"
    PUBLIC = "public"


DEFAULT_PORTS = {Face.OPERATOR: 8000, Face.PUBLIC: 8001}


@dataclass
class Served:
    """One face to serve: its app, where, and the jobs it runs beside its requests."""

    app: Any
    host: str
    port: int
    jobs: list[Any]


def _operator(rt: Runtime, host: str, port: int) -> Served:
    from safeconduct.web.app import ContainErrors, create_app
    from safeconduct.web.faces import operator_jobs

    return Served(ContainErrors(create_app(rt)), host, port, operator_jobs(rt))


def _public(prt: PublicRuntime, host: str, port: int) -> Served:
    from safeconduct.web.app import ContainErrors
    from safeconduct.web.faces import public_jobs
    from safeconduct.web.public import create_public_app

    return Served(ContainErrors(create_public_app(prt)), host, port, public_jobs(prt))


def _serve(*faces: Served) -> None:
    """Serve each face on its own port, in one event loop, with its jobs beside it."""
    import asyncio

    import uvicorn

    from safeconduct.logging import configure_logging
    from safeconduct.web.jobs import Jobs

    configure_logging()
    servers = [
        uvicorn.Server(
            uvicorn.Config(f.app, host=f.host, port=f.port, access_log=False, log_config=None)
        )
        for f in faces
    ]
    jobs = Jobs([job for f in faces for job in f.jobs])
    jobs.start()

    async def run_all() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    try:
        asyncio.run(run_all())
    finally:
        jobs.stop()


def _public_runtime(settings: Settings) -> PublicRuntime:
    try:
        return open_public_runtime(settings)
    except (SettingsError, SigningKeyError, IntakeKeyError, ChannelSecretError, KeySetError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _reindex(url: str, *, missing_only: bool) -> int:
    """Build people's search keys in one transaction; needs the database only, no keys."""
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return people_search.reindex(session, missing_only=missing_only)
    finally:
        engine.dispose()


def _upgrade(url: str) -> int:
    """Create or migrate the schema, then give search keys to the people who have none
    (those registered before the keys existed); return how many got them."""
    migrate.upgrade(url)
    return _reindex(url, missing_only=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create or migrate the schema, then give search keys to the people who have none;
    running it twice changes nothing."""
    indexed = _upgrade(_settings(db).db_url)
    console.print("schema is up to date")
    if indexed:
        console.print(f"search keys built for {indexed} people")


@db_app.command("reindex")
def db_reindex(db: DbOption = None) -> None:
    """Rebuild every person's search keys (after a change to how names are keyed)."""
    indexed = _reindex(_settings(db).db_url, missing_only=False)
    console.print(f"search keys rebuilt for {indexed} people")


@db_app.command("check")
def db_check(db: DbOption = None) -> None:
    """Fail if the models and the migrations disagree."""
    migrate.check(_settings(db).db_url)
    console.print("models and migrations agree")


@app.command()
def serve(
    db: DbOption = None,
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Default: 8000 operator, 8001 public.")] = None,
    face: Annotated[Face, typer.Option(help="Which face to serve.")] = Face.OPERATOR,
) -> None:
    """Serve one face: the operator face (API and UI), or the public face (the public pages
    and channel endpoints, holding no key that opens anything)."""
    import os

    # Whatever the server creates (a SQLite store, its -wal and -shm) is its owner's alone.
    os.umask(0o077)
    settings = _settings(db)
    chosen = port or DEFAULT_PORTS[face]
    if face == Face.PUBLIC:
        # The public face migrates nothing: on PostgreSQL its role may not.
        _serve(_public(_public_runtime(settings), host, chosen))
        return
    _upgrade(settings.db_url)
    _serve(_operator(_runtime(settings), host, chosen))


@app.command()
def demo(
    db: Annotated[str, typer.Option("--db", help="Database URL.")] = DEFAULT_DB_URL.replace(
        "safeconduct.db", "safeconduct-demo.db"
    ),
    people: Annotated[int, typer.Option(min=0, max=1_000_000)] = 300,
    seed: int = 7,
    seed_only: Annotated[bool, typer.Option("--seed-only", help="Fill and exit.")] = False,
    treatment: Annotated[
        bool, typer.Option(help="Record the custodies' treatment events (GC III duties).")
    ] = True,
    days: Annotated[
        int, typer.Option(min=1, max=3650, help="Days over which the people are captured.")
    ] = 365,
    host: str = "127.0.0.1",
    port: int = 8000,
    public_port: Annotated[int, typer.Option(help="The public face's port.")] = 8001,
) -> None:
    """Fill a database with synthetic people and serve both faces."""
    import os

    from safeconduct.demo.accounts import create_demo_accounts
    from safeconduct.demo.seed import seed as seed_store
    from safeconduct.demo.seed import staff_from_accounts
    from safeconduct.demo.timeline import Workload

    # The store, its -wal and -shm and the keys folder are created below: owner only.
    os.umask(0o077)
    settings = _settings(db, demo=True)
    migrate.upgrade(settings.db_url)
    rt = _runtime(settings)
    demo_accounts = create_demo_accounts(rt)
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("synthetic people", total=people)
        made = seed_store(
            rt,
            people=people,
            seed_value=seed,
            progress=lambda n: progress.advance(task, n),
            staff=staff_from_accounts(rt),
            treatment=treatment,
            # Spread over `days`, so that a year of treatment shows every duty's life.
            workload=Workload.spread(people, days),
        )
    console.print(f"[green]{made.people}[/green] synthetic people in {settings.db_url}")
    _print_demo_accounts(demo_accounts)
    if seed_only:
        rt.close()
        return
    console.print(f"Safe Conduct demo, operator face: [bold]http://{host}:{port}/[/bold]")
    console.print(
        f"API schema: http://{host}:{port}/openapi.json   health: http://{host}:{port}/api/v1/health"
    )
    console.print(f"public face: [bold]http://{host}:{public_port}/request[/bold]")
    # Both faces in one process is a demo's shortcut: deployed, the public face runs apart,
    # on its own host and database role, without the private keys (DESIGN.md, Two faces).
    _serve(
        _operator(rt, host, port),
        _public(_public_runtime(settings), host, public_port),
    )


def _print_demo_accounts(demo_accounts: list[DemoAccount]) -> None:
    # Demo mode only: these accounts hold synthetic data and exist to be tried out.
    out = Console(width=120)
    table = Table("username", "password", "role", "TOTP secret", title="Demo accounts")
    for a in demo_accounts:
        table.add_row(a.username, a.password, a.role.value, a.totp_secret)
    out.print(table)
    out.print(
        "A code for a secret: any authenticator app, or "
        "python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"",
        soft_wrap=True,
    )


@keys_app.command("rotate")
def keys_rotate(
    db: DbOption = None,
    retire: Annotated[
        bool, typer.Option(help="Forget key-encryption keys no longer in use.")
    ] = False,
) -> None:
    """Add a new key-encryption key and re-wrap every data key under it."""
    from safeconduct.audit.tags import AuditAction

    rt = _runtime(_settings(db))
    provider = rt.keyring.provider
    if isinstance(provider, FileKeyProvider):
        provider.add_new_current()
    with rt.transaction() as session:
        count = rt.keyring.rotate(session)
        rt.audit.record(
            session,
            actor=_cli_actor(),
            tag=AuditAction.KEYS_ROTATE,
            purpose=f"rewrapped {count} under {provider.current_id()}",
        )
        in_use = rt.keyring.kek_ids_in_use(session)
    console.print(f"re-wrapped {count} data keys under {provider.current_id()}")
    if retire and isinstance(provider, FileKeyProvider):
        gone = provider.retire(in_use)
        console.print(f"retired {len(gone)} key-encryption keys")


audit_app.command("verify")(audit_verify)


@audit_app.command("checkpoint")
def audit_checkpoint(db: DbOption = None) -> None:
    """Sign a checkpoint at the newest entry now."""
    rt = _runtime(_settings(db))
    with rt.transaction() as session:
        mark = rt.audit.checkpoint(session)
    console.print("log is empty" if mark is None else f"checkpoint at entry {mark.seq}")


class AccountUseCase(Protocol):
    def __call__(
        self, session: Session, *, audit: AuditLog, actor: Actor, account: Account
    ) -> object: ...


def _on_account(db: str | None, username: str, use_case: AccountUseCase) -> None:
    """Run one account use case from the command line, in one transaction."""
    rt = _runtime(_settings(db))
    with rt.transaction() as session:
        use_case(
            session, audit=rt.audit, actor=_cli_actor(), account=_account_or_exit(session, username)
        )


def _account_or_exit(session: Session, username: str) -> Account:
    account = accounts.get_by_username(session, username=username)
    if account is None:
        console.print(f"[red]error:[/red] no account {username!r}")
        raise typer.Exit(2)
    return account


def _print_invitation(username: str, issued: Issued) -> None:
    # The operator hands the code on; the holder sets a password and enrols TOTP with it.
    until = issued.expires_at.strftime("%Y-%m-%d %H:%M")
    console.print(
        f"Invitation code for {username} (shown once, works once, until {until} UTC): "
        f"[bold]{issued.code}[/bold]\nThe holder sets their password at /invitation."
    )


# `users approve` is the root of trust, not an escalation: the operator at this command line
# holds the key files and the database and could open every sealed value anyway; the web
# admin has neither. It approves a deployment's first auditor, who then approves the others
# at `/audit/approvals` (accounts/approvals.py).


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[Role, typer.Option(help="The account's role.")],
    db: DbOption = None,
) -> None:
    """Create an account and print its invitation code; no one but its holder ever knows
    its password."""
    try:
        TypeAdapter(Username).validate_python(username)
    except ValidationError:
        console.print("[red]error:[/red] username: lowercase letters, digits, '.', '-', '_'")
        raise typer.Exit(2) from None
    rt = _runtime(_settings(db))
    try:
        with rt.transaction() as session:
            _account, issued = accounts.create(
                session, audit=rt.audit, actor=_cli_actor(), username=username, role=role
            )
    except accounts.AccountError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    _print_invitation(username, issued)


@users_app.command("invite")
def users_invite(username: str, db: DbOption = None) -> None:
    """Print a new invitation code for an account never set up; the old code stops working."""
    rt = _runtime(_settings(db))
    try:
        with rt.transaction() as session:
            issued = accounts.reinvite(
                session,
                audit=rt.audit,
                actor=_cli_actor(),
                account=_account_or_exit(session, username),
            )
    except accounts.AccountError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    _print_invitation(username, issued)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List accounts with their role and state (no secrets)."""
    rt = _runtime(_settings(db))
    table = Table("username", "role", "set up", "second factor", "approval", "state")
    with rt.sessions() as session:
        for account in accounts.list_(session):
            table.add_row(
                account.username,
                account.role,
                "yes" if account.set_up else "invitation pending",
                "enrolled" if account.totp_enrolled_at else "pending",
                _approval_state(account),
                "disabled" if account.disabled_at else "active",
            )
    Console().print(table)


def _approval_state(account: Account) -> str:
    if account.sealed_access_approved:
        return "approved"
    return "awaiting" if approvals.awaiting(account) else "-"


@users_app.command("approve")
def users_approve(username: str, db: DbOption = None) -> None:
    """Approve a set-up account to use its role's gated permissions (open sealed values, or
    approve others). Confirm who holds it first: its admin saw its invitation code."""
    rt = _runtime(_settings(db))
    try:
        with rt.transaction() as session:
            account = _account_or_exit(session, username)
            approvals.approve(session, audit=rt.audit, actor=_cli_actor(), account=account)
            role = account.role
    except approvals.ApprovalError as exc:
        console.print(f"[red]error:[/red] {username}: {exc}")
        raise typer.Exit(2) from None
    console.print(f"{username} approved as {role}")


@users_app.command("unapprove")
def users_unapprove(username: str, db: DbOption = None) -> None:
    """Withdraw an account's approval; from its next request it uses no gated permission."""
    _on_account(db, username, approvals.unapprove)
    console.print(f"{username}: approval withdrawn")


@users_app.command("role")
def users_role(
    username: str,
    role: Annotated[Role, typer.Option(help="The new role.")],
    db: DbOption = None,
) -> None:
    """Move an account to another role; its sessions and tokens end."""
    rt = _runtime(_settings(db))
    with rt.transaction() as session:
        accounts.change_role(
            session,
            audit=rt.audit,
            actor=_cli_actor(),
            account=_account_or_exit(session, username),
            role=role,
        )
    console.print(f"{username} is now {role.value}; its sessions and tokens ended")


@users_app.command("disable")
def users_disable(username: str, db: DbOption = None) -> None:
    """Disable an account; its sessions and tokens end."""
    _on_account(db, username, accounts.disable)
    console.print(f"{username} disabled")


@users_app.command("enable")
def users_enable(username: str, db: DbOption = None) -> None:
    """Enable a disabled account; its old sessions and tokens stay ended."""
    _on_account(db, username, accounts.enable)
    console.print(f"{username} enabled")


@users_app.command("reset-totp")
def users_reset_totp(username: str, db: DbOption = None) -> None:
    """Give an account a new TOTP secret that only its holder sees, at their next login;
    its sessions and tokens end."""
    rt = _runtime(_settings(db))
    with rt.transaction() as session:
        accounts.reset_totp(
            session,
            keyring=rt.keyring,
            audit=rt.audit,
            actor=_cli_actor(),
            account=_account_or_exit(session, username),
        )
    console.print(f"{username} enrols a new second factor at the next login")


app.add_typer(trace_app, name="trace")


def main() -> None:
    app(prog_name="safeconduct")


if __name__ == "__main__":
    main()

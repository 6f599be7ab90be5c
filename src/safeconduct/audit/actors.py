"""Who acted, and with which credential: every audit entry names both."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """An account, a command or the system, and the credential it acted with.

    `name` is `account:<id>`, `cli`, `system:<job>`, `channel:<name>` (a submission that
    came in on a channel) or `anonymous` (a failed login); `credential` is `session:<ref>`,
    `token:<id>`, `invitation:<id>`, `os:<user>` or `login`, so that no one's power can be
    used without the log saying through which key it was used.
    """

    name: str
    credential: str | None = None


def account_actor(account_id: str, credential: str | None = None) -> Actor:
    """The actor for an account acting through a credential."""
    return Actor(f"account:{account_id}", credential)


def account_id_of(actor: Actor) -> str | None:
    """Return the id of the account an actor is, or None for a command or the system."""
    kind, _, account_id = actor.name.partition(":")
    return account_id if kind == "account" and account_id else None

"""`safeconduct keys rotate-channel`: a new channel signing key, the old one kept published."""

from __future__ import annotations

from safeconduct.commands.common import DbOption, console, settings_for
from safeconduct.runtime import rotate_channel_key


def keys_rotate_channel(db: DbOption = None) -> None:
    """Replace the key that signs receipts, bot answers and the official list. The old
    public key stays in the published list with its last day, so what it signed still
    verifies; restart both faces to sign with the new one."""
    key = rotate_channel_key(settings_for(db))
    console.print(f"new channel key {key.key_id}, valid from {key.valid_from.isoformat()}")

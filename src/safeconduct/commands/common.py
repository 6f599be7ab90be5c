"""What every command shares: the console, the `--db` option, settings, runtime, actor,
and the published key list that the offline `verify` commands check against."""

from __future__ import annotations

import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from safeconduct.audit.actors import Actor
from safeconduct.channels.official import KEYS_PATH
from safeconduct.config import Settings, SettingsError
from safeconduct.runtime import Runtime, open_runtime
from safeconduct.security.channel_secret import ChannelSecretError
from safeconduct.security.intake_box import IntakeKeyError
from safeconduct.security.keys import KeyProviderError
from safeconduct.security.signing import SigningKeyError
from safeconduct.security.statements import KeySetError, PublishedKey, read_key_set

console = Console(stderr=True)

# A key list is a few hundred bytes; anything far larger is not one.
MAX_KEY_LIST = 1024 * 1024

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (or SAFECONDUCT_DB_URL).")]
KEY_ERRORS = (
    SettingsError,
    KeyProviderError,
    SigningKeyError,
    IntakeKeyError,
    ChannelSecretError,
    KeySetError,
)


def cli_actor() -> Actor:
    """The command line acts as `cli`, with the operating-system user who ran it."""
    import getpass

    return Actor("cli", f"os:{getpass.getuser()}")


def settings_for(db: str | None, *, demo: bool = False) -> Settings:
    overrides: dict[str, object] = {}
    if db is not None:
        overrides["db_url"] = db
    if demo:
        overrides["demo"] = True
    return Settings(**overrides)  # type: ignore[arg-type]


def runtime_for(settings: Settings) -> Runtime:
    try:
        return open_runtime(settings)
    except KEY_ERRORS as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def fetch_keys(url: str) -> list[PublishedKey]:
    """Fetch the published list from a public face (its base URL or the list's own URL)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise KeySetError("--url must be an http or https address")
    if not parts.path.endswith(".json"):
        url = url.rstrip("/") + KEYS_PATH
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (scheme checked)
            data = answer.read(MAX_KEY_LIST + 1)
    except OSError as exc:
        raise KeySetError(f"cannot fetch published keys: {type(exc).__name__}") from exc
    if len(data) > MAX_KEY_LIST:
        raise KeySetError("the published key list is too large")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "keys.json"
        path.write_bytes(data)
        return read_key_set(path)


def default_keys() -> Path:
    """This deployment's published list, as the public face serves it."""
    settings = Settings()
    return settings.channel_keys_file or settings.key_dir() / "channel-keys.json"


def published_keys(keys: Path | None, url: str | None) -> list[PublishedKey]:
    """The published key list from `--keys`, `--url` or this deployment; exit 2 when it
    cannot be had (or both options were given)."""
    if keys is not None and url is not None:
        raise fail("give --keys or --url, not both")
    try:
        return fetch_keys(url) if url is not None else read_key_set(keys or default_keys())
    except (KeySetError, SettingsError) as exc:
        raise fail(str(exc)) from None


def read_limited(file: str, limit: int) -> bytes:
    """A file to check (`-`: standard input), at most `limit` bytes: a larger or empty one
    is refused (exit 2) before anything parses it."""
    try:
        if file == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with Path(file).open("rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise fail(f"cannot read {file}: {type(exc).__name__}") from None
    if len(data) > limit:
        raise fail(f"cannot read {file}: larger than {limit} bytes")
    if not data:
        raise fail(f"cannot read {file}: it is empty")
    return data

"""Everything a command or the web app needs, built once from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from safeconduct.audit.service import AuditLog
from safeconduct.config import Settings, SettingsError
from safeconduct.db import make_engine, make_sessionmaker, transaction
from safeconduct.security.keys import EnvKeyProvider, FileKeyProvider, KeyProvider
from safeconduct.security.service import Keyring
from safeconduct.security.signing import Signer, create_signer, load_signer


@dataclass
class Runtime:
    """The store, the keyring and the audit log of one deployment."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    audit: AuditLog

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work, committed whole or not at all."""
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _create_missing(settings: Settings, path: Path, what: str, variables: str) -> bool:
    """Tell whether a missing key file is to be created: in demo mode only, else refuse."""
    if path.exists():
        return False
    if not settings.demo:
        raise SettingsError(
            f"no {what} at {path}: set {variables} (only demo mode creates keys by itself)"
        )
    return True


def key_provider(settings: Settings) -> KeyProvider:
    """Return the configured KEK provider; demo mode creates a key file if none exists."""
    if settings.keks is not None:
        return EnvKeyProvider(settings.keks.get_secret_value())
    path = settings.kek_file or settings.key_dir() / "kek.json"
    variables = "SAFECONDUCT_KEK_FILE or SAFECONDUCT_KEKS"
    if _create_missing(settings, path, "key-encryption key", variables):
        return FileKeyProvider.create(path)
    return FileKeyProvider(path)


def signer(settings: Settings) -> Signer:
    """Return the service signing key; demo mode creates one if none exists."""
    path = settings.signing_key_file or settings.key_dir() / "signing.pem"
    if _create_missing(settings, path, "audit signing key", "SAFECONDUCT_SIGNING_KEY_FILE"):
        return create_signer(path)
    return load_signer(path)


def open_runtime(settings: Settings) -> Runtime:
    """Build the runtime for these settings."""
    engine = make_engine(settings.db_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        keyring=Keyring(key_provider(settings)),
        audit=AuditLog(signer(settings), settings.audit_checkpoint_every),
    )

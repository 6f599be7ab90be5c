"""Everything a command or the web app needs, built once from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from safeconduct.audit.service import AuditLog
from safeconduct.config import Settings, SettingsError
from safeconduct.db import make_engine, make_sessionmaker, today, transaction
from safeconduct.security.channel_secret import (
    ChannelSecret,
    create_channel_secret,
    load_channel_secret,
)
from safeconduct.security.intake_box import (
    IntakeKey,
    create_intake_key,
    load_intake_key,
    load_intake_public,
)
from safeconduct.security.keys import EnvKeyProvider, FileKeyProvider, KeyProvider
from safeconduct.security.service import Keyring
from safeconduct.security.signing import Signer, create_signer, load_signer
from safeconduct.security.statements import (
    PublishedKey,
    published,
    read_key_set,
    write_key_set,
)

# The public face signs its audit entries' head with the channel key and never writes a
# checkpoint: checkpoints are the operator face's, under the service key.
NO_CHECKPOINTS = 2**62


@dataclass
class ChannelKeys:
    """What the channels use. `intake` is the private intake key: the operator face has it,
    the public face never does (it seals to `intake_public`)."""

    intake_public: X25519PublicKey
    signer: Signer  # signs receipts, bot answers and the official list
    secret: ChannelSecret
    published: list[PublishedKey]
    intake: IntakeKey | None = None


@dataclass
class Runtime:
    """The store, the keyring and the audit log of one deployment."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    keyring: Keyring
    audit: AuditLog
    # None when the deployment has no channels configured (then nothing comes in by them).
    channels: ChannelKeys | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work, committed whole or not at all."""
        with transaction(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def audit_keys(self) -> list[Ed25519PublicKey]:
        """The keys an audit head may be signed with: the service key, and the channel keys
        the public face signs its appends with."""
        keys = [self.audit.signer.public]
        if self.channels is not None:
            keys += [k.public for k in self.channels.published if k.use == "channel"]
        return keys


@dataclass
class PublicRuntime:
    """The public face: its own store connection (on PostgreSQL a role that may only take
    submissions), the channel keys without the private intake key, and an audit log it
    appends to under the channel key."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    channels: ChannelKeys
    audit: AuditLog

    @contextmanager
    def transaction(self) -> Iterator[Session]:
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


def _key_paths(settings: Settings) -> dict[str, Path]:
    folder = settings.key_dir()
    return {
        "intake": settings.intake_key_file or folder / "intake.pem",
        "intake_public": settings.intake_public_key_file or folder / "intake.pub.pem",
        "channel": settings.channel_key_file or folder / "channel.pem",
        "published": settings.channel_keys_file or folder / "channel-keys.json",
        "secret": settings.channel_secret_file or folder / "channel-secret.key",
    }


def create_demo_channel_keys(settings: Settings, service: Signer) -> None:
    """Create whatever channel key is missing (demo mode): the intake key pair, the channel
    signing key, the channel secret and the published key list."""
    paths = _key_paths(settings)
    if not paths["intake"].exists():
        create_intake_key(paths["intake"], paths["intake_public"])
    if not paths["secret"].exists():
        create_channel_secret(paths["secret"])
    if not paths["channel"].exists():
        channel = create_signer(paths["channel"])
        day = today()
        write_key_set(
            paths["published"],
            [published(channel, "channel", day), published(service, "service", day)],
        )


def rotate_channel_key(settings: Settings) -> PublishedKey:
    """Replace the channel signing key. The old public key stays published with the day it
    was retired, so receipts it signed still verify; its private half is deleted."""
    paths = _key_paths(settings)
    keys = read_key_set(paths["published"])
    day = today()
    kept = [
        replace(k, valid_until=day) if k.use == "channel" and k.valid_until is None else k
        for k in keys
    ]
    fresh = paths["channel"].with_suffix(".new")
    fresh.unlink(missing_ok=True)
    signer = create_signer(fresh)
    new_key = published(signer, "channel", day)
    write_key_set(paths["published"], [*kept, new_key])
    fresh.replace(paths["channel"])
    return new_key


def channel_keys(settings: Settings, *, private_intake: bool) -> ChannelKeys | None:
    """Load the channel keys; None when none are configured. The public face asks without
    the private intake key and never reads its file."""
    paths = _key_paths(settings)
    needed = ("intake_public", "channel", "published", "secret")
    if not all(paths[name].exists() for name in needed):
        return None
    intake = None
    if private_intake and paths["intake"].exists():
        intake = load_intake_key(paths["intake"])
    return ChannelKeys(
        intake_public=load_intake_public(paths["intake_public"]),
        signer=load_signer(paths["channel"]),
        secret=load_channel_secret(paths["secret"]),
        published=read_key_set(paths["published"]),
        intake=intake,
    )


def open_runtime(settings: Settings) -> Runtime:
    """Build the runtime for these settings."""
    keyring = Keyring(key_provider(settings))
    service = signer(settings)
    engine = make_engine(settings.db_url)
    if settings.demo:
        create_demo_channel_keys(settings, service)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        keyring=keyring,
        audit=AuditLog(service, settings.audit_checkpoint_every),
        channels=channel_keys(settings, private_intake=True),
    )


def open_public_runtime(settings: Settings) -> PublicRuntime:
    """Build the public face's runtime: no key-encryption key, no service key, no private
    intake key is loaded, whatever the settings name."""
    keys = channel_keys(settings, private_intake=False)
    if keys is None:
        raise SettingsError(
            "the public face needs the intake public key, the channel key, the published key "
            "list and the channel secret (SAFECONDUCT_INTAKE_PUBLIC_KEY_FILE, "
            "SAFECONDUCT_CHANNEL_KEY_FILE, SAFECONDUCT_CHANNEL_KEYS_FILE, "
            "SAFECONDUCT_CHANNEL_SECRET_FILE)"
        )
    engine = make_engine(settings.public_db_url or settings.db_url)
    return PublicRuntime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        channels=keys,
        audit=AuditLog(keys.signer, NO_CHECKPOINTS),
    )

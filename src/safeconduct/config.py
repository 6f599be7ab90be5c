"""One typed settings object, read from the environment when asked for, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_URL = "sqlite:///safeconduct.db"


class SettingsError(ValueError):
    """Raised when the configuration is unsafe or incomplete."""


class Settings(BaseSettings):
    """Safe Conduct settings; every field may come from `SAFECONDUCT_<NAME>`."""

    model_config = SettingsConfigDict(
        env_prefix="SAFECONDUCT_", extra="ignore", env_ignore_empty=True
    )

    db_url: str = DEFAULT_DB_URL
    # Demo mode may create its own keys beside the database; otherwise keys must exist:
    # there is no built-in default key, so none can leak from the source.
    demo: bool = False
    # Key-encryption keys: a file of named keys, or `id:base64key,...` in the environment.
    kek_file: Path | None = None
    keks: SecretStr | None = None
    # Ed25519 private key (PEM) that signs audit checkpoints; the public half is published.
    signing_key_file: Path | None = None
    audit_checkpoint_every: int = Field(default=100, ge=1, le=100_000)
    # The IANA zone operators' times are shown in, unless an account chooses its own.
    time_zone: str = "UTC"
    # Channels (see `channels`). The public face holds only the public half of the intake
    # key, the channel signing key (receipts) and the channel secret (codename hashes,
    # integration secrets): nothing that opens a submission or a record.
    intake_key_file: Path | None = None  # X25519 private (PEM): the operator face only
    intake_public_key_file: Path | None = None  # its public half: what the public face seals to
    channel_key_file: Path | None = None  # Ed25519 private (PEM) that signs receipts
    # The published channel keys, old and current, with their validity periods (JSON).
    channel_keys_file: Path | None = None
    channel_secret_file: Path | None = None  # 32 random bytes, base64
    # The public face's own database URL: on PostgreSQL a role that may only take submissions.
    public_db_url: str | None = None
    # The public face's address as applicants reach it (shown on /official and by `demo`).
    public_url: str = "http://127.0.0.1:8001"
    # Posts one client may make to the public pages a minute, and signed deliveries one
    # integration may make (429 with Retry-After beyond them; see channels.limits).
    public_posts_per_minute: int = Field(default=30, ge=1)
    integration_posts_per_minute: int = Field(default=300, ge=1)
    # Where bot answers are sent (a test points it at a fake Bot API on 127.0.0.1).
    telegram_api_base: str = "https://api.telegram.org"
    # Days a closed request keeps its channel data (contact, content, replies).
    retention_days: int = Field(default=30, ge=0, le=3650)
    # Terms of the treatment duties GC III leaves to the bureau (see `treatment.policy`):
    # "immediately" (Art. 122), "regularly" (Art. 126) and the like, in days.
    duty_cta_days: int = Field(default=7, ge=1, le=90)
    duty_visit_days: int = Field(default=90, ge=7, le=365)
    duty_commission_days: int = Field(default=60, ge=7, le=365)
    duty_death_days: int = Field(default=7, ge=1, le=90)
    duty_inquiry_days: int = Field(default=30, ge=1, le=365)
    duty_transfer_days: int = Field(default=7, ge=1, le=90)
    # How many days before an exchange the verifier's private interview may be held and
    # still count (guarantee 3: a wish heard long ago is not a wish).
    exchange_window_days: int = Field(default=30, ge=1, le=180)

    def key_dir(self) -> Path:
        """Return the folder where demo mode keeps the keys it creates."""
        return demo_key_dir(self.db_url)


def demo_key_dir(db_url: str) -> Path:
    """Keep demo keys beside a SQLite file, or in the working folder for a server."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and db_url != "sqlite:///:memory:":
        db_path = Path(db_url[len(prefix) :])
        return db_path.parent / (db_path.name + ".keys")
    return Path(".safeconduct-keys")

"""The public face in process: its runtime (no key-encryption key, no service key, no
private intake key) over the same store as the `rt` fixture, and a client for its app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from safeconduct.config import Settings
from safeconduct.runtime import PublicRuntime, open_public_runtime
from safeconduct.web.public import create_public_app


@pytest.fixture
def public_settings(settings: Settings) -> Settings:
    """The public face's settings: the channel keys and the public half of the intake key
    only; every file that could open something is unset."""
    return settings.model_copy(
        update={"kek_file": None, "keks": None, "signing_key_file": None, "intake_key_file": None}
    )


@pytest.fixture
def prt(public_settings: Settings, rt: object) -> Iterator[PublicRuntime]:
    # `rt` first: it migrates the store and makes the keys.
    del rt
    public = open_public_runtime(public_settings)
    yield public
    public.close()


@pytest.fixture
def public_client(prt: PublicRuntime) -> Iterator[TestClient]:
    with TestClient(create_public_app(prt)) as client:
        yield client

"""Every key provider honours the same contract (one conformance test per implementation)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from safeconduct.security.keys import (
    KEY_BYTES,
    EnvKeyProvider,
    FileKeyProvider,
    KeyProvider,
    KeyProviderError,
    new_key,
)


def _env_provider(_tmp: Path) -> KeyProvider:
    spec = ",".join(f"k{i}:{base64.b64encode(new_key()).decode()}" for i in (1, 2))
    return EnvKeyProvider(spec)


def _file_provider(tmp: Path) -> KeyProvider:
    return FileKeyProvider.create(tmp / "kek.json")


@pytest.mark.parametrize("make", [_env_provider, _file_provider], ids=["env", "file"])
def test_provider_contract(make: object, tmp_path: Path) -> None:
    provider = make(tmp_path)  # type: ignore[operator]
    assert isinstance(provider, KeyProvider)
    current = provider.current_id()
    assert current in provider.ids()
    assert len(provider.get(current)) == KEY_BYTES
    with pytest.raises(KeyProviderError, match="unknown"):
        provider.get("no-such-key")


def test_file_provider_adds_and_retires_keys(tmp_path: Path) -> None:
    provider = FileKeyProvider.create(tmp_path / "kek.json")
    first = provider.current_id()
    second = provider.add_new_current()
    assert second != first
    reread = FileKeyProvider(tmp_path / "kek.json")
    assert reread.current_id() == second
    assert reread.get(first) == provider.get(first)
    assert provider.retire(keep={second}) == [first]
    assert FileKeyProvider(tmp_path / "kek.json").ids() == [second]


def test_key_file_is_private_to_its_owner(tmp_path: Path) -> None:
    FileKeyProvider.create(tmp_path / "kek.json")
    mode = (tmp_path / "kek.json").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


@pytest.mark.parametrize("spec", ["", "nocolon", "k1:not-base64!", "k1:" + "QUJD"])
def test_malformed_env_keys_are_refused_without_echoing_them(spec: str) -> None:
    with pytest.raises(KeyProviderError) as caught:
        EnvKeyProvider(spec)
    if ":" in spec:
        assert spec.split(":", 1)[1] not in str(caught.value)


def test_unreadable_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "kek.json").write_text("{not json")
    with pytest.raises(KeyProviderError, match="cannot read key file"):
        FileKeyProvider(tmp_path / "kek.json")

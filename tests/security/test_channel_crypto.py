"""The channels' cryptography: boxes only the private intake key opens, bound to their
context and padded to a few sizes; signed statements that survive copying and nothing
else; a channel key rotation that keeps old statements verifiable."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from safeconduct.config import Settings
from safeconduct.runtime import create_demo_channel_keys, rotate_channel_key
from safeconduct.security.intake_box import SIZES, open_box, seal_to
from safeconduct.security.sealing import SealError
from safeconduct.security.signing import Signer, create_signer, load_signer
from safeconduct.security.statements import (
    canonical_body,
    check_statement,
    published,
    read_key_set,
    sign_statement,
)

KEY = X25519PrivateKey.generate()


@given(data=st.binary(max_size=5000))
@settings(max_examples=30, deadline=None)
def test_box_opens_with_its_context_only(data: bytes) -> None:
    box = seal_to(KEY.public_key(), data, context="request:abc")
    assert open_box(KEY, box, context="request:abc") == data
    with pytest.raises(SealError):
        open_box(KEY, box, context="request:abd")
    with pytest.raises(SealError):
        open_box(X25519PrivateKey.generate(), box, context="request:abc")


def test_box_length_tells_only_its_size_class() -> None:
    short = seal_to(KEY.public_key(), b"x", context="c")
    longer = seal_to(KEY.public_key(), b"x" * (SIZES[0] - 1), context="c")
    assert len(short) == len(longer)
    with pytest.raises(SealError):
        seal_to(KEY.public_key(), b"x" * SIZES[-1], context="c")


SIGNER = Signer(Ed25519PrivateKey.generate())
KEYS = [published(SIGNER, "channel", date(2026, 1, 1))]
BODY = "Safe Conduct receipt\nreference: R-7KQ4\nissued: 2026-11-26 10:00 UTC\nchannel: web form"


def test_statement_survives_copying_but_not_editing() -> None:
    text = sign_statement(SIGNER, BODY)
    copied = "\r\n".join(line + "  " for line in text.split("\n")) + "\n\n"
    assert check_statement(copied, KEYS).ok
    assert not check_statement(text.replace("R-7KQ4", "R-7KQ5"), KEYS).ok
    assert not check_statement(BODY, KEYS).ok
    stranger = published(Signer(Ed25519PrivateKey.generate()), "channel", date(2026, 1, 1))
    assert not check_statement(text, [stranger]).ok


@given(position=st.integers(min_value=0, max_value=len(BODY) - 1), char=st.characters())
@settings(max_examples=100, deadline=None)
def test_a_statement_verifies_exactly_when_its_text_is_unchanged(position: int, char: str) -> None:
    text = sign_statement(SIGNER, BODY)
    changed = BODY[:position] + char + BODY[position + 1 :]
    forged = text.replace(BODY, changed, 1)
    unchanged = canonical_body(changed) == canonical_body(BODY)
    assert check_statement(forged, KEYS).ok == unchanged


def test_rotation_keeps_old_statements_verifiable(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    service = create_signer(keys / "signing.pem")
    settings_ = Settings(
        db_url=f"sqlite:///{tmp_path / 'x.db'}",
        intake_key_file=keys / "intake.pem",
        intake_public_key_file=keys / "intake.pub.pem",
        channel_key_file=keys / "channel.pem",
        channel_keys_file=keys / "channel-keys.json",
        channel_secret_file=keys / "channel-secret.key",
    )
    create_demo_channel_keys(settings_, service)
    old = load_signer(keys / "channel.pem")
    old_receipt = sign_statement(old, BODY)
    new_key = rotate_channel_key(settings_)
    new = load_signer(keys / "channel.pem")
    assert new.key_id == new_key.key_id != old.key_id
    listed = read_key_set(keys / "channel-keys.json")
    retired = next(k for k in listed if k.key_id == old.key_id)
    assert retired.valid_until is not None
    check = check_statement(old_receipt, listed)
    assert check.ok
    assert check.key is not None
    assert check.key.key_id == old.key_id
    assert check_statement(sign_statement(new, BODY), listed).ok

"""Sealed values: bound to their field, opened only with the right keys, never shown."""

from __future__ import annotations

import json
import pickle
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from safeconduct.security.keys import new_key
from safeconduct.security.sealing import FieldRef, Sealed, SealError, open_bytes, seal_bytes

fields = st.builds(
    FieldRef,
    st.sampled_from(["custodies", "surrender_requests"]),
    st.sampled_from(["circumstances", "contact", "content"]),
    st.uuids().map(str),
)


@given(plaintext=st.binary(max_size=2048), field=fields)
def test_a_sealed_value_opens_in_its_own_field(plaintext: bytes, field: FieldRef) -> None:
    key, key_id = new_key(), uuid.uuid4()
    sealed = seal_bytes(plaintext, data_key=key, data_key_id=key_id, field=field)
    assert open_bytes(sealed, data_key=key, field=field) == plaintext


# At least 8 bytes: the hex of one or two bytes ("ed") may be a piece of any English word.
@given(plaintext=st.binary(min_size=8, max_size=512), field=fields, other=fields)
def test_a_moved_ciphertext_never_opens(plaintext: bytes, field: FieldRef, other: FieldRef) -> None:
    key = new_key()
    sealed = seal_bytes(plaintext, data_key=key, data_key_id=uuid.uuid4(), field=field)
    if other == field:
        return
    with pytest.raises(SealError, match="does not open") as caught:
        open_bytes(sealed, data_key=key, field=other)
    assert plaintext.hex() not in str(caught.value)


@given(plaintext=st.binary(min_size=8, max_size=512), field=fields)
def test_a_wrong_data_key_never_opens(plaintext: bytes, field: FieldRef) -> None:
    sealed = seal_bytes(plaintext, data_key=new_key(), data_key_id=uuid.uuid4(), field=field)
    with pytest.raises(SealError):
        open_bytes(sealed, data_key=new_key(), field=field)


@given(plaintext=st.binary(min_size=1, max_size=256), field=fields, index=st.integers(0, 10_000))
def test_any_flipped_bit_is_detected(plaintext: bytes, field: FieldRef, index: int) -> None:
    key = new_key()
    sealed = seal_bytes(plaintext, data_key=key, data_key_id=uuid.uuid4(), field=field)
    envelope = bytearray(sealed.envelope)
    position = 17 + index % (len(envelope) - 17)  # nonce or ciphertext or tag
    envelope[position] ^= 0x01
    with pytest.raises(SealError):
        open_bytes(Sealed(bytes(envelope)), data_key=key, field=field)


def test_a_sealed_value_shows_its_size_not_its_content() -> None:
    secret = "voluntary surrender at the bridge"
    sealed = seal_bytes(
        secret.encode(),
        data_key=new_key(),
        data_key_id=uuid.uuid4(),
        field=FieldRef("custodies", "circumstances", "x"),
    )
    for shown in (repr(sealed), str(sealed), f"{sealed}", f"{sealed!r:>10}"):
        assert secret not in shown
        assert shown.startswith("<Sealed ")


def test_a_sealed_value_cannot_be_serialised() -> None:
    sealed = seal_bytes(
        b"x", data_key=new_key(), data_key_id=uuid.uuid4(), field=FieldRef("t", "c", "r")
    )
    with pytest.raises(TypeError):
        json.dumps(sealed)
    with pytest.raises(TypeError):
        pickle.dumps(sealed)
    with pytest.raises(TypeError, match="pydantic"):

        class Leaky(BaseModel):
            value: Sealed


def test_garbage_is_not_a_sealed_value() -> None:
    with pytest.raises(SealError):
        Sealed(b"\x07" + b"0" * 40)
    with pytest.raises(SealError):
        Sealed(b"\x01short")

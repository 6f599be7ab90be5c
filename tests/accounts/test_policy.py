"""Roles as data: separation of duties holds whatever the table grows into."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from safeconduct.accounts.policy import (
    FREE_FAILURES,
    MAX_LOCK_SECONDS,
    ROLE_PERMISSIONS,
    SEALED_PERMISSIONS,
    Permission,
    Role,
    allows,
    lock_seconds,
    needs_second_factor,
)


def test_every_role_is_in_the_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_separation_of_duties() -> None:
    assert not ROLE_PERMISSIONS[Role.ADMIN] & SEALED_PERMISSIONS
    assert Permission.CIRCUMSTANCES_REVEAL not in ROLE_PERMISSIONS[Role.EXCHANGE]
    assert Permission.CIRCUMSTANCES_REVEAL not in ROLE_PERMISSIONS[Role.REGISTRAR]
    assert Permission.CIRCUMSTANCES_REVEAL not in ROLE_PERMISSIONS[Role.WELFARE]
    personal = {
        Permission.PERSON_READ,
        Permission.CUSTODY_READ,
        Permission.REQUEST_READ,
        *SEALED_PERMISSIONS,
    }
    assert not ROLE_PERMISSIONS[Role.AUDITOR] & personal
    assert not ROLE_PERMISSIONS[Role.INTAKE] & {Permission.PERSON_READ, Permission.CUSTODY_READ}


@given(role=st.sampled_from(Role), permission=st.sampled_from(Permission))
def test_allows_is_exactly_the_table(role: Role, permission: Permission) -> None:
    assert allows(role, permission) == (permission in ROLE_PERMISSIONS[role])


@given(role=st.sampled_from(Role))
def test_roles_that_open_sealed_values_need_a_second_factor(role: Role) -> None:
    if ROLE_PERMISSIONS[role] & SEALED_PERMISSIONS:
        assert needs_second_factor(role)


@given(failures=st.integers(0, 1000))
def test_lockout_grows_and_is_bounded(failures: int) -> None:
    wait = lock_seconds(failures)
    assert 0 <= wait <= MAX_LOCK_SECONDS
    assert (wait == 0) == (failures < FREE_FAILURES)
    assert lock_seconds(failures + 1) >= wait

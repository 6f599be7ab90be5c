"""Roles as data: separation of duties holds whatever the table grows into."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.accounts.policy import (
    CLIENT_MAX_FAILURES,
    CLIENT_WINDOW_SECONDS,
    FREE_FAILURES,
    MAX_LOCK_SECONDS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    allows,
    client_retry_after,
    is_code,
    lock_seconds,
)
from safeconduct.disclosure.policy import SEALED_PERMISSIONS, needs_approval, opens_sealed


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


def test_only_the_admin_manages_accounts() -> None:
    managers = {r for r in Role if Permission.ACCOUNT_MANAGE in ROLE_PERMISSIONS[r]}
    assert managers == {Role.ADMIN}


def test_only_the_auditor_approves_accounts_for_sealed_values() -> None:
    # Four eyes: the admin, who makes accounts and sees their invitation codes, never
    # approves one; and the approver opens nothing sealed itself.
    approvers = {r for r in Role if Permission.ACCOUNT_APPROVE in ROLE_PERMISSIONS[r]}
    assert approvers == {Role.AUDITOR}
    assert not ROLE_PERMISSIONS[Role.AUDITOR] & SEALED_PERMISSIONS
    # Treatment notes: each of the staff who record treatment opens the notes of its kinds;
    # the tracing officer opens family inquiries.
    assert {r for r in Role if opens_sealed(r)} == {
        Role.INTAKE,
        Role.REGISTRAR,
        Role.MEDICAL,
        Role.WELFARE,
        Role.VERIFIER,
        Role.TRACING,
    }


def test_the_power_to_approve_needs_approval_too() -> None:
    # Else the admin, who sees every invitation code, would hold an auditor account and
    # approve its own verifier with it.
    assert {r for r in Role if needs_approval(r)} == {
        Role.INTAKE,
        Role.REGISTRAR,
        Role.MEDICAL,
        Role.WELFARE,
        Role.VERIFIER,
        Role.TRACING,
        Role.AUDITOR,
    }
    for role in Role:
        held = ROLE_PERMISSIONS[role]
        assert needs_approval(role) == bool(
            held & (SEALED_PERMISSIONS | {Permission.ACCOUNT_APPROVE})
        )


@pytest.mark.parametrize("code", ["000000", "123456", "999999"])
def test_six_ascii_digits_are_a_code(code: str) -> None:
    assert is_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
        "\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6",  # Extended Arabic-Indic digits
        "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth digits
        "12345\u0666",
        "\u00b9\u00b2\u00b3456",  # superscripts: str.isdigit() says yes
        "123456\n",
        " 123456",
        "12345",
        "1234567",
        "",
        "12a456",
    ],
)
def test_anything_else_is_not_a_code(code: str) -> None:
    assert not is_code(code)


@given(failures=st.integers(0, 1000))
def test_lockout_grows_and_is_bounded(failures: int) -> None:
    wait = lock_seconds(failures)
    assert 0 <= wait <= MAX_LOCK_SECONDS
    assert (wait == 0) == (failures < FREE_FAILURES)
    assert lock_seconds(failures + 1) >= wait


def test_lockout_steps_written_out() -> None:
    assert [lock_seconds(n) for n in range(4, 10)] == [0, 30, 60, 120, 240, 480]
    assert lock_seconds(20) == MAX_LOCK_SECONDS


@given(failures=st.integers(0, 500), age=st.floats(0, 2 * CLIENT_WINDOW_SECONDS))
def test_a_client_waits_only_while_over_the_limit_in_its_window(failures: int, age: float) -> None:
    wait = client_retry_after(failures, age)
    blocked = failures >= CLIENT_MAX_FAILURES and age < CLIENT_WINDOW_SECONDS
    assert (wait > 0) == blocked
    assert 0 <= wait <= CLIENT_WINDOW_SECONDS
    if blocked:
        assert age + wait >= CLIENT_WINDOW_SECONDS  # never let it in before the window ends

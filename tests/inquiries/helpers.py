"""Shared steps of the inquiries tests: an inquiry taken by an officer, a neutral visit."""

from __future__ import annotations

from datetime import date
from typing import Any

from safeconduct.accounts.policy import Role
from safeconduct.custody.models import Custody
from safeconduct.inquiries import service
from safeconduct.inquiries.policy import check_fields
from safeconduct.intake.models import Channel
from safeconduct.runtime import Runtime
from safeconduct.treatment import service as treatment
from safeconduct.treatment.models import TreatmentKind
from safeconduct.treatment.schemas import TreatmentEventCreate
from tests.factories import ACTOR

OFFICER = ACTOR


def enter(rt: Runtime, **values: Any) -> service.Entered:
    """An inquiry taken by phone: Cyrillic names unless given."""
    form = {"surname": "Коваленко", "given_name": "Петро", "contact": "+380 50 000 0001",
            "relationship": "parent"} | values  # fmt: skip
    with rt.transaction() as s:
        return service.enter(s, keyring=rt.keyring, keys=rt.channels, audit=rt.audit,
                             actor=OFFICER, fields=check_fields(form),
                             channel=Channel.PHONE)  # fmt: skip


def add_visit(rt: Runtime, custody: Custody, on: date) -> None:
    """A neutral body's visit (Art. 126), recorded by the verifier."""
    with rt.transaction() as s:
        row = s.get(Custody, custody.id)
        assert row is not None
        treatment.record_event(
            s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, role=Role.VERIFIER, custody=row,
            event_in=TreatmentEventCreate(kind=TreatmentKind.VISIT, occurred_on=on,
                                          private_interview=True),
        )  # fmt: skip

"""A closed inquiry's personal data is destroyed once its period has passed: the names, the
inquirer and the answers' key are gone for good, what was told stays as steps and days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from safeconduct.channels.models import TicketReply
from safeconduct.db import today
from safeconduct.inquiries import retention, service
from safeconduct.inquiries.models import Inquiry, InquiryKey
from safeconduct.inquiries.policy import Step
from safeconduct.runtime import Runtime
from safeconduct.security.service import ErasedError
from tests.factories import ACTOR
from tests.inquiries.helpers import enter


def test_a_closed_inquiry_is_forgotten_after_its_period(rt: Runtime) -> None:
    entered = enter(rt)
    with rt.transaction() as s:
        inquiry = s.get(Inquiry, entered.inquiry.id)
        assert inquiry is not None
        service.answer(s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, inquiry=inquiry,
                       step=Step.NO_INFORMATION)  # fmt: skip
        service.close(s, audit=rt.audit, actor=ACTOR, inquiry=inquiry)
    with rt.transaction() as s:
        early = retention.run(s, keyring=rt.keyring, audit=rt.audit, on=today(), days=30)
        assert early == 0
        later = today() + timedelta(days=30)
        assert retention.run(s, keyring=rt.keyring, audit=rt.audit, on=later, days=30) == 1
    with rt.transaction() as s:
        inquiry = s.get(Inquiry, entered.inquiry.id)
        assert inquiry is not None
        assert inquiry.data_destroyed_on is not None
        with pytest.raises(ErasedError):
            service.reveal(s, keyring=rt.keyring, audit=rt.audit, actor=ACTOR, inquiry=inquiry)
        for table in (TicketReply, InquiryKey):
            assert s.scalar(select(func.count()).select_from(table)) == 0
        assert [a.step for a in service.answers(s, inquiry.id)] == ["no_information"]

"""A registration and an inquiry for the same person, made at the same moment in two
transactions, still find each other: matching both ways is serialised (an advisory lock on
PostgreSQL; SQLite has one writer at a time)."""

from __future__ import annotations

import threading

from safeconduct.inquiries import service
from safeconduct.runtime import Runtime
from tests.factories import add_person
from tests.inquiries.helpers import enter

ROUNDS = 4


def _round(rt: Runtime, born: str) -> tuple[str, str]:
    barrier = threading.Barrier(2)
    found: dict[str, str] = {}

    def register() -> None:
        barrier.wait()
        person = add_person(rt, "SAVCHUK", given_names="Yurii", date_of_birth=born)
        with rt.transaction() as s:
            service.index_registrations(s, keyring=rt.keyring)
        found["person"] = person.id

    def ask() -> None:
        barrier.wait()
        entered = enter(rt, surname="Савчук", given_name="Юрій", date_of_birth=born)
        found["inquiry"] = entered.inquiry.id

    threads = [threading.Thread(target=register), threading.Thread(target=ask)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return found["person"], found["inquiry"]


def test_a_registration_and_an_inquiry_at_once_still_meet(rt: Runtime) -> None:
    for i in range(ROUNDS):
        person_id, inquiry_id = _round(rt, f"198{i}-03-1{i}")
        with rt.sessions() as s:
            proposed = [c.person_id for c, _ in service.candidates(s, inquiry_id)]
        assert person_id in proposed, f"round {i}"

"""The voluntary GC III Art. 122(4) details that identify a prisoner's family (father's
first name, mother's maiden name, the person to be informed, the address for
correspondence): sealed together as one value under the person's data key, so erasure takes
them too. Nothing here opens them: who may, and for which purpose, is not decided yet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from safeconduct.people.models import Person
from safeconduct.people.schemas import FamilyDetails
from safeconduct.security.sealing import FieldRef, Sealed
from safeconduct.security.service import KeyOwner, Keyring

# Every family value seals to this one size, whatever was given: how many details a person
# gave, and how long they are, is plain in a ciphertext's length. The largest value the
# schema admits (two 200- and two 300-character texts of 4-byte characters, JSON) fits.
FAMILY_BYTES = 5120


def field_of(person_id: str) -> FieldRef:
    """Where a person's family details are sealed (bound into the ciphertext)."""
    return FieldRef(Person.__tablename__, "family", person_id)


def seal(
    session: Session, *, keyring: Keyring, owner: KeyOwner, person_id: str, details: FamilyDetails
) -> Sealed | None:
    """Seal the details given, padded to FAMILY_BYTES; None when none was given."""
    given = details.given()
    if not given:
        return None
    return keyring.seal_json(
        session, owner=owner, field=field_of(person_id), value=given, size=FAMILY_BYTES
    )

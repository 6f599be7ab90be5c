"""The bureau's outputs in the API: the transmission log as it is read."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class TransmissionRead(BaseModel):
    """One entry of the transmission log: what left, to whom, which day, its hash, by whom."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    output: str
    recipient: str
    subject_id: str
    sha256: str
    sent_on: date
    actor: str

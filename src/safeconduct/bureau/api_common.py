"""What the bureau's routers share: the caption language of a document, a PDF download, and
a document sent (its request, and the transmission-log entry that answers it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response
from pydantic import BaseModel, ConfigDict

from safeconduct.accounts.schemas import Language
from safeconduct.bureau.models import Recipient
from safeconduct.http.errors import errors

LanguageQuery = Annotated[Language, Query(description="the language of the captions")]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
CHANGES = errors(404, 409, 422)


class SendRequest(BaseModel):
    """To whom a document goes, and the language of its captions (beside English)."""

    model_config = ConfigDict(extra="forbid")

    recipient: Recipient
    language: Language = Language.EN


def pdf_response(content: bytes, name: str) -> Response:
    """A PDF download, never cached: it holds personal data."""
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )

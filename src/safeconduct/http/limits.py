"""Refuse oversized request bodies before anything parses them."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024  # the largest honest request (a 10,000-character message) is far less
# ASCII digits only, and few of them: a length is never signed, spaced or twenty digits long.
_LENGTH = re.compile(rb"[0-9]{1,18}")


class BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: 413 for a body over the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and not _within(declared, self.limit):
            await _too_large(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLargeError
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLargeError:
            await _too_large(send)


def _within(declared: bytes, limit: int) -> bool:
    """Tell whether a declared Content-Length is a plain decimal number within the limit."""
    return _LENGTH.fullmatch(declared) is not None and int(declared) <= limit


async def _too_large(send: Send) -> None:
    body = b'{"error":"too_large","detail":"body: larger than the limit"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

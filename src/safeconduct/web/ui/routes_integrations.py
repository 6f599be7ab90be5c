"""The admin's integrations pages: bots and phone lines allowed to post to the public face."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

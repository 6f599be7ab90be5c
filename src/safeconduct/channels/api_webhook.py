"""The webhook for bot and phone (IVR) platforms, on the public face."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

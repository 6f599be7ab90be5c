"""Logging set-up: short, structured lines with no personal data."""

from __future__ import annotations

import logging


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr; never with request bodies, paths or exception messages."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")

"""`safeconduct db roles`: the public face's own PostgreSQL role."""

from __future__ import annotations

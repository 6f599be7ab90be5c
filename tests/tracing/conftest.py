"""Fixtures for the tracing tests: a small synthetic registry and a built matcher."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safeconduct.tracing.dates import PartialDate
from safeconduct.tracing.matcher import InquiryRow, RegistryRow
from safeconduct.tracing.splink_matcher import SplinkMatcher

# The benchmark's generator is the one source of synthetic tracing data.
sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

import tracing_data


@pytest.fixture(scope="session")
def synthetic() -> tuple[list[tracing_data.Person], list[tracing_data.Inquiry]]:
    """Return a 3,000-person registry and 400 tagged inquiries."""
    return tracing_data.generate(3000, 400, seed=11)


@pytest.fixture(scope="session")
def registry_rows(synthetic: tuple[list[tracing_data.Person], object]) -> list[RegistryRow]:
    """Return the synthetic registry as matcher rows."""
    return [
        RegistryRow(p.id, p.surname, p.given, p.patronymic, PartialDate.parse(p.dob))
        for p in synthetic[0]
    ]


@pytest.fixture(scope="session")
def inquiry_rows(synthetic: tuple[object, list[tracing_data.Inquiry]]) -> list[InquiryRow]:
    """Return the synthetic inquiries as matcher rows."""
    return [
        InquiryRow(q.inquiry_id, q.surname, q.given, q.patronymic, PartialDate.parse(q.dob))
        for q in synthetic[1]
    ]


@pytest.fixture(scope="session")
def duckdb_matcher(registry_rows: list[RegistryRow]) -> Iterator[SplinkMatcher]:
    """Return a DuckDB matcher indexed on the synthetic registry."""
    matcher = SplinkMatcher(engine="duckdb")
    matcher.build_index(registry_rows)
    yield matcher
    matcher.close()

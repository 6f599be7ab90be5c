"""Smoke test of the inquiries benchmark: the tiny size runs end to end, every check passes."""

from __future__ import annotations

import pytest

from bench import inquiries


def test_tiny_run_passes_its_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert inquiries.main(["--tiny", "--runs", "2", "--workers", "1", "--sample", "200"]) == 0
    out = capsys.readouterr().out
    assert "(a) one new registration against 300 open inquiries" in out
    assert "100 inquiries:" in out
    assert "FAILED" not in out

"""The comparison an officer weighs, as the review page words it: every level the engine can
reach has words of its own in each language, so a new level is named before it is shown."""

from __future__ import annotations

import re

import pytest

from safeconduct.tracing import splink_model
from safeconduct.web.ui import i18n
from safeconduct.web.ui.render import env

CYRILLIC = re.compile("[а-яіїєґ]", re.IGNORECASE)


def _labels() -> list[str]:
    return ["null", *{lv.label for levels in splink_model.LEVELS.values() for lv in levels}]


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_level_of_the_engine_is_worded(language: str) -> None:
    macro = env.get_template("_level_macros.html").module.level_label  # type: ignore[attr-defined]
    with i18n.active(language):
        worded = {label: str(macro(label)).strip() for label in _labels()}
    unworded = [label for label, text in worded.items() if not CYRILLIC.search(text)]
    assert unworded == []

"""The Russian and Ukrainian catalogs keep to docs/glossary.md.

The glossary is the reference: its "Never write" table lists forbidden terms, and its
tables of statuses, channels, ranks, roles and purposes say what each stored value reads
as. These tests render the label macros in every language and compare them with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from safeconduct.accounts.policy import Role
from safeconduct.custody.models import CustodyStatus
from safeconduct.disclosure.policy import Purpose
from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.people.ranks import RANKS
from safeconduct.web.ui import i18n
from safeconduct.web.ui.render import env

GLOSSARY = Path(__file__).resolve().parents[3] / "docs" / "glossary.md"
# Ukrainian writes its apostrophe as U+02BC; compare every variant as that one.
APOSTROPHES = str.maketrans({"'": "ʼ", "’": "ʼ"})
LETTER = "а-яёіїєґ"
# "Взят(а)", "Освобождён/а": both sexes crammed into one word (glossary, rule 1).
BOTH_SEXES = re.compile(
    rf"[{LETTER}](?:\([{LETTER}]{{1,3}}\)|/[{LETTER}]{{1,3}}(?![{LETTER}]))", re.I
)
# Surrender is always "в плен" / "в полон" (glossary, rule 4).
BARE_SURRENDER = {
    "ru": re.compile(
        r"(?<!\w)(?:сдач\w*|сдаться|сдался|сдалась|сдались|сдаваться)(?!\w)(?!\s+в\s+плен)", re.I
    ),
    "uk": re.compile(
        r"(?<!\w)(?:здач\w*|здатися|здався|здалася|здалися|здаватися)(?!\w)(?!\s+[ву]\s+полон)",
        re.I,
    ),
}
SEXES = ("unknown", "female", "male")


def table(heading: str) -> list[dict[str, str]]:
    """The first table under a heading of the glossary, as rows keyed by its header."""
    lines = GLOSSARY.read_text(encoding="utf-8").splitlines()
    rows: list[list[str]] = []
    for line in lines[lines.index(heading) + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows or line.startswith("#"):
            break
    header, _rule, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def forbidden() -> list[tuple[str, set[str]]]:
    """(term, languages) for each row of the "Never write" table."""
    rows = table("## Never write")
    return [
        (row["never write"].strip("`").translate(APOSTROPHES), set(row["in"].split(", ")))
        for row in rows
    ]


def _texts(message: Message) -> dict[str, str]:
    """Each translated text of a catalog entry by its msgid; a plural entry (`ngettext`)
    gives each of its forms, keyed `msgid [n]`."""
    if isinstance(message.id, tuple):
        return {f"{message.id[0]} [{n}]": form for n, form in enumerate(message.string) if form}
    return {message.id: message.string} if message.string else {}


def translations(language: str) -> dict[str, str]:
    with i18n.catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    return {
        msgid: text.translate(APOSTROPHES)
        for m in catalog
        if m.id
        for msgid, text in _texts(m).items()
    }


def render(language: str, macro: str, *args: object) -> str:
    """What a label macro of `_macros.html` shows in `language`."""
    module = env.get_template("_macros.html").make_module({})
    with i18n.active(language):
        return str(getattr(module, macro)(*args))


def test_the_glossary_forbids_what_readers_found() -> None:
    terms = {term for term, _languages in forbidden()}
    assert {"ЖК", "под стражей", "під вартою", "Взят в плен", "Взятий у полон", "Люди"} <= terms
    assert all(languages <= {"ru", "uk"} for _term, languages in forbidden())


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_no_translation_uses_a_forbidden_term(language: str) -> None:
    found = [
        (msgid, term)
        for term, languages in forbidden()
        if language in languages
        for msgid, text in translations(language).items()
        if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text, re.I)
    ]
    assert found == []


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_surrender_is_always_into_captivity(language: str) -> None:
    bare = [
        m for m, text in translations(language).items() if BARE_SURRENDER[language].search(text)
    ]
    assert bare == []


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_no_word_carries_both_sexes(language: str) -> None:
    both = [m for m, text in translations(language).items() if BOTH_SEXES.search(text)]
    assert both == []


def test_ukrainian_writes_its_own_apostrophe() -> None:
    with i18n.catalog_path("uk").open("rb") as po:
        wrong = [
            msgid
            for m in read_po(po, locale="uk")
            if m.id
            for msgid, text in _texts(m).items()
            if re.search("['’]", text)
        ]
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    ["Взят в плен", "Журнал (ЖК III)", "Содержание под стражей", "Взят(а) в плен", "Освобождён/а"],
)
def test_the_checks_catch_what_readers_found(text: str) -> None:
    terms = [term for term, _languages in forbidden()]
    caught = any(re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text, re.I) for t in terms)
    assert caught or BOTH_SEXES.search(text)


@pytest.mark.parametrize(
    ("language", "text", "bare"),
    [
        ("ru", "Заявки на сдачу", True),
        ("ru", "Заявки на сдачу в плен", False),
        ("ru", "Он сдался.", True),
        ("uk", "Заявка на здачу", True),
        ("uk", "Заявка на здачу в полон", False),
        ("uk", "Здається, все гаразд.", False),
    ],
)
def test_bare_surrender_is_caught(language: str, text: str, bare: bool) -> None:
    assert bool(BARE_SURRENDER[language].search(text)) is bare


def test_every_custody_status_has_its_words() -> None:
    assert {row["stored"] for row in table("## Custody statuses")} == {
        s.value for s in CustodyStatus
    }


@pytest.mark.parametrize("row", table("## Custody statuses"), ids=lambda row: row["stored"])
def test_custody_status_fits_the_persons_sex(row: dict[str, str]) -> None:
    for sex in SEXES:
        assert render("en", "status_label", row["stored"], sex) == row["English"]
        for language in ("ru", "uk"):
            shown = render(language, "status_label", row["stored"], sex)
            assert shown == row[f"{language.upper()} {sex}"], (language, sex)


@pytest.mark.parametrize("language", ["RU", "UK"])
@pytest.mark.parametrize("row", table("## Custody statuses"), ids=lambda row: row["stored"])
def test_female_and_male_forms_are_told_apart(language: str, row: dict[str, str]) -> None:
    female, male, unknown = (row[f"{language} {sex}"] for sex in ("female", "male", "unknown"))
    if female == male:  # a form without gender ("В плену") serves everyone
        assert unknown == female
        return
    assert female.split()[0].endswith("а")
    assert not male.split()[0].endswith("а")
    assert unknown not in {female, male}


LABELS: list[tuple[str, str, Iterable[str]]] = [
    ("### Request statuses", "status_label", [s.value for s in RequestStatus]),
    ("### Channels", "channel_label", [c.value for c in Channel]),
    ("## Ranks", "rank_label", RANKS),
    ("## Roles", "role_label", [r.value for r in Role]),
    ("## Purposes of a reveal", "purpose_label", [p.value for p in Purpose]),
]


@pytest.mark.parametrize(("heading", "macro", "stored"), LABELS, ids=[m for _h, m, _s in LABELS])
def test_labels_read_as_the_glossary_says(heading: str, macro: str, stored: Iterable[str]) -> None:
    rows = table(heading)
    assert {row["stored"] for row in rows} == set(stored)
    for row in rows:
        for language, column in (("en", "English"), ("ru", "Russian"), ("uk", "Ukrainian")):
            assert render(language, macro, row["stored"]) == row[column], (language, row)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("Senior Sergeant", "Старший сержант"),
        (" major ", "Майор"),
        ("colonel", "colonel"),
        ("", ""),
    ],
)
def test_rank_label_matches_any_case_and_keeps_other_values(stored: str, shown: str) -> None:
    assert render("ru", "rank_label", stored) == shown


@pytest.mark.parametrize("status", list(RequestStatus))
def test_request_statuses_never_depend_on_a_person(status: RequestStatus) -> None:
    shown = {render("ru", "status_label", status.value, sex) for sex in SEXES}
    assert len(shown) == 1

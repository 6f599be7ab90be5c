"""Name normalisation: scripts, transliteration systems, national forms."""

from __future__ import annotations

import importlib

import iuliia
import pytest
import translitua
from hypothesis import given
from hypothesis import strategies as st

from safeconduct.tracing.names import Script, coarse, detect_script, skeleton, to_latin
from safeconduct.tracing.person_names import (
    given_key,
    initial_key,
    is_known_given_name,
    patronymic_key,
    split_name,
)

_RU = importlib.import_module("faker.providers.person.ru_RU").Provider
_UK = importlib.import_module("faker.providers.person.uk_UA").Provider
RUSSIAN_NAMES = sorted(set(_RU.last_names_male + _RU.first_names_male + _RU.middle_names_male))
UKRAINIAN_NAMES = sorted(set(_UK.last_names_male + _UK.first_names_male + _UK.middle_names_male))

RUSSIAN_SCHEMAS = [
    "ICAO_DOC_9303",
    "GOST_779",
    "BGN_PCGN",
    "ALA_LC",
    "WIKIPEDIA",
    "SCIENTIFIC",
    "MOSMETRO",
    "GOST_52535",
    "MVD_310",
    "MVD_782",
    "YANDEX_MAPS",
    "BS_2979",
    "UNGEGN_1987",
    "ISO_9_1954",
    "GOST_16876",
]
UKRAINIAN_TABLES = [
    "UkrainianKMU",
    "UkrainianPassport2007",
    "UkrainianBGN",
    "UkrainianALALC",
    "UkrainianISO9",
    "UkrainianSimple",
    "UkrainianNational1996",
    "UkrainianUNGEGN",
    "UkrainianBritish",
]
EXAMPLE_SPELLINGS = [
    "Щербаков",
    "Shcherbakov",
    "Schtscherbakow",
    "Sjtsjerbakov",
    "Chtcherbakov",
    "Ščerbakov",
    "Ŝerbakov",
    "Scherbakov",
    "SHCHERBAKOV",
    " shcherbakov, ",
]


@given(st.text())
def test_normalisation_never_raises_and_is_idempotent(text: str) -> None:
    latin = to_latin(text)
    assert to_latin(latin) == latin
    assert skeleton(skeleton(text)) == skeleton(text)
    assert skeleton(latin) == skeleton(text)
    assert latin == "" or latin.replace(" ", "").isascii()


@pytest.mark.parametrize("schema", RUSSIAN_SCHEMAS)
@given(name=st.sampled_from(RUSSIAN_NAMES))
def test_every_russian_schema_keeps_the_skeleton(schema: str, name: str) -> None:
    assert skeleton(getattr(iuliia, schema).translate(name)) == skeleton(name)


def test_telegram_schema_keeps_the_skeleton_except_zh_as_j() -> None:
    # Telegram writes ж as a bare j, which every other system uses for й.
    names = [n for n in RUSSIAN_NAMES if "ж" not in n.lower()]
    assert all(skeleton(iuliia.TELEGRAM.translate(n)) == skeleton(n) for n in names)


@pytest.mark.parametrize("table", UKRAINIAN_TABLES)
@given(name=st.sampled_from(UKRAINIAN_NAMES))
def test_every_ukrainian_system_keeps_the_skeleton(table: str, name: str) -> None:
    assert skeleton(translitua.translit(name, getattr(translitua, table))) == skeleton(name)


@given(name=st.sampled_from(UKRAINIAN_NAMES))
def test_german_style_keeps_the_coarse_key(name: str) -> None:
    german = translitua.translit(name, translitua.UkrainianGerman)
    if "ж" not in name.lower() and "зг" not in name.lower():
        assert coarse(skeleton(german)) == coarse(skeleton(name))


@pytest.mark.parametrize("spelling", EXAMPLE_SPELLINGS)
def test_example_spellings_share_one_skeleton(spelling: str) -> None:
    assert skeleton(spelling) == skeleton("Щербаков")


@pytest.mark.parametrize(
    ("russian", "ukrainian_latin"),
    [
        ("Сергей", "Serhii"),
        ("Александр", "Oleksandr"),
        ("Алексей", "Oleksii"),
        ("Николай", "Mykola"),
        ("Павел", "Pavlo"),
        ("Пётр", "Petro"),
        ("Василий", "Vasyl"),
    ],
)
def test_ukrainian_forms_share_the_given_name_key(russian: str, ukrainian_latin: str) -> None:
    assert given_key(ukrainian_latin) == given_key(russian)


def test_ukrainian_patronymic_shares_the_key() -> None:
    assert patronymic_key("Миколайович") == patronymic_key("Николаевич")
    assert patronymic_key("Serhiiovych") == patronymic_key("Сергеевич")


def test_script_detection() -> None:
    assert detect_script("Щербаков") is Script.CYRILLIC
    assert detect_script("Shcherbakov") is Script.LATIN
    assert detect_script("Щepбakob") is Script.MIXED
    assert detect_script(" - ") is Script.EMPTY
    assert detect_script("李") is Script.OTHER


def test_latin_is_never_turned_back_into_cyrillic() -> None:
    assert to_latin("Shcherbakov Sergei") == "shcherbakov sergei"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("Щербаков Сергей Петрович", "", ""), ("shcherbakov", "sergei", "petrovich")),
        (("SHCHERBAKOV", "Sergei Petrovich", ""), ("shcherbakov", "sergei", "petrovich")),
        (("Shcherbakov", "Sergei P.", ""), ("shcherbakov", "sergei", "p")),
        (("Shcherbakov", "Sergei", ""), ("shcherbakov", "sergei", "")),
        ((" Shcherbakov ,", "(Sergei)", "Yu."), ("shcherbakov", "sergei", "yu")),
    ],
)
def test_split_name_tolerates_how_families_write(
    fields: tuple[str, str, str], expected: tuple[str, str, str]
) -> None:
    name = split_name(*fields)
    assert (name.surname, name.given, name.patronymic) == expected


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("Вова", "Владимир"),
        ("Vova", "Volodymyr"),
        ("Володя", "Wladimir"),
        ("Славко", "Vyacheslav"),
        ("Серьожа", "Сергій"),
        ("Sasha", "Oleksandr"),
        ("Вітя", "Viktor"),
        ("Егорка", "Yegor"),  # a known name with a diminutive suffix
        ("Лазарко", "Lazar"),
    ],
)
def test_diminutives_share_the_given_name_key(short: str, full: str) -> None:
    assert given_key(short) == given_key(full)
    assert is_known_given_name(short)


def test_a_diminutive_skeleton_two_names_share_names_neither() -> None:
    # Саня (Александр) and Сеня (Семён) fold to one skeleton.
    assert given_key("Саня") not in {given_key("Александр"), given_key("Семён")}


def test_a_full_name_outranks_a_diminutive_spelled_alike() -> None:
    # Фима (Ефим) folds onto Фома, a name in its own right: Фома keeps it.
    assert given_key("Фима") == given_key("Фома")
    assert given_key("Фима") != given_key("Ефим")
    assert not is_known_given_name("Brumbt")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Е.", "Yevhenovych", True),
        ("Е.", "Evgenievich", True),
        ("Я.", "Iakovlevich", True),
        ("Ю", "Yurievich", True),
        ("Г.", "Hryhorovych", True),
        ("Е.", "Антонович", False),  # a skeleton folds every vowel into one
        ("Г.", "Stepanovich", False),  # and the coarse key merges g with s
        ("И.", "Олегович", False),
    ],
)
def test_patronymic_initials_keep_vowels_apart(a: str, b: str, same: bool) -> None:
    assert (initial_key(a) == initial_key(b)) is same

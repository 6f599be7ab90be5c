"""The independent tracing benchmark set: contract, determinism, proportions, error kinds."""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from bench.tracing_independent_data import (
    ALL_TAGS,
    COMBINED_KINDS,
    SINGLE_KINDS,
    GivenName,
    generate,
    given_names,
    patronymic,
    transliterate,
    typo,
    write_csvs,
)
from hypothesis import given, settings
from hypothesis import strategies as st

Rows = list[dict[str, str]]
DATE = re.compile(r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")
CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
NAMES = ("surname", "given_name", "patronymic")


@pytest.fixture(scope="module")
def sample() -> tuple[Rows, Rows, Rows]:
    return generate(3000, 1500, seed=11)


def _by_tag(sample: tuple[Rows, Rows, Rows]) -> dict[str, list[tuple[dict[str, str], ...]]]:
    registry, inquiries, truth = sample
    reg = {r["id"]: r for r in registry}
    out: dict[str, list[tuple[dict[str, str], ...]]] = {}
    for inquiry, t in zip(inquiries, truth, strict=True):
        pair = (inquiry, reg[t["truth"]]) if t["truth"] else (inquiry,)
        out.setdefault(t["tag"], []).append(pair)
    return out


def test_the_csv_files_follow_the_contract(tmp_path: Path) -> None:
    write_csvs(tmp_path, 400, 200, seed=5)

    def read(name: str) -> tuple[list[str], Rows]:
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)

    reg_head, registry = read("registry.csv")
    inq_head, inquiries = read("inquiries.csv")
    truth_head, truth = read("truth.csv")
    assert reg_head == ["id", "surname", "given_name", "patronymic", "date_of_birth"]
    assert inq_head == ["inquiry_id", "surname", "given_name", "patronymic", "date_of_birth"]
    assert truth_head == ["inquiry_id", "tag", "truth"]
    assert len(registry) == 400
    assert len(inquiries) == len(truth) == 200
    ids = {r["id"] for r in registry}
    assert len(ids) == 400
    assert [t["inquiry_id"] for t in truth] == [i["inquiry_id"] for i in inquiries]
    for row in registry + inquiries:
        assert DATE.match(row["date_of_birth"]), row
    for t in truth:
        assert t["tag"] in ALL_TAGS
        assert (t["truth"] == "") == (t["tag"] == "no_match")
        assert t["truth"] == "" or t["truth"] in ids


def test_the_same_seed_gives_the_same_set_and_another_seed_another() -> None:
    assert generate(300, 100, seed=3) == generate(300, 100, seed=3)
    assert generate(300, 100, seed=3) != generate(300, 100, seed=4)


def test_tags_come_in_the_stated_proportions(sample: tuple[Rows, Rows, Rows]) -> None:
    tags = Counter(t["tag"] for t in sample[2])
    matching = 1500 - tags["no_match"]
    assert tags["no_match"] == 450
    assert tags["none"] == pytest.approx(0.15 * matching, abs=1)
    single = (1 - 0.15 - 0.02 * len(COMBINED_KINDS)) / len(SINGLE_KINDS) * matching
    for kind in SINGLE_KINDS:
        assert tags[kind] == pytest.approx(single, abs=1), kind
    for kind in COMBINED_KINDS:
        assert tags[kind] == pytest.approx(0.02 * matching, abs=1), kind


def test_every_tag_is_produced(sample: tuple[Rows, Rows, Rows]) -> None:
    assert {t["tag"] for t in sample[2]} == set(ALL_TAGS)


def test_date_kinds_change_the_date_as_named(sample: tuple[Rows, Rows, Rows]) -> None:
    tags = _by_tag(sample)
    for inquiry, reg in tags["year_only"]:
        assert inquiry["date_of_birth"] == reg["date_of_birth"][:4]
        assert len(reg["date_of_birth"]) > 4
    for inquiry, reg in tags["month_year"]:
        assert inquiry["date_of_birth"] == reg["date_of_birth"][:7]
        assert len(reg["date_of_birth"]) == 10
    for inquiry, reg in tags["dm_swap"]:
        year, month, day = reg["date_of_birth"].split("-")
        assert inquiry["date_of_birth"] == f"{year}-{day}-{month}" != reg["date_of_birth"]
    for inquiry, reg in tags["date_wrong"]:
        assert len(inquiry["date_of_birth"]) == 10
        assert inquiry["date_of_birth"] != reg["date_of_birth"]
    for inquiry, reg in tags["date_missing"]:
        assert inquiry["date_of_birth"] == ""
        assert reg["date_of_birth"] != ""


def test_patronymic_kinds_drop_or_shorten_it(sample: tuple[Rows, Rows, Rows]) -> None:
    tags = _by_tag(sample)
    for inquiry, reg in tags["patronymic_missing"] + tags["ru_uk_form+patronymic_missing"]:
        assert inquiry["patronymic"] == ""
        assert reg["patronymic"] != ""
    for inquiry, _reg in tags["patronymic_initial"]:
        assert re.fullmatch(r"\w\.?", inquiry["patronymic"]), inquiry


def _same_script_pairs(pairs: list[tuple[dict[str, str], ...]]) -> list[tuple[dict[str, str], ...]]:
    """Pairs where registry and inquiry are both Cyrillic: comparable letter by letter."""
    return [
        (i, r) for i, r in pairs if CYRILLIC.search(i["surname"]) and CYRILLIC.search(r["surname"])
    ]


def test_name_kinds_change_the_names_as_named(sample: tuple[Rows, Rows, Rows]) -> None:
    tags = _by_tag(sample)
    swaps = _same_script_pairs(tags["swap"])
    assert swaps
    for inquiry, reg in swaps:
        assert inquiry["surname"].lower() == reg["given_name"].lower()
        assert inquiry["given_name"].lower() == reg["surname"].lower()
    typos = _same_script_pairs(tags["typo"])
    assert typos
    for inquiry, reg in typos:
        changed = [f for f in NAMES if inquiry[f].lower() != reg[f].lower() and reg[f]]
        assert len(changed) == 1, (inquiry, reg)
    for inquiry, reg in tags["translit"] + tags["translit+year_only"]:
        assert not CYRILLIC.search(inquiry["surname"] + inquiry["given_name"])
        assert any(inquiry[f].lower() != reg[f].lower() for f in NAMES)
    for inquiry, reg in _same_script_pairs(tags["diminutive"] + tags["ru_uk_form"]):
        assert inquiry["given_name"].lower() != reg["given_name"].lower()
        assert inquiry["date_of_birth"][:4] == reg["date_of_birth"][:4] or not reg["date_of_birth"]


def test_the_registry_holds_namesakes_and_many_scripts() -> None:
    registry, _, _ = generate(5000, 10, seed=8)
    people = Counter((r["surname"], r["given_name"], r["date_of_birth"][:4]) for r in registry)
    assert sum(1 for n in people.values() if n > 1) >= 5
    cyrillic = sum(1 for r in registry if CYRILLIC.search(r["surname"]))
    assert 0.25 < cyrillic / len(registry) < 0.45
    assert sum(1 for r in registry if r["patronymic"] == "") > 0.1 * len(registry)


def test_patronymics_follow_russian_and_ukrainian_rules() -> None:
    men = {n.ru: n for n in given_names("m")}
    assert patronymic(men["Николай"], "ru", "m") == "Николаевич"
    assert patronymic(men["Николай"], "uk", "m") == "Миколайович"
    assert patronymic(men["Юрий"], "ru", "m") == "Юрьевич"
    assert patronymic(men["Юрий"], "uk", "f") == "Юріївна"
    assert patronymic(men["Илья"], "ru", "f") == "Ильинична"
    assert patronymic(men["Пётр"], "uk", "m") == "Петрович"
    assert patronymic(men["Сергей"], "ru", "f") == "Сергеевна"


@pytest.mark.parametrize(
    ("name", "scheme", "lang", "latin"),
    [
        ("Шевченко", "german", "uk", "Schewtschenko"),
        ("Шевченко", "french", "uk", "Chevtchenko"),
        ("Юрий", "french", "ru", "Iouri"),
        ("Юрий", "german", "ru", "Juri"),
        ("Олександр", "icao", "uk", "Oleksandr"),
        ("Юрій", "kmu", "uk", "Yurii"),
        ("Сергей", "bgn", "ru", "Sergey"),
        ("Сергей", "icao", "ru", "Sergei"),
        ("Жуков", "scholarly", "ru", "Žukov"),
        ("Щукин", "gost", "ru", "Shhukin"),
    ],
)
def test_transliteration_schemes(name: str, scheme: str, lang: str, latin: str) -> None:
    assert transliterate(name, scheme, lang) == latin


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([n.ru for n in given_names("m")] + ["Shevchenko", "Kovalenko", "Li"]),
    st.integers(0, 10_000),
)
def test_a_typo_changes_one_spot_and_keeps_the_first_letter(text: str, seed: int) -> None:
    out = typo(text, random.Random(seed), "ru")
    assert out != text
    assert out[0] == text[0]
    assert abs(len(out) - len(text)) <= 1


def test_diminutives_exist_for_the_common_names() -> None:
    common: list[GivenName] = list(given_names("m")[:30])
    assert all(n.ru_dims and n.uk_dims for n in common)


def test_absent_people_look_alike_but_never_copy_a_registry_record(
    sample: tuple[Rows, Rows, Rows],
) -> None:
    registry, inquiries, truth = sample
    absent = [i for i, t in zip(inquiries, truth, strict=True) if t["tag"] == "no_match"]
    fields = (*NAMES, "date_of_birth")
    records = {tuple(r[f].lower() for f in fields) for r in registry}
    names = {(r["surname"].lower(), r["given_name"].lower()) for r in registry}
    assert not [i for i in absent if tuple(i[f].lower() for f in fields) in records]
    namesakes = [i for i in absent if (i["surname"].lower(), i["given_name"].lower()) in names]
    assert len(namesakes) > 0.05 * len(absent)  # a third are namesakes, in any script

"""Search across scripts: any mix of name words, dates of birth and service numbers, in
Cyrillic or any transliteration, within one typo, best first; keys follow every write."""

from __future__ import annotations

import importlib
from typing import Any

import iuliia
import pytest
import translitua
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from safeconduct.accounts.policy import Role
from safeconduct.audit.actors import Actor
from safeconduct.people import search, search_keys
from safeconduct.people import service as people_service
from safeconduct.people.models import Person, PersonSearchKey
from safeconduct.people.schemas import PersonUpdate
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from tests.factories import add_account, add_person, add_session, add_token, session_headers

_RU = importlib.import_module("faker.providers.person.ru_RU").Provider
_UK = importlib.import_module("faker.providers.person.uk_UA").Provider
# Russian names in the systems of passports, libraries, maps and ISO; Ukrainian names in
# the national system, the 2007 passport table, BGN/PCGN and ISO 9.
RUSSIAN_SYSTEMS = ["ICAO_DOC_9303", "MVD_310", "BGN_PCGN", "GOST_779", "ALA_LC", "WIKIPEDIA"]
UKRAINIAN_SYSTEMS = ["UkrainianKMU", "UkrainianPassport2007", "UkrainianBGN", "UkrainianISO9"]


def _names(provider: Any, sex: str) -> st.SearchStrategy[tuple[str, str, str]]:
    return st.tuples(
        st.sampled_from(getattr(provider, f"last_names_{sex}")),
        st.sampled_from(getattr(provider, f"first_names_{sex}")),
        st.sampled_from(getattr(provider, f"middle_names_{sex}")),
    )


def _transliterate(text: str, ukrainian: bool, system: str) -> str:
    if ukrainian:
        return str(translitua.translit(text, getattr(translitua, system)))
    return str(getattr(iuliia, system).translate(text))


@st.composite
def _spelled_people(draw: st.DrawFn) -> tuple[tuple[str, str, str], str, str, bool]:
    """A Cyrillic name, two distinct transliteration systems, and its language."""
    ukrainian = draw(st.booleans())
    sex = draw(st.sampled_from(["male", "female"]))
    name = draw(_names(_UK if ukrainian else _RU, sex))
    systems = UKRAINIAN_SYSTEMS if ukrainian else RUSSIAN_SYSTEMS
    stored, other = draw(st.permutations(systems))[:2]
    return name, stored, other, ukrainian


def _one_typo(draw: st.DrawFn, text: str) -> str:
    """Change one letter of one word of four letters or more: replaced, lost, added or
    swapped with the next."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long:
        return text
    i = draw(st.sampled_from(long))
    word = words[i]
    at = draw(st.integers(0, len(word) - 2))
    letter = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    kind = draw(st.sampled_from(["replace", "lose", "add", "swap"]))
    words[i] = {
        "replace": word[:at] + letter + word[at + 1 :],
        "lose": word[:at] + word[at + 1 :],
        "add": word[:at] + letter + word[at:],
        "swap": word[:at] + word[at + 1] + word[at] + word[at + 2 :],
    }[kind]
    return " ".join(words)


def _abramova(rt: Runtime) -> Person:
    return add_person(
        rt,
        surname="ABRAMOVA",
        given_names="Pelageia",
        patronymic="Ivanovna",
        date_of_birth="1979-05-12",
        service_number="AB-123 456",
        sex="female",
        name_original_script="Абрамова Пелагея Ивановна",
    )


def _others(rt: Runtime) -> None:
    add_person(rt, surname="ABRAMOV", given_names="Ivan", date_of_birth="1980-01-02")
    add_person(rt, surname="KOVALENKO", given_names="Pelageia", date_of_birth="1979")
    add_person(rt, surname="SHCHERBAKOV", given_names="Yurii", service_number="ZX-99")
    add_person(rt, surname="ZHUKOV", given_names="Oleksandr", date_of_birth="1975-03")


def _found(rt: Runtime, q: str, limit: int = 20) -> tuple[list[str], int]:
    with rt.sessions() as s:
        rows, total = search.search(s, q=q, limit=limit)
        return [f"{p.surname} {p.given_names}" for p in rows], total


# --- similar: the registration form's possible duplicates ------------------------------


def test_similar_finds_the_same_name_in_another_script_and_spelling(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    with rt.sessions() as s:
        cyrillic = search.similar(s, surname="Абрамова", given_names="Пелагея")
        spelled = search.similar(
            s, surname="Abramova", given_names="Pelageya", patronymic="Ivanovna"
        )
        typo = search.similar(s, surname="Abrakova", given_names="Pelagiya")
        unrelated = search.similar(s, surname="Petrenko", given_names="Mykola")
        assert [p.surname for p in cyrillic] == ["ABRAMOVA"]
        assert [p.surname for p in spelled] == ["ABRAMOVA"]
        assert [p.surname for p in typo] == ["ABRAMOVA"]
        assert unrelated == []


def test_similar_reads_the_original_script_name_and_ranks_the_closest_first(rt: Runtime) -> None:
    _abramova(rt)
    add_person(rt, surname="ABRAMOVA", given_names="Pelageia", date_of_birth="1990-01-01")
    with rt.sessions() as s:
        found = search.similar(
            s,
            surname="Abramova",
            given_names="Pelagia",
            date_of_birth="1979-05-12",
            name_original_script="Абрамова Пелагея Ивановна",
        )
        assert [p.date_of_birth for p in found] == ["1979-05-12", "1990-01-01"]
        assert search.similar(s, surname="Abramova", given_names="Pelageia", limit=1)[0]


def test_similar_needs_both_surname_and_given_name(rt: Runtime) -> None:
    _abramova(rt)
    with rt.sessions() as s:
        assert search.similar(s, surname="Abramova", given_names="Olha") == []
        assert search.similar(s, surname="Kovalenko", given_names="Pelageia") == []
        assert search.similar(s, surname="", given_names="Pelageia") == []


# --- search: the known failures and every mix ------------------------------------------


def test_the_three_known_failures(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    assert _found(rt, "ABRAMOVA Pelageia") == (["ABRAMOVA Pelageia"], 1)
    assert _found(rt, "Абрамова")[0][0] == "ABRAMOVA Pelageia"
    names, total = _found(rt, "1979")
    assert sorted(names) == ["ABRAMOVA Pelageia", "KOVALENKO Pelageia"]
    assert total == 2


def test_any_mix_of_words_in_any_order_script_or_spelling(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    for q in (
        "Abramova",
        "abramova",
        "Pelageia Abramova",
        "Абрамова Пелагея",
        "Пелагея Абрамова Ивановна",
        "ABRAMOVA Pelageya",  # BGN/PCGN
        "Abramova Pelageja",  # scholarly
        "Abramowa Pelagieja",  # German-style
        "Abramova Ivanovna 1979",
        "Pelageia 1979-05",
        "Abramova 12.05.1979",
        "Abramova 1979-05-12",
        "Abrsmova Pelageia",  # one typo
        "Abramova Pelgeia",
        "AB123456",
        "ab 123-456",
        "ab-123456",
    ):
        names, _total = _found(rt, q)
        assert names[:1] == ["ABRAMOVA Pelageia"], q


def test_letters_that_transliterations_disagree_on(rt: Runtime) -> None:
    add_person(rt, surname="SHCHERBAKOV", given_names="Yurii", name_original_script="Щербаков Юрій")
    add_person(rt, surname="ZHUKOV", given_names="Oleksandr")
    add_person(rt, surname="KHARITONOV", given_names="Ihor")
    add_person(rt, surname="PETRENKO", given_names="Mykola")
    for q, surname in (
        ("Iurii Scherbakov", "SHCHERBAKOV"),
        ("Yuriy Shtcherbakov", "SHCHERBAKOV"),
        ("Юрий Щербаков", "SHCHERBAKOV"),
        ("Jukov", "ZHUKOV"),
        ("Жуков Александр", "ZHUKOV"),
        ("Haritonov", "KHARITONOV"),
        ("Charitonov Igor", "KHARITONOV"),
        ("Харитонов Игорь", "KHARITONOV"),
    ):
        names, _total = _found(rt, q)
        assert [n.split()[0] for n in names][:1] == [surname], q


def test_dates_of_birth_full_and_partial(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    assert sorted(_found(rt, "1979")[0]) == ["ABRAMOVA Pelageia", "KOVALENKO Pelageia"]
    assert _found(rt, "1979-05")[0][0] == "ABRAMOVA Pelageia"
    assert _found(rt, "05.1979")[0][0] == "ABRAMOVA Pelageia"
    assert _found(rt, "12.05.1979")[0][0] == "ABRAMOVA Pelageia"
    # Known only by year or month, a person may still be the one born on that day.
    assert _found(rt, "1975-03-20")[0] == ["ZHUKOV Oleksandr"]
    assert _found(rt, "1990")[1] == 0


def test_service_number_whole_or_begun(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    assert _found(rt, "zx99")[0] == ["SHCHERBAKOV Yurii"]
    assert _found(rt, "ZX 99")[0] == ["SHCHERBAKOV Yurii"]
    assert _found(rt, "AB123")[0] == ["ABRAMOVA Pelageia"]


def test_the_last_word_being_typed_matches_by_its_beginning(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    assert sorted(_found(rt, "abra")[0]) == ["ABRAMOV Ivan", "ABRAMOVA Pelageia"]
    assert _found(rt, "Абрамова Пел")[0] == ["ABRAMOVA Pelageia"]


def test_exact_matches_come_before_near_ones(rt: Runtime) -> None:
    add_person(rt, surname="ABRAMOVA", given_names="Olha")
    add_person(rt, surname="ABRAMOV", given_names="Olha")
    add_person(rt, surname="AVRAMOV", given_names="Olha")
    names, total = _found(rt, "Abramov")
    assert names == ["ABRAMOV Olha", "ABRAMOVA Olha", "AVRAMOV Olha"]
    assert total == 3


def test_only_the_people_matching_the_most_words_are_listed(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    assert _found(rt, "Abramova Pelageia 1979") == (["ABRAMOVA Pelageia"], 1)
    # No one matches both: each who matches one is listed.
    names, total = _found(rt, "Abramov Zhukov")
    assert total == len(names) >= 2


def test_empty_query_lists_everyone_by_surname_and_pages(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    with rt.sessions() as s:
        everyone, total = search.search(s, q="  ")
        page, same_total = search.search(s, q=None, offset=2, limit=2)
        nothing, none = search.search(s, q="Nobodyknown")
        punctuation, all_again = search.search(s, q="%")
    assert total == same_total == all_again == 5
    assert [p.surname for p in everyone] == sorted(p.surname for p in everyone)
    assert [p.surname for p in page] == [p.surname for p in everyone[2:4]]
    assert (nothing, none) == ([], 0)
    assert len(punctuation) == 5


def test_erased_people_are_never_found_and_lose_their_keys(rt: Runtime) -> None:
    person = _abramova(rt)
    with rt.transaction() as s:
        row = people_service.get_or_raise(s, person_id=person.id)
        people_service.erase(
            s, keyring=rt.keyring, audit=rt.audit, actor=Actor("t"), person=row, reason="asked"
        )
    assert _found(rt, "Abramova") == ([], 0)
    assert _found(rt, "erased")[1] == 0
    assert _found(rt, "")[1] == 0
    with rt.sessions() as s:
        assert search.similar(s, surname="Abramova", given_names="Pelageia") == []
        count = select(func.count()).where(PersonSearchKey.person_id == person.id)
        assert s.scalar(count) == 0


def test_keys_follow_edits(rt: Runtime) -> None:
    person = _abramova(rt)
    with rt.transaction() as s:
        row = people_service.get_or_raise(s, person_id=person.id)
        people_service.update(
            s,
            audit=rt.audit,
            actor=Actor("t"),
            person=row,
            person_in=PersonUpdate(
                surname="KOVAL",
                name_original_script="Коваль Пелагея",
                service_number="Q-1",
                reason="married name",
            ),
        )
    assert _found(rt, "Abramova")[1] == 0
    assert _found(rt, "AB123456")[1] == 0
    assert _found(rt, "Коваль Пелагея")[0] == ["KOVAL Pelageia"]
    assert _found(rt, "Q1")[0] == ["KOVAL Pelageia"]


def test_reindex_rebuilds_every_key(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    with rt.sessions() as s:
        before = set(
            s.execute(select(PersonSearchKey.person_id, PersonSearchKey.field, PersonSearchKey.key))
        )
    with rt.transaction() as s:
        s.execute(PersonSearchKey.__table__.delete())
    assert _found(rt, "Abramova")[1] == 0
    with rt.transaction() as s:
        assert search.reindex(s, batch=2) == 5
    with rt.sessions() as s:
        after = set(
            s.execute(select(PersonSearchKey.person_id, PersonSearchKey.field, PersonSearchKey.key))
        )
    assert after == before
    assert _found(rt, "Abramova Pelageia")[1] == 1


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_found_by_original_another_transliteration_and_a_typo(rt: Runtime, data: Any) -> None:
    (surname, given_name, patronymic), stored, other, ukrainian = data.draw(_spelled_people())
    latin = [_transliterate(w, ukrainian, stored) for w in (surname, given_name, patronymic)]
    person = add_person(
        rt,
        surname=latin[0].upper(),
        given_names=latin[1],
        patronymic=latin[2],
        name_original_script=f"{surname} {given_name} {patronymic}",
    )
    original = f"{surname} {given_name} {patronymic}"
    queries = {
        "cyrillic": original,
        "other system": _transliterate(original, ukrainian, other),
        "typo": _one_typo(data.draw, " ".join(latin)),
    }
    with rt.sessions() as s:
        for kind, q in queries.items():
            rows, _total = search.search(s, q=q, limit=20)
            assert person.id in {p.id for p in rows}, (kind, q)


# --- the API and the people page --------------------------------------------------------


def test_api_searches_across_scripts(rt: Runtime) -> None:
    _abramova(rt)
    _others(rt)
    token, _ = add_token(rt, "search-registrar", Role.REGISTRAR)
    client = TestClient(create_app(rt), base_url="https://testserver")
    headers = {"Authorization": f"Bearer {token}"}
    page = client.get("/api/v1/persons", params={"q": "Абрамова Пелагея"}, headers=headers)
    assert page.status_code == 200
    assert [p["surname"] for p in page.json()["items"]] == ["ABRAMOVA"]
    assert page.json()["total"] == 1


def _browser(rt: Runtime) -> tuple[TestClient, dict[str, str]]:
    account, _secret = add_account(rt, "search-reader", Role.REGISTRAR, enrolled=True)
    client = TestClient(create_app(rt), base_url="https://testserver")
    return client, session_headers(add_session(rt, account))


def test_people_page_keeps_the_search_in_the_url_and_shows_latin_and_cyrillic(
    rt: Runtime,
) -> None:
    _abramova(rt)
    _others(rt)
    client, headers = _browser(rt)
    page = client.get("/people", params={"q": "Абрамова 1979"}, headers=headers)
    assert page.status_code == 200
    assert 'value="Абрамова 1979"' in page.text
    assert "ABRAMOVA" in page.text
    assert "Абрамова Пелагея Ивановна" in page.text
    assert "KOVALENKO" not in page.text
    assert 'hx-push-url="true"' in page.text
    assert '<table class="stack">' in page.text
    assert '<time datetime="1979-05-12">' in page.text


def test_people_page_answers_live_search_with_the_results_only(rt: Runtime) -> None:
    _abramova(rt)
    client, headers = _browser(rt)
    live = client.get("/people?q=Abramova", headers={**headers, "HX-Request": "true"})
    assert live.status_code == 200
    assert "<html" not in live.text
    assert "ABRAMOVA" in live.text
    back = {**headers, "HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/people?q=Abramova", headers=back).text


def test_a_page_past_the_last_shows_the_last(rt: Runtime) -> None:
    for i in range(23):
        add_person(rt, surname=f"MELNYK{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[i]}", given_names="Ivan")
    client, headers = _browser(rt)
    page = client.get("/people?q=&page=9999", headers=headers)
    assert page.status_code == 200
    assert "Page 2 of 2" in page.text
    assert "Page 9999" not in page.text
    assert "MELNYKW" in page.text
    assert "MELNYKA" not in page.text
    assert 'href="/people?q=&amp;page=1"' in page.text
    nothing = client.get("/people?q=Nobodyknown&page=3", headers=headers)
    assert "No one matches this search." in nothing.text


def test_db_upgrade_indexes_people_without_keys_and_reindex_rebuilds_all(rt: Runtime) -> None:
    from typer.testing import CliRunner

    from safeconduct.cli import app

    _abramova(rt)
    _others(rt)
    with rt.transaction() as s:
        s.execute(PersonSearchKey.__table__.delete())
    url = rt.settings.db_url
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--db", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert "search keys built for 5 people" in upgraded.output
    assert _found(rt, "Абрамова")[0][:1] == ["ABRAMOVA Pelageia"]
    again = CliRunner().invoke(app, ["db", "upgrade", "--db", url])
    assert "search keys" not in again.output
    rebuilt = CliRunner().invoke(app, ["db", "reindex", "--db", url])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "search keys rebuilt for 5 people" in rebuilt.output


# --- the pure parts ---------------------------------------------------------------------


def test_dates_are_read_in_every_common_form() -> None:
    assert search_keys.parse_date("1979") == "1979"
    assert search_keys.parse_date("1979-5") == "1979-05"
    assert search_keys.parse_date("1979-05-12") == "1979-05-12"
    assert search_keys.parse_date("12.05.1979") == "1979-05-12"
    assert search_keys.parse_date("5/1979") == "1979-05"
    assert search_keys.parse_date("1979-13") is None
    assert search_keys.parse_date("32.01.1979") is None
    assert search_keys.parse_date("AB1979") is None


def test_one_edit_reaches_every_typo_and_nothing_short() -> None:
    near = search_keys.one_edit("ivanov", search_keys.LETTERS)
    assert {"ivaov", "ivannov", "ivamov", "vianov"} <= near
    assert "ivanov" not in near
    assert "ivna" in search_keys.one_edit("ivan", search_keys.LETTERS)
    assert all(len(w) >= search_keys.MIN_TYPO_LENGTH for w in near)
    assert search_keys.one_edit("ara", search_keys.LETTERS) == set()


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12))
def test_a_prefix_range_holds_exactly_the_words_it_begins(prefix: str) -> None:
    upper = search_keys.successor(prefix)
    for word in (prefix, prefix + "a", prefix + "zz", prefix[:-1], prefix[:-1] + "zzz"):
        inside = word >= prefix and (upper is None or word < upper)
        assert inside == word.startswith(prefix), word


def test_french_and_romanian_spellings_sound_like_the_others() -> None:
    sounds = search_keys.sounds
    assert sounds("cosolobenco") & sounds("kosolobenko")
    assert sounds("olecsandr") & sounds("oleksandr")
    assert sounds("jukov") & sounds("zhukov")
    assert sounds("kuznecov") & sounds("kuznetsov")
    assert not sounds("sosnov") & sounds("ivanov")


def test_the_benchmark_runner_measures_latency_recall_and_the_old_search(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bench.search import bench

    people: list[dict[str, Any]] = [
        {
            "surname": "ABRAMOVA",
            "given_names": "Pelageia",
            "patronymic": None,
            "date_of_birth": "1979-05-12",
            "service_number": "AB-1",
            "sex": "female",
            "rank": None,
            "nationality": None,
            "name_original_script": "Абрамова Пелагея",
        },
        {
            "surname": "Zhukov",
            "given_names": "Ivan",
            "patronymic": "Petrovich",
            "date_of_birth": "1980",
            "service_number": None,
            "sex": "male",
            "rank": "Private",
            "nationality": None,
            "name_original_script": None,
        },
    ]
    queries = [
        {"text": "Абрамова Пелагея", "kind": "cyrillic", "person": 0},
        {"text": "ABRAMOVA", "kind": "latin", "person": 0},
        {"text": "Jukov Ivan", "kind": "translit_variant", "person": 1},
        {"text": "Zhukv Ivan", "kind": "typo", "person": 1},
        {"text": "Ivan 1980", "kind": "dob", "person": 1},
        {"text": "ab1", "kind": "service_number", "person": 0},
    ]
    bench("sqlite", people, queries)
    out = capsys.readouterr().out
    for kind in ("cyrillic", "latin", "translit_variant", "typo", "dob", "service_number"):
        line = next(row for row in out.splitlines() if row.startswith(kind))
        assert " 100.0% │" in line, line
    assert "target p95 < 100 ms:" in out

"""Every page every role may open, rendered in Russian and in Ukrainian, shows no interface
text left in English and no raw code (`resource:action`, an enum value, a stored rank).

The records are made with Cyrillic names and places, so data never looks like an English
interface text. The failure lists each offending text once per language, with the pages
it was seen on, for the translators and the template authors to work through."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from safeconduct.accounts import service as accounts
from safeconduct.accounts.policy import Permission, Role
from safeconduct.audit.tags import AuditAction
from safeconduct.custody.models import CustodyEventKind, CustodyStatus
from safeconduct.custody.schemas import SurrenderMode
from safeconduct.disclosure.policy import Purpose
from safeconduct.intake.models import Channel, RequestStatus
from safeconduct.intake.policy import EventKind
from safeconduct.people.models import Sex
from safeconduct.people.ranks import RANKS
from safeconduct.runtime import Runtime
from safeconduct.web.app import create_app
from safeconduct.web.ui import i18n
from tests.factories import add_account, add_session, mint_token, session_headers
from tests.web.test_authorization import parse_matrix
from tests.web.ui.test_i18n import PYTHON_MSGIDS, template_msgids

UI_SOURCES = Path(i18n.__file__).parent
# Usernames that are no English word the checks look for (role names would be).
USERNAMES = {
    Role.INTAKE: "oksana",
    Role.REGISTRAR: "bohdan",
    Role.MEDICAL: "iryna",
    Role.WELFARE: "petro",
    Role.VERIFIER: "lesia",
    Role.EXCHANGE: "marko",
    Role.TRACING: "daryna",
    Role.AUDITOR: "yurii",
    Role.ADMIN: "stepan",
}
# The factories' own actors: no deployment has them, so how a page names them is no question.
TEST_ACTORS = {"test:factory", "test:auditor", "test:credential"}
SHOWN_ENUMS: tuple[type[StrEnum], ...] = (
    RequestStatus,
    CustodyStatus,
    CustodyEventKind,
    Channel,
    Role,
    Purpose,
    Sex,
    SurrenderMode,
    AuditAction,
    Permission,
    EventKind,
)
# `word:word` as permissions, audit tags and actors are written; not times, not URLs.
RAW_TAG = re.compile(r"(?<![\w/.:-])[a-z][a-z_]*:[a-z][\w-]*")
LATIN = re.compile(r"[A-Za-z]{2}")
PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")
# Where a label ends and a value begins inside one text: "Статус: Held".
SEGMENTS = re.compile(r"\s*[:;,()·|—–]\s*")
# Attributes a reader sees or hears: labels, hints, the card labels of stacked tables.
SHOWN_ATTRIBUTES = {"aria-label", "aria-description", "title", "placeholder", "alt", "data-label"}


# --- the interface texts ----------------------------------------------------------------


def python_msgids() -> set[str]:
    """Texts the UI's Python code translates (`gettext_` and friends)."""
    found = set(PYTHON_MSGIDS)
    keywords = {"gettext_": None, "ngettext_": (1, 2), "_": None}
    for source in sorted(UI_SOURCES.glob("*.py")):
        for _line, message, _comments, _context in extract_from_file(
            "python", source, keywords=keywords
        ):
            found.update(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


def catalog(language: str) -> dict[str, tuple[str, bool]]:
    """msgid -> (translation, fuzzy); each form of a plural entry under its own msgid."""
    found: dict[str, tuple[str, bool]] = {}
    with i18n.catalog_path(language).open("rb") as po:
        for m in read_po(po, locale=language):
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            forms = m.string if isinstance(m.string, tuple) else (m.string,)
            for index, msgid in enumerate(ids):
                found[msgid] = (forms[min(index, len(forms) - 1)], m.fuzzy)
    return found


def _pattern(msgid: str) -> str:
    parts = PLACEHOLDER.split(msgid.replace("%%", "%"))
    # split gives text, name, kind, text, name, kind, ...
    out = [re.escape(parts[0])]
    for index in range(1, len(parts), 3):
        out.append(r"\d+" if parts[index + 1] == "d" else r".+?")
        out.append(re.escape(parts[index + 2]))
    return "".join(out)


@dataclass(frozen=True)
class English:
    """The interface texts as written in English, which a page in another language must
    not show: every msgid but those its catalog translates as themselves on purpose. One
    group per msgid, so a match names the msgid to translate."""

    msgids: list[str]
    whole: re.Pattern[str]
    inside: re.Pattern[str]

    def named(self, match: re.Match[str]) -> str:
        return self.msgids[(match.lastindex or 1) - 1]


def _alternatives(msgids: list[str]) -> str:
    return "|".join(f"({_pattern(m)})" for m in msgids)


@cache
def english(language: str) -> English:
    entries = catalog(language)
    texts = sorted(
        (
            msgid
            for msgid in template_msgids() | python_msgids() | set(entries)
            if LATIN.search(PLACEHOLDER.sub("", msgid)) and entries.get(msgid) != (msgid, False)
        ),
        # The longest words first: a sentence before one of its words, and a text written
        # out ("Account created") before one with a placeholder ("Account %(name)s").
        key=lambda m: len(PLACEHOLDER.sub("", m)),
        reverse=True,
    )
    # Texts of two words or more are looked for inside longer texts too.
    several = [m for m in texts if len(PLACEHOLDER.sub("", m).split()) >= 2]
    return English(
        texts,
        re.compile(_alternatives(texts)),
        re.compile(rf"(?<!\w)(?:{_alternatives(several)})(?!\w)"),
    )


def _raw_values() -> re.Pattern[str]:
    # Tag-shaped values (`account:login`) are RAW_TAG's.
    values = {e.value for enum in SHOWN_ENUMS for e in enum if ":" not in e.value} | set(RANKS)
    ordered = sorted(values, key=len, reverse=True)
    return re.compile(r"(?<![\w:-])(?:" + "|".join(re.escape(v) for v in ordered) + r")(?![\w:-])")


RAW_VALUE = _raw_values()


# --- what a page shows ------------------------------------------------------------------


class ShownText(HTMLParser):
    """The texts of a page a reader sees or hears, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        shown = [v for n, v in attrs if n in SHOWN_ATTRIBUTES and v]
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            shown.append(values.get("value") or "")
        self.texts += [" ".join(v.split()) for v in shown if v.strip()]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def problems_in(text: str, language: str) -> Iterator[str]:
    """Name each problem of one shown text: an English interface text (by its msgid), or a
    raw code."""
    if not LATIN.search(text):
        return
    shown = english(language)
    for candidate in (text, *SEGMENTS.split(text)):
        if candidate and (match := shown.whole.fullmatch(candidate)):
            yield f"untranslated: {shown.named(match)!r}"
            return  # its words are English: what else it holds is said once it is translated
    if match := shown.inside.search(text):
        yield f"untranslated: {shown.named(match)!r}"
        return
    for code in RAW_TAG.findall(text):
        if code not in TEST_ACTORS:
            yield f"raw code: {code!r}"
    for value in RAW_VALUE.findall(text):
        yield f"raw value: {value!r}"


@dataclass
class Report:
    """Problems by language, each with a text that shows it and the pages it was seen on."""

    seen: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    example: dict[str, str] = field(default_factory=dict)
    pages: int = 0

    def check(self, label: str, html: str, language: str) -> None:
        self.pages += 1
        parser = ShownText()
        parser.feed(html)
        for text in dict.fromkeys(parser.texts):
            for problem in problems_in(text, language):
                self.example.setdefault(problem, text)
                if label not in self.seen[problem]:
                    self.seen[problem].append(label)

    def failures(self) -> list[str]:
        lines = []
        for problem, pages in sorted(self.seen.items()):
            more = f" (+{len(pages) - 1} more)" if len(pages) > 1 else ""
            shown = self.example.get(problem, "")
            seen = f" as {shown!r}" if shown and repr(shown) not in problem else ""
            lines.append(f"{problem}{seen} — on {pages[0]}{more}")
        return lines


# --- the records, the accounts, the pages -----------------------------------------------


@dataclass
class World:
    ids: dict[str, str]
    sessions: dict[Role, dict[str, str]]
    accounts: dict[Role, str]


def _api(client: TestClient, token: str, method: str, path: str, body: Any) -> Any:
    answer = client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code < 300, f"setting up: {method} {path}: {answer.status_code}"
    return answer.json() if answer.content else None


def build_world(rt: Runtime, client: TestClient) -> World:
    """Accounts in every role, and records of every kind made through the API by them."""
    sessions: dict[Role, dict[str, str]] = {}
    tokens: dict[Role, str] = {}
    account_ids: dict[Role, str] = {}
    for role, username in USERNAMES.items():
        account, secret = add_account(rt, username, role, enrolled=True)
        account_ids[role] = account.id
        sessions[role] = session_headers(add_session(rt, account))
        if role in (Role.INTAKE, Role.REGISTRAR, Role.VERIFIER, Role.TRACING):
            tokens[role] = mint_token(rt, account, secret)[0]
    token_id = mint_token(rt, *add_account(rt, "halyna", Role.TRACING, enrolled=True))[1].id
    registrar, intake = tokens[Role.REGISTRAR], tokens[Role.INTAKE]
    person = _api(client, registrar, "POST", "/api/v1/persons", {
        "surname": "Абрамова",
        "given_names": "Пелагея",
        "patronymic": "Ивановна",
        "date_of_birth": "1979-05-12",
        "rank": "senior lieutenant",
        "service_number": "Ж-104233",
        "sex": "female",
        "place_of_birth": "Берёзовка",
        "name_original_script": "Абрамова Пелагея Ивановна",
    })  # fmt: skip
    _api(client, registrar, "PATCH", f"/api/v1/persons/{person['id']}", {
        "rank": "captain", "reason": "Уточнено по карточке",
    })  # fmt: skip
    request = _api(client, intake, "POST", "/api/v1/requests", {
        "channel": "phone", "contact": "+000 555 01 02", "content": "Хочу сдаться, сектор 4",
    })  # fmt: skip
    rid = request["id"]
    _api(client, intake, "POST", f"/api/v1/requests/{rid}/status", {"status": "in_review"})
    _api(client, intake, "POST", f"/api/v1/requests/{rid}/notes", {"text": "Перезвонить"})
    assignee = {"account_id": account_ids[Role.INTAKE]}
    _api(client, intake, "POST", f"/api/v1/requests/{rid}/assignment", assignee)
    _api(client, intake, "POST", f"/api/v1/requests/{rid}/status", {"status": "accepted"})
    custody = _api(client, registrar, "POST", "/api/v1/custodies", {
        "person_id": person["id"],
        "since": "2026-03-01",
        "place_of_internment": "Лагерь № 3",
        "circumstances": {"mode": "voluntary", "place": "у моста", "how": "белый флаг"},
    })  # fmt: skip
    _api(client, registrar, "POST", f"/api/v1/custodies/{custody['id']}/events", {
        "kind": "transfer", "occurred_on": "2026-04-02", "reason": "Перевод по приказу",
        "place": "Лагерь № 7",
    })  # fmt: skip
    reveal = {"purpose": "protection_assessment", "reason": "Оценка риска"}
    verifier = tokens[Role.VERIFIER]
    path = f"/api/v1/custodies/{custody['id']}/circumstances/reveal"
    _api(client, verifier, "POST", path, reveal)
    _api(client, intake, "POST", f"/api/v1/requests/{rid}/reveal", reveal)
    inquiry = _api(client, tokens[Role.TRACING], "POST", "/api/v1/inquiries", {
        "surname": person["surname"], "given_name": person["given_names"],
        "contact": "+000 555 01 03", "relationship": "parent",
    })  # fmt: skip
    _api(client, registrar, "PUT", f"/api/v1/persons/{person['id']}/family-consent",
         {"family_may_be_told": True, "place_may_be_told": False})  # fmt: skip
    ids = {
        "inquiry_id": inquiry["id"],
        "person_id": person["id"],
        "custody_id": custody["id"],
        "request_id": rid,
        "account_id": account_ids[Role.TRACING],
        "token_id": token_id,
        # No batch to the Central Tracing Agency exists: its downloads answer the 404 page.
        "number": "1",
    }
    return World(ids, sessions, account_ids)


def get_pages(app: Any) -> list[str]:
    """Every UI page path that answers GET, with its parameters still unfilled."""
    return sorted(
        {
            ctx.path or ""
            for ctx in iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute)
            and "GET" in (ctx.methods or ())
            and not (ctx.path or "").startswith("/api/")
        }
    )


def pages_for(role: Role, paths: list[str], ids: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(label, url) of each page a role may open, a search, a 404 and a 403 page."""
    matrix = parse_matrix()
    refused = None
    for path in paths:
        allowed = matrix.get(("GET", path))
        if allowed is not None and role not in allowed[0]:
            refused = refused or path
            continue
        yield path, path.format(**ids)
    people = matrix.get(("GET", "/people"))
    if people is not None and role in people[0]:
        yield "/people?q=Абрамова", "/people?q=Абрамова"
        yield "/people?q=abramova", "/people?q=abramova"
    yield "/nowhere (404)", "/nowhere"
    if refused is not None:
        yield f"{refused} (403)", refused.format(**ids)


@pytest.fixture
def report(rt: Runtime, language: str) -> Report:
    """Render every page in `language`; return what was found."""
    app = create_app(rt)
    client = TestClient(app, base_url="https://testserver")
    world = build_world(rt, client)
    with rt.transaction() as s:
        for account_id in world.accounts.values():
            accounts.set_language(s, account_id=account_id, language=language)
    found = Report()
    anonymous = {"Accept-Language": language}
    for path in ("/login", "/invitation", "/nowhere"):
        answer = client.get(path, headers=anonymous, follow_redirects=False)
        found.check(f"anonymous {path}", answer.text, language)
    # A new account's first page: setting up the second factor.
    newcomer, _secret = add_account(rt, "nadiia", Role.WELFARE)
    with rt.transaction() as s:
        accounts.set_language(s, account_id=newcomer.id, language=language)
    enrolling = session_headers(add_session(rt, newcomer))
    answer = client.get("/enrol", headers=enrolling, follow_redirects=False)
    assert answer.status_code == 200, "the enrolment page did not render"
    found.check("new account /enrol", answer.text, language)
    paths = get_pages(app)
    for role in Role:
        # A browser says its language too: pages before login go by it.
        headers = {**world.sessions[role], **anonymous}
        for label, url in pages_for(role, paths, world.ids):
            answer = client.get(url, headers=headers, follow_redirects=False)
            if answer.status_code in (301, 302, 303, 307):
                continue  # not a page: sends the browser on (`/`, `/enrol` once enrolled)
            if "text/html" not in answer.headers.get("content-type", ""):
                continue  # an icon, a CSV export
            if answer.status_code >= 500:
                found.seen[f"did not render: {answer.status_code}"].append(f"{role} {label}")
            found.check(f"{role.value} {label}", answer.text, language)
    _check_fragments(client, world, found, language)
    return found


def _check_fragments(client: TestClient, world: World, found: Report, language: str) -> None:
    """The HTML that only a POST shows: the two reveals, and a form sent back with an error."""
    ids = world.ids
    posts = [
        (
            Role.VERIFIER,
            "/people/{person_id}/custodies/{custody_id}/reveal",
            {"purpose": "legal_proceedings", "reason": "Проверка данных"},
        ),
        (
            Role.INTAKE,
            "/requests/{request_id}/reveal",
            {"purpose": "intake_follow_up", "reason": "Проверка данных"},
        ),
        (Role.REGISTRAR, "/preferences", {"language": language, "other_zone": "Марс/Олимп"}),
    ]
    for role, path, data in posts:
        headers = {**world.sessions[role], "HX-Request": "true"}
        form = {**data, "csrf_token": headers["X-CSRF-Token"]}
        url = path.format(**ids)
        answer = client.post(url, data=form, headers=headers, follow_redirects=False)
        found.check(f"{role.value} POST {path}", answer.text, language)


# --- the tests ----------------------------------------------------------------------------


def test_the_checks_see_english_and_codes() -> None:
    """The detector itself: it must flag what it is for, and let data through."""
    assert list(problems_in("Абрамова Пелагея", "ru")) == []
    assert list(problems_in("Ж-104233", "ru")) == []
    assert list(problems_in("2026-08-11 20:10 UTC+03:00", "ru")) == []
    assert list(problems_in("R-7KQ4", "uk")) == []
    assert list(problems_in("test:factory", "ru")) == []
    assert list(problems_in("Log out", "ru")) == ["untranslated: 'Log out'"]
    assert list(problems_in("Статус: Held", "uk")) == ["untranslated: 'Held'"]
    assert list(problems_in("Page 2 of 9", "uk")) == ["untranslated: 'Page %(page)d of %(pages)d'"]
    assert list(problems_in("Вход: Invalid username, password or code. Ещё", "ru")) == [
        "untranslated: 'Invalid username, password or code.'"
    ]
    assert list(problems_in("account:login", "ru")) == ["raw code: 'account:login'"]
    assert list(problems_in("Статус: in_review", "ru")) == ["raw value: 'in_review'"]
    assert list(problems_in("Звание: senior lieutenant", "uk")) == [
        "raw value: 'senior lieutenant'"
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_page_is_translated_and_shows_no_code(report: Report, language: str) -> None:
    assert report.pages > 60, "the walk did not reach the pages"
    failures = report.failures()
    if failures:
        pytest.fail(
            f"{len(failures)} problems in {language} over {report.pages} pages:\n"
            + "\n".join(failures),
            pytrace=False,
        )

"""The public pages through their HTTP interface: three languages, no cookies, light pages,
the honeypot, the codename's status page and writing again, /official, /verify and the
report of a fake channel. The operator side (ingest, reply, move) runs on `rt`."""

from __future__ import annotations

import base64
import html
import json
import re
import statistics
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.ext import babel_extract
from sqlalchemy import func, select

from safeconduct.audit.actors import Actor
from safeconduct.audit.models import AuditEntry
from safeconduct.channels import codenames, integrations, official
from safeconduct.channels import service as channels
from safeconduct.channels.models import Integration, IntegrationKind, Submission, Ticket
from safeconduct.config import Settings
from safeconduct.db import today, utcnow
from safeconduct.intake import service as intake
from safeconduct.intake.models import Channel, RequestKind, RequestStatus
from safeconduct.runtime import PublicRuntime, Runtime, open_public_runtime
from safeconduct.security.statements import check_statement
from safeconduct.web.public import create_public_app
from safeconduct.web.public.render import TEMPLATES
from safeconduct.web.ui import i18n

OFFICER = Actor("account:officer-test")
PAGES = ("/", "/request", "/inquiry", "/status", "/official", "/verify", "/report-clone")
LANGUAGES = ("ru", "uk", "en")
ACCEPT = {"ru": "ru-RU,ru;q=0.9", "uk": "uk-UA,uk;q=0.9,en;q=0.5", "en": "en-GB,en;q=0.8"}
PAGE_LIMIT = 50 * 1024
CYRILLIC = re.compile("[а-яіїєґ]", re.IGNORECASE)
NOTHING = "Nothing to show for this codename."
FORM = {"contact": "+380 50 123 4567", "place": "near the old mill", "language": "uk",
        "message": "I want to come over"}  # fmt: skip


def _pre(page: str, element_id: str) -> str:
    found = re.search(rf'<pre class="statement" id="{element_id}">(.*?)</pre>', page, re.S)
    assert found is not None, element_id
    return html.unescape(found.group(1))


def _codename(page: str) -> str:
    found = re.search(r'<p class="codename"><strong>(.*?)</strong></p>', page)
    assert found is not None
    return html.unescape(found.group(1))


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found is not None
    return found.group(1)


def _submit(client: TestClient, **overrides: str) -> tuple[str, str]:
    """Post the form; return the codename and the signed receipt."""
    answer = client.post("/request", data=FORM | overrides)
    assert answer.status_code == 200
    return _codename(answer.text), _pre(answer.text, "receipt")


def _ingest(rt: Runtime) -> channels.IngestReport:
    with rt.transaction() as session:
        return channels.ingest(session, keyring=rt.keyring, keys=rt.channels, audit=rt.audit)


def _counts(rt: Runtime) -> tuple[int, ...]:
    with rt.sessions() as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Ticket, Submission, AuditEntry)
        )


def _reference(receipt: str) -> str:
    found = re.search(r"^reference: (\S+)$", receipt, re.M)
    assert found is not None
    return found.group(1)


# Languages, cookies, weight -----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_speaks_the_browsers_language_and_the_switch_overrides_it(
    public_client: TestClient, language: str
) -> None:
    other = "en" if language != "en" else "ru"
    for path in PAGES:
        by_browser = public_client.get(path, headers={"Accept-Language": ACCEPT[language]})
        switched = public_client.get(
            path, params={"lang": language}, headers={"Accept-Language": ACCEPT[other]}
        )
        for answer in (by_browser, switched):
            assert answer.status_code == 200, path
            assert f'<html lang="{language}">' in answer.text, path
            assert f'name="lang" value="{language}"' in answer.text or "<form" not in answer.text
            # Translated (Russian and Ukrainian need the `public` PO entries merged).
            assert bool(CYRILLIC.search(_title(answer.text))) == (language != "en"), path
    assert "Русский" in by_browser.text
    assert "hreflang" in by_browser.text


def test_a_post_answer_keeps_the_forms_language_and_offers_no_switch(
    public_client: TestClient,
) -> None:
    answer = public_client.post(
        "/request", data=FORM | {"lang": "uk"}, headers={"Accept-Language": ACCEPT["en"]}
    )
    assert '<html lang="uk">' in answer.text
    # A language link would throw the receipt away; the codename never goes into a URL.
    assert "hreflang" not in answer.text
    codename = _codename(answer.text)
    assert answer.text.count(codename) == 1
    assert "?lang=uk" in answer.text  # the footer's links keep the language


def public_msgids() -> set[str]:
    found: set[str] = set()
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    for template in sorted(TEMPLATES.glob("*.html")):
        with template.open("rb") as source:
            for _line, _func, message, _comments in babel_extract(
                source, ("_", "gettext", "ngettext"), [], options
            ):
                found.update(
                    m for m in (message if isinstance(message, tuple) else (message,)) if m
                )
    return found | set(official.PROBLEMS)


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_every_public_text_is_translated(language: str) -> None:
    # Fails until the `public` PO entries are merged into the catalogs.
    translated = i18n.translations(language)
    missing = sorted(m for m in public_msgids() if translated.gettext(m) == m)
    assert missing == [], language


def test_every_problem_verify_can_report_is_translatable(prt: PublicRuntime) -> None:
    good = channels.sign_receipt(prt.channels, "R-ABCD", Channel.WEB_FORM, utcnow())
    body, _, _signature = good.rpartition("signature: ")
    texts = ["", "hello", good.replace("R-ABCD", "R-ABCE"), body + "signature: !!!",
             good.replace("key: ", "key: 0")]  # fmt: skip
    problems = {official.inspect(t, prt.channels.published).problem for t in texts}
    assert problems <= set(official.PROBLEMS)
    assert len(problems) == len(texts)


def test_no_public_answer_sets_a_cookie(public_client: TestClient) -> None:
    codename, receipt = _submit(public_client)
    answers = [public_client.get(path) for path in PAGES]
    answers += [
        public_client.get("/.well-known/safeconduct-keys.json"),
        public_client.get("/static/public.css"),
        public_client.get("/no-such-page"),
        public_client.post("/request", data=FORM),
        public_client.post("/request", data=FORM | {"website": "x"}),
        public_client.post("/request", data={"contact": ""}),
        public_client.post("/status", data={"codename": codename}),
        public_client.post("/status", data={"codename": "wrong"}),
        public_client.post("/status/message", data={"codename": codename, "message": "hi"}),
        public_client.post("/verify", data={"statement": receipt}),
        public_client.post("/receipt", data={"receipt": receipt}),
        public_client.post("/report-clone", data={"seen": "@fake_bot"}),
    ]
    for answer in answers:
        assert "set-cookie" not in answer.headers, answer.url
    assert public_client.cookies == {}


def test_every_page_with_its_style_sheet_weighs_under_50_kb(public_client: TestClient) -> None:
    css = public_client.get("/static/public.css").content
    codename, receipt = _submit(public_client, message="x" * 4000)
    answers = [public_client.get(path) for path in PAGES]
    answers += [
        public_client.post("/request", data=FORM | {"message": "y" * 4000}),
        public_client.post("/status", data={"codename": codename}),
        public_client.post("/verify", data={"statement": receipt}),
        public_client.post("/report-clone", data={"seen": "@fake_bot", "message": "z" * 4000}),
    ]
    for answer in answers:
        assert len(answer.content) + len(css) < PAGE_LIMIT, answer.url
        # Nothing else to load: no script, no image, no asset from elsewhere.
        assert "<script" not in answer.text
        assert " src=" not in answer.text
        assert re.findall(r'rel="stylesheet" href="([^"]+)"', answer.text) == ["/static/public.css"]
        assert all(h.startswith(("/", "#")) for h in re.findall(r'href="([^"]*)"', answer.text))


# Honeypot ------------------------------------------------------------------------------


def test_every_form_carries_the_honeypot(public_client: TestClient) -> None:
    for path in ("/request", "/status", "/verify", "/report-clone"):
        form = public_client.get(path).text
        assert re.search(r'<div class="hp">\s*<label for="website">', form), path
        assert '<input id="website" name="website" tabindex="-1" autocomplete="off"' in form


def test_a_filled_honeypot_is_refused_and_nothing_is_stored_or_audited(
    public_client: TestClient, rt: Runtime
) -> None:
    codename, receipt = _submit(public_client)
    before = _counts(rt)
    posts = {
        "/request": FORM,
        "/status": {"codename": codename},
        "/status/message": {"codename": codename, "message": "hello"},
        "/verify": {"statement": receipt},
        "/receipt": {"receipt": receipt},
        "/report-clone": {"seen": "@fake_bot"},
    }
    for path, data in posts.items():
        answer = public_client.post(path, data=data | {"website": "http://spam.example"})
        assert answer.status_code == 400, path
        assert codename not in answer.text
        assert "Safe Conduct receipt" not in answer.text
    assert _counts(rt) == before


# Status and writing again --------------------------------------------------------------


def test_a_wrong_codename_shows_nothing(public_client: TestClient) -> None:
    _submit(public_client)
    wrong = [codenames.draw(), "nonsense", "", "x" * 999]
    answers = [public_client.post("/status", data={"codename": c, "lang": "en"}) for c in wrong]
    answers += [
        public_client.post("/status/message", data={"codename": c, "message": "m", "lang": "en"})
        for c in wrong
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert NOTHING in answer.text
        assert "R-" not in answer.text
        assert "/status/message" not in answer.text
    # Byte for byte the same answer, whatever was typed and wherever.
    assert len({a.text for a in answers}) == 1


def test_the_codename_shows_status_and_replies_and_writing_again_becomes_a_message_step(
    public_client: TestClient, rt: Runtime
) -> None:
    codename, receipt = _submit(public_client)
    assert _ingest(rt).requests == 1
    with rt.transaction() as session:
        request = intake.get_by_reference(session, reference=_reference(receipt))
        assert request is not None
        channels.reply(session, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                       request=request, text="Wait at the crossing")  # fmt: skip
        request_id = request.id
    # Typed in capitals and Cyrillic letters, as someone may read it back.
    shown = public_client.post("/status", data={"codename": codename.upper(), "lang": "en"})
    assert _reference(receipt) in shown.text
    assert "Wait at the crossing" in shown.text
    assert '<strong data-status="received">received</strong>' in shown.text
    sent = public_client.post(
        "/status/message",
        data={"codename": codename, "message": "At the crossing now", "lang": "en"},
    )
    assert sent.status_code == 200
    assert "Your message was sent." in sent.text
    empty = public_client.post("/status/message", data={"codename": codename, "message": " "})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in empty.text
    assert _ingest(rt).messages == 1
    with rt.sessions() as session:
        kinds = [e.kind for e in intake.history(session, request_id=request_id)]
    assert kinds.count("message") == 1
    assert kinds[-1] == "message"


def test_a_closed_request_takes_no_more_messages(public_client: TestClient, rt: Runtime) -> None:
    codename, receipt = _submit(public_client)
    _ingest(rt)
    with rt.transaction() as session:
        request = intake.get_by_reference(session, reference=_reference(receipt))
        assert request is not None
        intake.move(session, keyring=rt.keyring, audit=rt.audit, actor=OFFICER,
                    request=request, status=RequestStatus.REJECTED, reason="probe")  # fmt: skip
    before = _counts(rt)
    answer = public_client.post(
        "/status/message", data={"codename": codename, "message": "hi", "lang": "en"}
    )
    assert '<strong data-status="closed">closed</strong>' in answer.text
    assert "you cannot write" in answer.text
    assert "Your message was sent." not in answer.text
    assert 'name="message"' not in answer.text
    assert _counts(rt) == before


def test_right_and_wrong_codenames_answer_in_the_same_time(public_client: TestClient) -> None:
    codename, _ = _submit(public_client)
    wrong = codenames.draw()
    times: dict[str, list[float]] = {"right": [], "wrong": []}
    deadline = time.monotonic() + 30
    for _ in range(8):
        for name, typed in (("right", codename), ("wrong", wrong)):
            started = time.perf_counter()
            public_client.post("/status", data={"codename": typed})
            times[name].append(time.perf_counter() - started)
        assert time.monotonic() < deadline
    right, wrong_ = statistics.median(times["right"]), statistics.median(times["wrong"])
    assert min(times["right"] + times["wrong"]) >= 0.25
    assert abs(right - wrong_) < 0.05, (right, wrong_)


# Receipts, /verify, /official ---------------------------------------------------------


def test_the_receipt_verifies_with_the_published_key_and_cryptography_alone(
    public_client: TestClient,
) -> None:
    _, receipt = _submit(public_client)
    published = public_client.get("/.well-known/safeconduct-keys.json").json()["keys"]
    # The statement format, as documented: body, "--", "key: <id>", "signature: <b64>";
    # the signature covers the body's UTF-8 bytes, lines right-stripped, joined by "\n".
    lines = [line.rstrip() for line in receipt.replace("\r\n", "\n").strip("\n").split("\n")]
    assert lines[-3] == "--"
    key_id = lines[-2].removeprefix("key: ")
    signature = base64.b64decode(lines[-1].removeprefix("signature: "))
    body = "\n".join(lines[:-3]).strip("\n").encode("utf-8")
    raw = next(k["public_key"] for k in published if k["key_id"] == key_id)
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
    public.verify(signature, body)  # raises if it does not verify
    with pytest.raises(InvalidSignature):
        public.verify(signature, body.replace(b"reference: ", b"reference: X"))


def test_verify_tells_a_good_receipt_from_a_tampered_one(public_client: TestClient) -> None:
    _, receipt = _submit(public_client)
    good = public_client.post("/verify", data={"statement": receipt, "lang": "en"})
    assert "Valid." in good.text
    assert "This is a receipt signed by Safe Conduct." in good.text
    key_id = receipt.rsplit("key: ", 1)[1].split("\n")[0]
    assert f"Signed with key {key_id}, in use from" in good.text
    tampered = receipt.replace(_reference(receipt), "R-ZZZZ")
    bad = public_client.post("/verify", data={"statement": tampered, "lang": "en"})
    assert "Not valid." in bad.text
    assert "it was altered" in bad.text
    assert "Valid." not in bad.text
    unsigned = public_client.post("/verify", data={"statement": "hello", "lang": "en"})
    assert "the signature block is missing" in unsigned.text


def test_the_receipt_can_be_saved_as_a_file_without_the_codename(
    public_client: TestClient,
) -> None:
    codename, receipt = _submit(public_client)
    saved = public_client.post("/receipt", data={"receipt": receipt})
    assert saved.status_code == 200
    assert saved.headers["content-type"].startswith("text/plain")
    assert saved.headers["content-disposition"].startswith("attachment;")
    assert saved.text == receipt + "\n"
    assert codename not in saved.text
    forged = public_client.post("/receipt", data={"receipt": receipt.replace("R-", "Q-")})
    assert forged.status_code == 400
    assert "text/html" in forged.headers["content-type"]


def test_a_key_keeps_verifying_what_it_signed_before_it_was_retired(prt: PublicRuntime) -> None:
    issued = channels.sign_receipt(prt.channels, "R-ABCD", Channel.WEB_FORM, utcnow())
    key = next(k for k in prt.channels.published if k.key_id == prt.channels.signer.key_id)
    others = [k for k in prt.channels.published if k is not key]
    retired_today = [replace(key, valid_until=today()), *others]
    retired_before = [replace(key, valid_until=today() - timedelta(days=1)), *others]
    assert official.inspect(issued, retired_today).ok
    assert official.inspect(issued, retired_before).problem == official.RETIRED_KEY


def _add(rt: Runtime, name: str, handle: str | None, kind: IntegrationKind) -> Integration:
    assert rt.channels is not None
    with rt.transaction() as session:
        token = "1:x" if kind == IntegrationKind.TELEGRAM else None
        made = integrations.add(session, secret=rt.channels.secret, audit=rt.audit, actor=OFFICER,
                                name=name, kind=kind, handle=handle, bot_token=token)  # fmt: skip
        return made.integration


def test_official_lists_the_channels_signed_and_always_in_the_same_words(
    public_client: TestClient, rt: Runtime, prt: PublicRuntime
) -> None:
    _add(rt, "tg", "@SafeConductBot", IntegrationKind.TELEGRAM)
    _add(rt, "ivr", "+380 800 000 000", IntegrationKind.WEBHOOK)
    _add(rt, "hidden", None, IntegrationKind.WEBHOOK)
    gone = _add(rt, "gone", "@OldBot", IntegrationKind.TELEGRAM)
    with rt.transaction() as session:
        integrations.disable(session, audit=rt.audit, actor=OFFICER,
                             integration=session.get(Integration, gone.id))  # type: ignore[arg-type]  # fmt: skip
    first = public_client.get("/official")
    assert first.text == public_client.get("/official").text
    statement = _pre(first.text, "official")
    check = check_statement(statement, prt.channels.published)
    assert check.ok
    assert check.body is not None
    assert check.body.split("\n") == [
        official.OFFICIAL_TITLE,
        "bot or phone line: +380 800 000 000",
        "telegram bot: @SafeConductBot",
        f"web: {prt.settings.public_url}/request",
        f"keys: {prt.settings.public_url}/.well-known/safeconduct-keys.json",
    ]
    checked = public_client.post("/verify", data={"statement": statement, "lang": "en"})
    assert "the list of official channels signed by Safe Conduct" in checked.text


@settings(max_examples=50, deadline=None)
@given(
    handles=st.lists(st.text(min_size=1, max_size=30), max_size=6),
    seed=st.randoms(use_true_random=False),
)
def test_the_official_body_does_not_depend_on_order_and_one_handle_makes_one_line(
    handles: list[str], seed: object
) -> None:
    rows = [Integration(kind=IntegrationKind.WEBHOOK.value, handle=h) for h in handles]
    shuffled = list(rows)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    url = "https://safe.example"
    body = official.official_body(url, official.channels_of(url, rows))
    assert body == official.official_body(url, official.channels_of(url, shuffled))
    listed = official.channels_of(url, rows)
    assert len(body.split("\n")) == len(listed) + 2


# Reports of fake channels --------------------------------------------------------------


def test_a_clone_report_becomes_a_clone_report_request(
    public_client: TestClient, rt: Runtime, prt: PublicRuntime
) -> None:
    missing = public_client.post("/report-clone", data={"seen": " ", "lang": "en"})
    assert missing.status_code == 422
    assert 'id="seen"' in missing.text
    assert 'aria-invalid="true"' in missing.text
    answer = public_client.post(
        "/report-clone",
        data={"seen": "https://safe-conduct.example.net", "message": "asked for my unit"},
    )
    assert answer.status_code == 200
    receipt = _pre(answer.text, "receipt")
    assert check_statement(receipt, prt.channels.published).ok
    assert _ingest(rt).requests == 1
    with rt.sessions() as session:
        request = intake.get_by_reference(session, reference=_reference(receipt))
        assert request is not None
        assert request.kind == RequestKind.CLONE_REPORT.value


def test_the_keys_served_are_the_published_list(
    public_client: TestClient, prt: PublicRuntime
) -> None:
    served = public_client.get("/.well-known/safeconduct-keys.json")
    assert served.headers["content-type"] == "application/json"
    assert json.loads(served.text)["keys"] == [k.as_json() for k in prt.channels.published]


def test_a_client_over_its_window_gets_a_429_page(public_settings: Settings, rt: Runtime) -> None:
    """The public pages' posts count per client; beyond the window a page says when to try
    again, in the reader's language, and nothing is taken."""
    del rt
    strict = public_settings.model_copy(update={"public_posts_per_minute": 2})
    prt = open_public_runtime(strict)
    try:
        with TestClient(create_public_app(prt)) as client:
            for _ in range(2):
                client.post("/status", data={"codename": "x", "lang": "en"})
            answer = client.post("/request", data={"contact": "@c", "lang": "uk"})
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) > 0
        assert "Забагато спроб" in answer.text
        with prt.sessions() as db:
            assert db.scalar(select(func.count()).select_from(Ticket)) == 0
    finally:
        prt.close()

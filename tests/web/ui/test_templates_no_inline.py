"""No template holds what the Content-Security-Policy refuses: a style attribute, a <style>
element, an event-handler attribute, an inline script or a javascript: URL."""

from __future__ import annotations

import re

import pytest

from safeconduct.web.ui.render import TEMPLATES

# Jinja's own syntax goes first: a comment may speak of styles, an expression may hold `>`.
JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b([^>]*)>", re.DOTALL)
ATTRIBUTE = re.compile(r"""(?:^|\s)([^\s=/>"']+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def refused(source: str) -> list[str]:
    """What in one template a strict CSP would refuse, named by tag and attribute."""
    found = []
    text = JINJA.sub(" J ", source)
    for match in TAG.finditer(text):
        tag, attributes = match.group(1).lower(), match.group(2)
        names = {m.group(1).lower(): m.group(2) or "" for m in ATTRIBUTE.finditer(attributes)}
        if tag == "style":
            found.append("<style> element")
        if tag == "script" and "src" not in names:
            found.append("<script> without src")
        for name, value in names.items():
            if name == "style":
                found.append(f"style= on <{tag}>")
            if re.fullmatch(r"on[a-z]+|hx-on.*|data-hx-on.*", name):
                found.append(f"{name}= on <{tag}>")
            if value.strip("\"' ").lower().startswith("javascript:"):
                found.append(f"javascript: URL in {name}= on <{tag}>")
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('<p style="color: red">x</p>', ["style= on <p>"]),
        ("<style>p { color: red }</style>", ["<style> element"]),
        ('<button onclick="go()">x</button>', ["onclick= on <button>"]),
        ("<button hx-on:click='go()'>x</button>", ["hx-on:click= on <button>"]),
        ("<script>alert(1)</script>", ["<script> without src"]),
        ('<a href="javascript:go()">x</a>', ["javascript: URL in href= on <a>"]),
        ('<p class="x"{% if a > b %} hidden{% endif %}>{# style="x" #}</p>', []),
        ('<a href="/x" data-label="online">on</a><script src="/static/x.js"></script>', []),
    ],
)
def test_the_check_sees_what_it_must(source: str, expected: list[str]) -> None:
    assert refused(source) == expected


def test_no_template_has_inline_style_script_or_handler() -> None:
    templates = sorted(TEMPLATES.glob("*.html"))
    assert len(templates) > 20
    found = {t.name: refused(t.read_text(encoding="utf-8")) for t in templates}
    assert {name: what for name, what in found.items() if what} == {}

"""The public face answers its pages and nothing of the operator face."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_public_face_serves_the_form_and_no_api(public_client: TestClient) -> None:
    assert public_client.get("/request").status_code == 200
    for path in ("/api/v1/health", "/openapi.json", "/login", "/people"):
        assert public_client.get(path).status_code == 404


def test_submission_gets_a_receipt(public_client: TestClient) -> None:
    answer = public_client.post("/request", data={"contact": "@someone", "language": "en"})
    assert answer.status_code == 200
    assert "Safe Conduct receipt" in answer.text
    assert answer.headers.get("set-cookie") is None


def test_missing_contact_names_the_field(public_client: TestClient) -> None:
    answer = public_client.post("/request", data={"contact": " ", "language": "en"})
    assert answer.status_code == 422
    assert 'id="contact"' in answer.text
    assert 'aria-invalid="true"' in answer.text

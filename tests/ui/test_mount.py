"""The UI mounted at / on the API's app: the lifespan still loads the assistant, the API routes still win."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture(scope="module")
def client(server_url):
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


def test_the_web_ui_is_served_at_the_root(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    config = client.get("/config")
    assert config.status_code == 200
    assert config.json()["title"] == "계획 문서 도우미"


def test_api_routes_win_over_the_mount(client):
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"  # the lifespan loaded the assistant
    assert health.json()["documents"] == 5
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    spec = client.get("/openapi.json").json()
    assert "/v1/ask" in spec["paths"] and not any(path.startswith("/gradio_api") for path in spec["paths"])
    documents = client.get("/v1/documents")
    assert documents.status_code == 200 and len(documents.json()["documents"]) == 5


def test_an_unknown_api_path_is_still_a_404(client):
    assert client.get("/v1/no-such-route").status_code == 404

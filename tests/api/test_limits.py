"""Limits, CORS and the admin re-index, each against a real `assistant serve` process started with the settings."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest
from conftest import CORPUS, ROOT, running_server
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "test-admin-token-4f1c9e"
ORIGIN = "https://example.org"
BODY_CAP = 2048
RATE = 5


def assert_clear_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    return detail


def gauge(client: httpx.Client, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    raise AssertionError(f"no {name} {labels} in /metrics")


@pytest.fixture(scope="module")
def limited(corpus_index, tmp_path_factory):
    """A server with a body cap, CORS for one origin and an admin token, over its own copy of the index (the
    re-index test rewrites it; corpus_index is shared by the session)."""
    index_copy = tmp_path_factory.mktemp("limits") / "index"
    shutil.copytree(corpus_index, index_copy)
    env = {
        "ASSISTANT_MAX_BODY_BYTES": str(BODY_CAP),
        "ASSISTANT_CORS_ORIGINS": f'["{ORIGIN}"]',
        "ASSISTANT_ADMIN_TOKEN": TOKEN,
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "0",
        "ASSISTANT_CORPUS_DIR": str(CORPUS),
        "ASSISTANT_CACHE_DIR": str(ROOT / "index" / "cache"),  # warm: the re-index embeds nothing new
    }
    with running_server(index_copy, env=env) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def rate_limited(corpus_index):
    with running_server(corpus_index, env={"ASSISTANT_RATE_LIMIT_PER_MINUTE": str(RATE)}) as (url, _), \
            httpx.Client(base_url=url, timeout=60) as client:
        yield client


# body size


def test_a_body_under_the_cap_is_served(limited):
    response = limited.post("/v1/search", json={"query": "연락처", "top_k": 2})
    assert response.status_code == 200 and response.json()["results"]


def test_a_body_over_the_cap_with_content_length_is_413(limited):
    body = b'{"question": "' + b"a" * BODY_CAP + b'"}'
    response = limited.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert "content-length" in {k.lower() for k in response.request.headers}
    assert str(BODY_CAP) in assert_clear_error(response, 413)


def test_a_chunked_body_over_the_cap_is_413(limited):
    def chunks():  # no Content-Length: the cap is enforced while the body streams in
        yield b'{"question": "'
        for _ in range(8):
            yield b"a" * 512
        yield b'"}'

    response = limited.post("/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert str(BODY_CAP) in assert_clear_error(response, 413)


def test_a_chunked_body_under_the_cap_is_served(limited):
    def chunks():
        yield b'{"query": '
        yield '"연락처"}'.encode()

    response = limited.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["results"]


def test_refused_bodies_are_counted_under_their_route(limited):
    limited.post("/v1/ask", content=b"x" * (BODY_CAP + 1), headers={"content-type": "application/json"})
    assert gauge(limited, "assistant_http_requests_total", route="/v1/ask", status="413") >= 1


# CORS


def test_a_preflight_from_the_configured_origin_is_allowed(limited):
    response = limited.options("/v1/ask", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    # and the request itself carries the header the browser checks
    answer = limited.post("/v1/search", json={"query": "연락처"}, headers={"Origin": ORIGIN})
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_a_preflight_from_another_origin_is_refused(limited):
    response = limited.options("/v1/ask", headers={"Origin": "https://evil.example",
                                                   "Access-Control-Request-Method": "POST"})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    other = limited.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# rate limit


def test_the_rate_limit_answers_429_with_retry_after(rate_limited):
    statuses = []
    for _ in range(4 * RATE):  # a token comes back every 60/RATE s: a slow machine only delays the 429
        statuses.append(rate_limited.get("/v1/documents").status_code)
        if statuses[-1] == 429:
            break
    assert statuses[:RATE] == [200] * RATE and statuses[-1] == 429, statuses
    limited = rate_limited.post("/v1/ask", json={"question": "연락처"})
    assert f"{RATE} per minute" in assert_clear_error(limited, 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # the Kakao skill is limited too, before it is even routed
    assert rate_limited.post("/kakao/skill", json={}).status_code == 429

    # operations, docs and the UI are not
    assert rate_limited.get("/healthz").status_code == 200
    assert rate_limited.get("/metrics").status_code == 200
    assert rate_limited.get("/openapi.json").status_code == 200
    assert rate_limited.get("/").status_code != 429

    # another client address has its own budget (uvicorn takes it from X-Forwarded-For sent by 127.0.0.1, i.e.
    # a reverse proxy on the same host)
    assert rate_limited.get("/v1/documents", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200

    assert gauge(rate_limited, "assistant_http_requests_total", route="/v1/documents", status="429") >= 1


# admin


def test_admin_needs_the_bearer_token(limited):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"}):
        for method in ("GET", "POST"):
            response = limited.request(method, "/v1/admin/reindex", headers=headers)
            assert "Bearer" in assert_clear_error(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"
    assert limited.get("/v1/admin/reindex", headers={"Authorization": f"Bearer {TOKEN}"}).json()["state"] == "idle"


def test_reindex_runs_in_the_background_and_the_new_index_is_served(limited):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = limited.get("/healthz").json()

    started = limited.post("/v1/admin/reindex", headers=auth)
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "building" and started.json()["runs"] == 1

    again = limited.post("/v1/admin/reindex", headers=auth)  # the build takes seconds; this lands during it
    assert "already running" in assert_clear_error(again, 409)
    assert again.json()["build"]["state"] == "building"

    # questions are answered while the index is rebuilt
    assert limited.get("/v1/contacts", params={"q": "연락처"}).status_code == 200

    deadline = time.monotonic() + 600
    while (status := limited.get("/v1/admin/reindex", headers=auth).json())["state"] == "building":
        assert time.monotonic() < deadline, "the re-index did not finish within 10 minutes"
        time.sleep(1)
    assert status["state"] == "done", status
    assert status["error"] is None and status["chunks"] == before["chunks"]

    after = limited.get("/healthz").json()
    assert after["index_built_at"] != before["index_built_at"]  # the new index was loaded
    assert after["build"]["state"] == "done" and after["chunks"] == before["chunks"]
    assert gauge(limited, "assistant_index_build_state", state="done") == 1
    answer = limited.post("/v1/ask", json={"question": "학술행사 담당자 전화번호"})
    assert answer.status_code == 200 and answer.json()["citations"]


# errors


class FailingMiddleware:
    """Stands for a bug in any middleware: it raises before the app answers."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/documents":
            raise RuntimeError("a secret detail of the failure")
        await self.app(scope, receive, send)


def test_an_error_raised_in_middleware_is_a_plain_500(corpus_index):
    import threading

    import uvicorn
    from conftest import free_port

    from assistant.api import create_app
    from assistant.settings import Settings

    app = create_app(Settings(index_dir=corpus_index, ui=False))
    app.add_middleware(FailingMiddleware)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        url = f"http://127.0.0.1:{server.config.port}"
        response = httpx.get(f"{url}/v1/documents", timeout=30)
        assert assert_clear_error(response, 500) == "internal error"
        assert "secret" not in response.text
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200  # the server lives on
    finally:
        server.should_exit = True
        thread.join(30)


def test_two_apps_in_one_process_have_their_own_metrics():
    from assistant.api import create_app
    from assistant.settings import Settings

    first, second = create_app(Settings(ui=False)), create_app(Settings(ui=False))  # no duplicate-metric error
    assert first.state.metrics_registry is not second.state.metrics_registry


def test_the_rate_limiter_forgets_idle_clients_and_holds_a_bounded_number():
    from assistant.api.limits import RateLimit

    limiter = RateLimit(app=None, per_minute=60, max_clients=3)
    assert [limiter.take("a", now=0.0) for _ in range(61)][-2:] == [0.0, 1.0]  # the 61st waits a second
    assert limiter.take("a", now=1.0) == 0.0  # a token came back
    for client in "bcdef":
        limiter.take(client, now=2.0)
    assert len(limiter.buckets) == 3 and "a" not in limiter.buckets
    limiter.take("g", now=200.0)  # a minute of silence refills every bucket: they are all dropped
    assert list(limiter.buckets) == ["g"]

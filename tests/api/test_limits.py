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
BODY_TIMEOUT = 1.5


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
        "ASSISTANT_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    }
    with running_server(index_copy, env=env) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        yield client


# uvicorn believes X-Forwarded-For sent from 127.0.0.1 unless told not to; the middleware resolves the client from
# the raw peer itself (trusted_proxies), so the servers under test run with uvicorn's own resolution off
RAW_PEER = {"FORWARDED_ALLOW_IPS": ""}


@pytest.fixture(scope="module")
def rate_limited(corpus_index):
    env = {**RAW_PEER, "ASSISTANT_RATE_LIMIT_PER_MINUTE": str(RATE), "ASSISTANT_UI_RATE_LIMIT_PER_MINUTE": str(RATE)}
    with running_server(corpus_index, env=env) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
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
    # the Kakao skill is not under the per-address bucket (every Kakao user comes from the platform's addresses):
    # it is limited per user and bot in its router, tests/api/test_kakao.py
    assert rate_limited.post("/kakao/skill", json={}).status_code == 422

    # operations, docs and the UI page are not
    assert rate_limited.get("/healthz").status_code == 200
    assert rate_limited.get("/metrics").status_code == 200
    assert rate_limited.get("/openapi.json").status_code == 200
    assert rate_limited.get("/").status_code != 429

    # forwarding headers from a peer that is no trusted proxy change nothing: random ones do not buy a new budget
    for n, header in enumerate(("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        value = f"for=203.0.113.{n}" if header == "Forwarded" else f"203.0.113.{n}"
        assert rate_limited.get("/v1/documents", headers={header: value}).status_code == 429

    assert gauge(rate_limited, "assistant_http_requests_total", route="/v1/documents", status="429") >= 1


def test_the_openai_routes_refuse_in_the_openai_error_format(rate_limited):
    for _ in range(4 * RATE):
        if rate_limited.get("/v1/documents").status_code == 429:
            break
    for response in (rate_limited.post("/v1/chat/completions", json={"model": "x", "messages": []}),
                     rate_limited.get("/v1/models")):
        assert response.status_code == 429, response.text
        error = response.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert error["code"] == "rate_limit_exceeded" and f"{RATE} per minute" in error["message"]
        assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_the_web_ui_api_has_a_bucket_of_its_own_and_takes_no_uploads(rate_limited):
    statuses = []
    for _ in range(4 * RATE):
        statuses.append(rate_limited.get("/gradio_api/info").status_code)
        if statuses[-1] == 429:
            break
    assert statuses[0] == 200 and statuses[-1] == 429, statuses
    assert "per minute" in rate_limited.get("/gradio_api/info").json()["detail"]
    upload = rate_limited.post("/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    assert upload.status_code == 404 and "ASSISTANT_UI_UPLOADS" in upload.text


def test_a_trusted_proxy_names_the_client(corpus_index):
    """Behind a proxy every request comes from the proxy: its Forwarded / X-Forwarded-For say whose it is."""
    env = {**RAW_PEER, "ASSISTANT_RATE_LIMIT_PER_MINUTE": str(RATE), "ASSISTANT_TRUSTED_PROXIES": '["127.0.0.0/8"]'}
    with running_server(corpus_index, env=env) as (url, _), httpx.Client(base_url=url, timeout=60) as client:
        def exhaust(headers: dict[str, str]) -> list[int]:
            statuses = []
            for _ in range(4 * RATE):
                statuses.append(client.get("/v1/documents", headers=headers).status_code)
                if statuses[-1] == 429:
                    break
            return statuses

        first = {"X-Forwarded-For": "203.0.113.7"}
        assert exhaust(first)[-1] == 429
        # a client cannot get out by naming someone else at the left: the proxy appended the real address
        assert client.get("/v1/documents", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}).status_code == 429
        assert client.get("/v1/documents", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
        # RFC 7239, a quoted IPv6 address with a port
        ipv6 = {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https;by=127.0.0.1'}
        statuses = exhaust(ipv6)
        assert statuses[0] == 200 and statuses[-1] == 429
        assert client.get("/v1/documents", headers={"Forwarded": "for=192.0.2.60;proto=http"}).status_code == 200
        # the proxy itself, with no header, is one client of its own
        assert exhaust({})[-1] == 429


def test_a_stalled_body_is_answered_408_and_closed(limited):
    import socket

    url = httpx.URL(str(limited.base_url))
    with socket.create_connection((url.host, url.port), timeout=60) as sock:
        sock.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n" + b'{"question"')  # 10 more bytes, then nothing
        received = b""
        while chunk := sock.recv(4096):  # until the server closes the connection
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received
    assert b"ASSISTANT_BODY_TIMEOUT_SECONDS" in body
    assert limited.get("/healthz").status_code == 200  # the server lives on


def test_a_chat_body_over_the_cap_is_an_openai_413(limited):
    body = b'{"model": "x", "messages": [{"role": "user", "content": "' + b"a" * BODY_CAP + b'"}]}'
    response = limited.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


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


def test_the_memory_store_forgets_full_buckets_and_holds_a_bounded_number():
    from assistant.state.memory import MemoryStore

    store = MemoryStore(max_buckets=3)
    assert [store.take_token("a", 60.0, 1.0, now=0.0) for _ in range(61)][-2:] == [0.0, 1.0]  # the 61st waits 1 s
    assert store.take_token("a", 60.0, 1.0, now=1.0) == 0.0  # a token came back
    for client in "bcdef":
        store.take_token(client, 60.0, 1.0, now=2.0)
    assert len(store._buckets) == 3 and "a" not in store._buckets
    store.take_token("g", 60.0, 1.0, now=200.0)  # a minute of silence refills every bucket: they are all dropped
    assert list(store._buckets) == ["g"]


@pytest.mark.parametrize(("peer", "headers", "client"), [
    ("203.0.113.5", {"x-forwarded-for": "1.2.3.4"}, "203.0.113.5"),  # not a trusted proxy: the header is ignored
    ("10.0.0.2", {"x-forwarded-for": "1.2.3.4"}, "1.2.3.4"),
    ("10.0.0.2", {"x-forwarded-for": "6.6.6.6, 1.2.3.4, 10.0.0.9"}, "1.2.3.4"),  # proxies' hops skipped from the right
    ("10.0.0.2", {"x-forwarded-for": "10.0.0.7, 10.0.0.9"}, "10.0.0.7"),  # all ours: the farthest known
    ("10.0.0.2", {"forwarded": 'for="[2001:db8::1]:4711", for=10.0.0.9'}, "2001:db8::1"),
    ("10.0.0.2", {"forwarded": 'For="192.0.2.60:8080";proto=https;by=10.0.0.2'}, "192.0.2.60"),
    ("10.0.0.2", {"forwarded": "for=unknown"}, "unknown"),
    ("10.0.0.2", {"forwarded": "for=192.0.2.1", "x-forwarded-for": "6.6.6.6"}, "192.0.2.1"),  # Forwarded wins
    ("::ffff:10.0.0.2", {"x-forwarded-for": "2001:db8::5"}, "2001:db8::5"),  # an IPv4-mapped peer is IPv4
    ("10.0.0.2", {}, "10.0.0.2"),
])
def test_client_address_resolution(peer, headers, client):
    from assistant.api.limits import TrustedProxies, client_address

    scope = {"client": (peer, 5000), "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    assert client_address(scope, TrustedProxies(["10.0.0.0/8", "::1"])) == client


# shared state: two server processes, one store


@pytest.fixture(params=["sqlite", "redis"])
def shared_store(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    from state.redis_process import redis_server

    with redis_server() as (url, _):
        yield url


def test_a_follow_up_is_answered_by_another_server_sharing_the_store(corpus_index, shared_store):
    env = {**RAW_PEER, "ASSISTANT_STATE_STORE": shared_store, "ASSISTANT_RATE_LIMIT_PER_MINUTE": str(RATE)}
    with running_server(corpus_index, env=env) as (first_url, _), running_server(corpus_index, env=env) as (second_url, _):
        first, second = httpx.Client(base_url=first_url, timeout=60), httpx.Client(base_url=second_url, timeout=60)
        with first, second:
            topic = first.post("/v1/ask", json={"question": "고양시정연구원 학술행사는 어떤 사업이야?",
                                                "session_id": "shared-1"})
            assert topic.status_code == 200 and not topic.json()["abstained"]
            follow_up = second.post("/v1/ask", json={"question": "그 사업 담당자 연락처는?", "session_id": "shared-1"})
            alone = second.post("/v1/ask", json={"question": "그 사업 담당자 연락처는?", "session_id": "shared-2"})
            assert follow_up.status_code == alone.status_code == 200
            assert "노관령" in follow_up.json()["answer"] and "8073-8344" in follow_up.json()["answer"]
            assert alone.json()["abstained"]  # without the first turn the same words name no program

            # one bucket per client across both servers: 3 requests were taken above, RATE - 3 remain in all
            statuses = [client.get("/v1/documents").status_code for client in (first, second) * RATE]
            assert statuses.count(200) <= RATE and statuses[-1] == 429, statuses

"""Every route of the HTTP API, over HTTP against a real `assistant serve` process with the default settings."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

KNOWN_NAME, KNOWN_PHONE = "윤신희", "8073-8365"  # a contact line of goyang-institute-2024 ("부장: 윤신희 ☎ 8073-8365")


@pytest.fixture(scope="module")
def client(server_url):
    with httpx.Client(base_url=server_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def document_texts(client) -> dict[str, str]:
    ids = [d["doc_id"] for d in client.get("/v1/documents").json()["documents"]]
    return {doc_id: client.get(f"/v1/documents/{doc_id}").json()["text"] for doc_id in ids}


def assert_clear_error(response: httpx.Response, status: int) -> str:
    """The status wanted, a JSON body with a detail, and nothing of the server's insides."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and 'File "' not in response.text
    detail = response.json()["detail"]
    assert detail
    return detail if isinstance(detail, str) else " ".join(str(e.get("msg", "")) for e in detail)


def assert_verbatim(citation: dict, texts: dict[str, str]) -> None:
    """A fact's citation is the exact span of the document text the API serves."""
    text = texts[citation["doc"]]
    assert citation["text"] and text[citation["start"]:citation["end"]] == citation["text"]


def request_count(client: httpx.Client, **labels: str) -> float:
    """The value of assistant_http_requests_total for these labels (summed over the others)."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    return sum(sample.value for family in families if family.name == "assistant_http_requests"
               for sample in family.samples
               if sample.name.endswith("_total") and all(sample.labels.get(k) == v for k, v in labels.items()))


# answers and search


def test_ask_answers_with_citations_that_quote_the_documents(client, document_texts):
    response = client.post("/v1/ask", json={"question": "학술행사 담당자 전화번호 알려줘"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"] and not body["abstained"]
    assert body["citations"]
    for citation in body["citations"]:
        assert citation["text"] in document_texts[citation["doc"]]
    assert body["timing_ms"]["total"] > 0


def test_search_ranks_quotes_of_the_documents(client, document_texts):
    response = client.post("/v1/search", json={"query": "도시재생 지원센터", "top_k": 4})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["rank"] for r in results] == [1, 2, 3, 4]
    assert all(r["text"] in document_texts[r["doc"]] for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


# facts


def test_contacts_finds_a_known_contact_with_its_source_line(client, document_texts):
    body = client.get("/v1/contacts", params={"q": KNOWN_NAME}).json()
    assert body["count"] == len(body["records"]) >= 1
    for record in body["records"]:
        assert (record["name"], record["phone"]) == (KNOWN_NAME, KNOWN_PHONE)
        assert_verbatim(record["citation"], document_texts)
        assert record["name_as_written"] in record["citation"]["text"]
        assert record["phone_as_written"] in record["citation"]["text"]
    # spaces in the query are ignored, as in the CLI
    spaced = client.get("/v1/contacts", params={"q": " ".join(KNOWN_NAME)}).json()
    assert spaced["count"] == body["count"]


def test_contacts_limit_bounds_the_records_but_not_the_count(client):
    everyone = client.get("/v1/contacts").json()
    assert everyone["count"] == len(everyone["records"]) > 2
    two = client.get("/v1/contacts", params={"limit": 2}).json()
    assert two["count"] == everyone["count"] and two["records"] == everyone["records"][:2]
    for limit in (0, 1001, "many"):
        assert_clear_error(client.get("/v1/contacts", params={"limit": limit}), 422)
    assert client.get("/v1/contacts", params={"q": "이런 사람은 없다"}).json() == {"count": 0, "records": []}


def test_schedules_in_a_date_range_are_inside_it_and_sorted(client, document_texts):
    low, high = "2024-03-01", "2024-04-30"
    body = client.get("/v1/schedules", params={"from": low, "to": high, "limit": 1000}).json()
    records = body["records"]
    assert body["count"] == len(records) > 0
    for record in records:
        assert record["end_date"] >= low and record["start_date"] <= high  # overlaps the range
        assert_verbatim(record["citation"], document_texts)
        assert record["when"] in record["citation"]["text"]
    assert records == sorted(records, key=lambda r: (r["start_date"], r["end_date"]))
    # a narrower range gives a subset; everything is more
    march = client.get("/v1/schedules", params={"from": low, "to": "2024-03-31", "limit": 1000}).json()
    assert 0 < march["count"] <= body["count"]
    assert client.get("/v1/schedules").json()["count"] > body["count"]


def test_schedules_limit_and_query(client):
    body = client.get("/v1/schedules", params={"from": "2024-01-01", "to": "2024-12-31", "limit": 3}).json()
    assert len(body["records"]) == 3 < body["count"]
    word = body["records"][0]["what"].split()[0]
    found = client.get("/v1/schedules", params={"q": word, "limit": 1000}).json()
    assert found["count"] >= 1
    assert all(word.replace(" ", "") in (r["what"] + r["citation"]["section"]).replace(" ", "")
               for r in found["records"])


@pytest.mark.parametrize("params, names", [
    ({"from": "2024-13-01"}, "'from'"),
    ({"to": "next week"}, "'to'"),
    ({"from": "2024-05-01", "to": "2024-04-01"}, "after"),
])
def test_schedules_refuse_bad_dates_clearly(client, params, names):
    detail = assert_clear_error(client.get("/v1/schedules", params=params), 422)
    assert names in detail


def test_projects_with_their_section_text(client, document_texts):
    everything = client.get("/v1/projects").json()
    assert everything["count"] == len(everything["records"]) > 0
    for record in everything["records"]:
        assert_verbatim(record["citation"], document_texts)
        assert record["name"] in record["citation"]["section"]
    name = everything["records"][0]["name"]
    found = client.get("/v1/projects", params={"q": name}).json()
    assert name in [r["name"] for r in found["records"]]
    assert found["count"] < everything["count"]


# documents, operations, docs


def test_documents_and_one_document(client):
    documents = client.get("/v1/documents").json()["documents"]
    assert len(documents) == 5
    first = documents[0]
    detail = client.get(f"/v1/documents/{first['doc_id']}").json()
    assert detail["title"] == first["title"] and len(detail["chunk_spans"]) == first["chunks"]
    for span in detail["chunk_spans"]:
        assert 0 <= span["start"] < span["end"] <= len(detail["text"])


def test_an_unknown_document_is_404(client):
    detail = assert_clear_error(client.get("/v1/documents/no-such-document"), 404)
    assert "no-such-document" in detail


def test_healthz(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] == 5 and health["chunks"] > 0
    assert health["retrieval"] in ("hybrid", "lexical")


def test_metrics_count_requests_by_route_template(client):
    labels = {"method": "GET", "route": "/v1/documents/{doc_id}", "status": "404"}
    before = request_count(client, **labels)
    for name in ("metrics-probe-a", "metrics-probe-b"):
        assert client.get(f"/v1/documents/{name}").status_code == 404
    assert request_count(client, **labels) >= before + 2
    text = client.get("/metrics").text
    assert "metrics-probe-a" not in text  # the raw path is never a label
    assert request_count(client, method="GET", route="/healthz", status="200") >= 1


def test_metrics_label_unknown_paths_and_the_ui_under_one_name_each(client):
    before_unmatched = request_count(client, route="unmatched")
    before_ui = request_count(client, route="ui")
    client.get("/v1/no-such-route-1")
    client.get("/v1/no-such-route-2")
    client.get("/assets/no-such-file-1.js")
    client.get("/assets/no-such-file-2.css")
    assert request_count(client, route="unmatched") >= before_unmatched + 2
    assert request_count(client, route="ui") >= before_ui + 2
    assert "no-such" not in client.get("/metrics").text


def test_metrics_report_the_loaded_index(client):
    health = client.get("/healthz").json()
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert families["assistant_chunks_loaded"].samples[0].value == health["chunks"]
    assert families["assistant_documents_loaded"].samples[0].value == health["documents"]
    modes = {s.labels["mode"]: s.value for s in families["assistant_retrieval_mode"].samples}
    assert modes[health["retrieval"]] == 1 and sum(modes.values()) == 1
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_docs_and_openapi(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/ask", "/v1/search", "/v1/contacts", "/v1/schedules", "/v1/projects", "/v1/documents",
                 "/v1/documents/{doc_id}", "/v1/admin/reindex", "/healthz", "/metrics"):
        assert path in paths


# bad input


def test_a_question_over_1000_characters_is_refused_clearly(client):
    detail = assert_clear_error(client.post("/v1/ask", json={"question": "가" * 1001}), 422)
    assert "1000" in detail


@pytest.mark.parametrize("question", ["", "   \n\t "])
def test_an_empty_question_is_refused_clearly(client, question):
    assert_clear_error(client.post("/v1/ask", json={"question": question}), 422)


def test_malformed_json_is_refused_clearly(client):
    response = client.post("/v1/ask", content='{"question": "연락처"'.encode(), headers={"content-type": "application/json"})
    assert "JSON" in assert_clear_error(response, 422)
    # a JSON value that is not an object, and an object without the question
    assert_clear_error(client.post("/v1/ask", json=["연락처"]), 422)
    assert_clear_error(client.post("/v1/ask", json={"query": "연락처"}), 422)


def test_a_body_that_is_not_utf8_is_refused_clearly(client):
    body = '{"question": "연락처"}'.encode("euc-kr")
    response = client.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert "UTF-8" in assert_clear_error(response, 422)


def test_search_refuses_bad_input_clearly(client):
    assert_clear_error(client.post("/v1/search", json={"query": "연락처", "top_k": 0}), 422)
    assert_clear_error(client.post("/v1/search", json={"query": " "}), 422)


def test_admin_routes_are_disabled_without_a_token(client):
    for response in (client.post("/v1/admin/reindex"), client.get("/v1/admin/reindex",
                                                                    headers={"Authorization": "Bearer guess"})):
        assert "disabled" in assert_clear_error(response, 404)


def test_cors_is_off_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers


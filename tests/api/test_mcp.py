"""The assistant as an MCP server: the official SDK's client against a real `assistant serve` process.

Every tool is called over the streamable HTTP transport at /mcp, and its result is compared with the
HTTP route that serves the same thing: an agent and a web client must never disagree.
"""

from __future__ import annotations

import json

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

TOOLS = {"ask", "search", "contacts", "schedules", "documents"}


async def call(server_url: str, tool: str, arguments: dict) -> tuple[dict | None, bool, str]:
    """The tool's structured result, whether it is an error, and its text content."""
    async with streamable_http_client(f"{server_url}/mcp") as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool(tool, arguments)
    text = " ".join(getattr(block, "text", "") for block in result.content)
    return result.structured_content, bool(result.is_error), text


async def test_lists_the_five_tools_and_the_documents_as_resources(server_url):
    async with streamable_http_client(f"{server_url}/mcp") as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            info = await session.initialize()
            assert info.server_info.name == "plan-documents-assistant"
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert set(tools) == TOOLS
            assert "question" in tools["ask"].input_schema["properties"]
            resources = (await session.list_resources()).resources
            assert any(str(r.uri) == "assistant://documents" for r in resources)
            listing = await session.read_resource("assistant://documents")
            documents = json.loads(listing.contents[0].text)["documents"]
            assert len(documents) == 5
            doc_id = documents[0]["doc_id"]
            text = (await session.read_resource(f"assistant://documents/{doc_id}")).contents[0].text
    with httpx.Client(base_url=server_url, timeout=60) as client:
        assert text == client.get(f"/v1/documents/{doc_id}").json()["text"]


@pytest.mark.parametrize("question", ["학술행사 담당자 전화번호 알려줘", "대전세종연구원 정원은 몇 명이야?"])
async def test_ask_gives_the_answer_and_citations_of_v1_ask(server_url, question):
    result, is_error, _ = await call(server_url, "ask", {"question": question})
    assert not is_error and result
    with httpx.Client(base_url=server_url, timeout=60) as client:
        expected = client.post("/v1/ask", json={"question": question}).json()
    assert result["answer"] == expected["answer"] and result["abstained"] == expected["abstained"]
    strip = ("score",)  # equal, but compared without floating noise
    assert [{k: v for k, v in c.items() if k not in strip} for c in result["citations"]] == \
        [{k: v for k, v in c.items() if k not in strip} for c in expected["citations"]]
    assert result["evidence"] == expected["evidence"]


async def test_search_contacts_schedules_and_documents_equal_their_routes(server_url):
    with httpx.Client(base_url=server_url, timeout=60) as client:
        searched, is_error, _ = await call(server_url, "search", {"query": "학술행사", "top_k": 3})
        assert not is_error
        expected = client.post("/v1/search", json={"query": "학술행사", "top_k": 3}).json()
        assert [r["chunk_id"] for r in searched["results"]] == [r["chunk_id"] for r in expected["results"]]
        assert all(r["text"] for r in searched["results"])

        people, is_error, _ = await call(server_url, "contacts", {"q": "윤신희"})
        assert not is_error and people["count"] >= 1
        assert people == client.get("/v1/contacts", params={"q": "윤신희", "limit": 20}).json()
        assert people["records"][0]["phone"] == "8073-8365" and people["records"][0]["citation"]["text"]

        dated, is_error, _ = await call(server_url, "schedules", {"date_from": "2024-03-01", "date_to": "2024-03-31"})
        assert not is_error and dated["count"] > 0
        assert dated == client.get("/v1/schedules", params={"from": "2024-03-01", "to": "2024-03-31",
                                                            "limit": 20}).json()

        listed, is_error, _ = await call(server_url, "documents", {})
        assert not is_error
        assert listed == client.get("/v1/documents").json()


@pytest.mark.parametrize(("tool", "arguments", "reason"), [
    ("ask", {"question": "   "}, "question"),
    ("ask", {"question": "가" * 5000}, "question"),
    ("schedules", {"date_from": "2024-13-01"}, "YYYY-MM-DD"),
    ("search", {"query": "학술행사", "top_k": 0}, "top_k"),
])
async def test_bad_arguments_are_tool_errors_with_the_reason(server_url, tool, arguments, reason):
    result, is_error, text = await call(server_url, tool, arguments)
    assert is_error and reason in text, text
    assert "Traceback" not in text


async def test_an_unknown_document_resource_is_an_error_not_a_crash(server_url):
    async with streamable_http_client(f"{server_url}/mcp") as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            with pytest.raises(Exception) as raised:
                await session.read_resource("assistant://documents/no-such-document")
    assert "no-such-document" in str(raised.value) or "not found" in str(raised.value).lower()


def test_mcp_is_under_the_rate_limit_and_body_cap(server_url):
    with httpx.Client(base_url=server_url, timeout=60) as client:
        response = client.post("/mcp", content=b"{" + b" " * (70 * 1024) + b"}",
                               headers={"Content-Type": "application/json", "Accept": "application/json"})
    assert response.status_code == 413

"""The assistant as a Model Context Protocol server, at ``/mcp`` on the same app (streamable HTTP transport).

Tools ``search``, ``ask``, ``contacts``, ``schedules`` and ``documents`` return the same bodies as the
HTTP routes (each with its citations), built by the same code from the same loaded index, so an agent
and a web client never disagree. Every document is a resource, ``assistant://documents/{doc_id}``:
its normalized text, the text the citations' offsets point into.

The server is stateless (``stateless_http``): no MCP session lives in a worker's memory, so any worker
or replica may answer any request, like the rest of the API. It is built with the official SDK; the
tool functions are plain functions over the FastAPI app's state, which the SDK runs in a thread.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field, ValidationError

from assistant import __version__
from assistant.api.routers.ask import SESSION_PREFIX
from assistant.api.routers.facts import ScheduleFilter, contacts_response, schedules_response
from assistant.api.schemas import (
    AnswerResponse,
    AskRequest,
    DocumentsResponse,
    DocumentSummary,
    SearchRequest,
    SearchResponse,
    SearchResult,
)
from assistant.api.schemas.facts import MAX_LIMIT, MAX_QUERY_CHARS, ContactsResponse, SchedulesResponse
from assistant.service import QuestionError

MCP_PATH = "/mcp"
DOCUMENT_URI = "assistant://documents/{doc_id}"
# the API's and the MCP tool's follow-up sessions are apart: an agent cannot write into an API client's context
MCP_SESSION_PREFIX = "mcp:"

INSTRUCTIONS = (
    "Answers questions about Korean public-sector plan documents (계획 문서) with numbered citations that quote "
    "the documents verbatim. Use `ask` for a question in Korean, `search` for ranked evidence, `contacts` for "
    "who runs a program and their phone number, `schedules` for dated items and deadlines, `documents` for what "
    "is indexed. Quote the citations' text when you relay an answer; say so when `abstained` is true."
)


class ToolInputError(ToolError):
    """A tool argument the HTTP API would refuse with a 422: the agent gets the reason as a tool error (the SDK
    shows the message of a ``ToolError`` only; any other exception becomes a bare "Error executing tool")."""


def _checked(model, **values):
    try:
        return model(**values)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ToolInputError(reasons) from None


def build_mcp_server(app: FastAPI) -> MCPServer:
    """The MCP server over ``app.state.assistant`` (read at each call: a re-index swaps it)."""
    server = MCPServer("plan-documents-assistant", version=__version__, instructions=INSTRUCTIONS)

    def index():
        return app.state.assistant.index  # one snapshot per call, even if a re-index lands meanwhile

    @server.tool(description="Answer a question about the plan documents: a short answer with [n] markers, the "
                             "numbered citations (verbatim quotes) and the span of each quote that supports it.")
    def ask(
        question: Annotated[str, Field(description="the question, in Korean (e.g. 학술행사 담당자 전화번호)")],
        session_id: Annotated[str | None, Field(description="reuse to ask follow-up questions (그 사업 예산은?)")] = None,
    ) -> AnswerResponse:
        body = _checked(AskRequest, question=question, session_id=session_id)
        session = f"{MCP_SESSION_PREFIX}{SESSION_PREFIX}{body.session_id}" if body.session_id else None
        try:
            return app.state.assistant.ask(body.question, session_id=session)
        except QuestionError as exc:
            raise ToolInputError(f"question: {exc}") from None

    @server.tool(description="Ranked evidence for a query: verbatim passages of the documents with their title, "
                             "section and location, best first.")
    def search(
        query: Annotated[str, Field(description="words or a question")],
        top_k: Annotated[int, Field(ge=1, le=50, description="passages returned")] = 5,
    ) -> SearchResponse:
        body = _checked(SearchRequest, query=query, top_k=top_k)
        hits = app.state.assistant.search(body.query, k=body.top_k)
        return SearchResponse(results=[
            SearchResult(rank=h.rank, doc=h.chunk.doc_id, title=h.chunk.doc_title, section=h.chunk.section,
                         text=h.chunk.quote, score=round(h.score, 4), chunk_id=h.chunk.chunk_id,
                         kind=h.chunk.kind.value, location=h.chunk.location)
            for h in hits
        ])

    @server.tool(description="Contacts read from the documents (program, department, role, name, phone), each "
                             "with the line it was read from. Filter by any word: a program, a name, a unit.")
    def contacts(
        q: Annotated[str | None, Field(max_length=MAX_QUERY_CHARS, description="words the record contains")] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 20,
    ) -> ContactsResponse:
        return contacts_response(index(), q, limit)

    @server.tool(description="Dated items and deadlines read from the documents, by date, each with its source "
                             "line. Dates are YYYY-MM-DD; items overlapping [date_from, date_to] are returned.")
    def schedules(
        date_from: Annotated[str | None, Field(max_length=40, description="YYYY-MM-DD")] = None,
        date_to: Annotated[str | None, Field(max_length=40, description="YYYY-MM-DD")] = None,
        q: Annotated[str | None, Field(max_length=MAX_QUERY_CHARS, description="words the item mentions")] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 20,
    ) -> SchedulesResponse:
        try:
            where = ScheduleFilter(date_from, date_to, q)
        except RequestValidationError as exc:  # the route's 422: its reason, as a tool error
            raise ToolInputError("; ".join(str(e.get("msg", "")) for e in exc.errors())) from None
        return schedules_response(index(), where, limit)

    @server.tool(description="The indexed documents: id, title, organization, year, format and chunk count. "
                             "Read a document's text as the resource assistant://documents/{doc_id}.")
    def documents() -> DocumentsResponse:
        loaded = index()
        counts = Counter(c.doc_id for c in loaded.chunks)
        return DocumentsResponse(documents=[
            DocumentSummary(**{k: doc[k] for k in ("doc_id", "title", "organization", "year", "source_format")},
                            chunks=counts[doc_id])
            for doc_id, doc in loaded.documents.items()
        ])

    @server.resource("assistant://documents", name="documents", mime_type="application/json",
                     description="the indexed documents, as the tool `documents` lists them")
    def document_list() -> str:
        return documents().model_dump_json()

    @server.resource(DOCUMENT_URI, name="document", mime_type="text/plain",
                     description="a document's normalized text: the text citations quote, at their offsets")
    def document_text(doc_id: str) -> str:
        doc = index().documents.get(doc_id)
        if doc is None:
            raise ResourceNotFoundError(f"no document {json.dumps(doc_id, ensure_ascii=False)}")
        return doc["text"]

    return server


def mount_mcp(app: FastAPI, host: str, behind_proxy: bool) -> MCPServer:
    """Mount the MCP endpoint at /mcp; the caller runs ``server.session_manager.run()`` in the app's lifespan.

    The SDK guards a server on localhost against DNS rebinding (a web page making the browser call it) by
    checking the Host header. Behind a reverse proxy (``ASSISTANT_TRUSTED_PROXIES``) or on a public address
    the Host is the public name, which that check would refuse, so it is off there: the proxy is the boundary.
    """
    server = build_mcp_server(app)
    local = host in ("127.0.0.1", "localhost", "::1") and not behind_proxy
    security = None if local else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    mcp_app = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
                                         transport_security=security, host=host)
    # its route, not a mount: a Mount at /mcp would not match "/mcp" itself, the URL clients are given
    app.router.routes.extend(mcp_app.routes)
    return server

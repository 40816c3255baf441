"""GET /v1/contacts, /v1/schedules, /v1/projects: the fact records extracted at ingest, each with its citation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from assistant.api.schemas.facts import (
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    ContactOut,
    ContactsResponse,
    FactCitation,
    ProjectOut,
    ProjectsResponse,
    ScheduleOut,
    SchedulesResponse,
)
from assistant.facts.query import DateRangeError, find_contacts, find_projects, find_schedules, parse_date_range
from assistant.service import LoadedIndex

router = APIRouter(prefix="/v1", tags=["facts"])

QueryText = Annotated[str | None, Query(max_length=MAX_QUERY_CHARS,
                                        description="words the record must contain (spaces ignored)")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="records returned at most; `count` gives them all")]


def _citation(index: LoadedIndex, record) -> FactCitation:
    # the text /v1/documents/{doc} serves, so a client can find the quote at its offsets
    text = index.documents[record.doc_id]["text"][record.start:record.end]
    return FactCitation(doc=record.doc_id, title=record.doc_title, section=record.section, text=text,
                        chunk_id=record.chunk_id, start=record.start, end=record.end)


@router.get("/contacts", response_model=ContactsResponse, summary="Contacts (program, role, name, phone) with sources")
def contacts(request: Request, q: QueryText = None, limit: Limit = 100) -> ContactsResponse:
    index = request.app.state.assistant.index  # one snapshot, even if a re-index lands meanwhile
    found = find_contacts(index.contact_records, q)
    return ContactsResponse(count=len(found), records=[
        ContactOut(organization=r.organization, department=r.department, program=r.program, role=r.role, name=r.name,
                   name_as_written=r.name_as_written, phone=r.phone, phone_as_written=r.phone_as_written,
                   citation=_citation(index, r))
        for r in found[:limit]
    ])


@router.get("/schedules", response_model=SchedulesResponse, summary="Dated items overlapping a date range, by date")
def schedules(
    request: Request,
    date_from: Annotated[str | None, Query(alias="from", max_length=40, description="YYYY-MM-DD: items ending on "
                                           "or after")] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=40, description="YYYY-MM-DD: items starting on "
                                         "or before")] = None,
    q: QueryText = None,
    limit: Limit = 100,
) -> SchedulesResponse:
    try:
        low, high = parse_date_range(date_from, date_to)
    except DateRangeError as exc:
        # a 422 in the shape FastAPI documents for 422 (HTTPValidationError), naming the bad parameter
        where = ("query", exc.field) if exc.field in ("from", "to") else ("query",)
        raise RequestValidationError([{"loc": where, "msg": str(exc), "type": "value_error"}]) from None
    index = request.app.state.assistant.index
    found = find_schedules(index.schedules, q, low, high)
    return SchedulesResponse(count=len(found), records=[
        ScheduleOut(what=r.what, when=r.when, start_date=r.start_date, end_date=r.end_date, precision=r.precision,
                    iso=r.iso, year_inferred=r.year_inferred, citation=_citation(index, r))
        for r in found[:limit]
    ])


@router.get("/projects", response_model=ProjectsResponse, summary="Programs: owning unit, period, budget, purpose")
def projects(request: Request, q: QueryText = None, limit: Limit = 100) -> ProjectsResponse:
    index = request.app.state.assistant.index
    found = find_projects(index.projects, q)
    return ProjectsResponse(count=len(found), records=[
        ProjectOut(name=r.name, unit=r.unit, period=r.period, period_iso=r.period_iso, budget=r.budget,
                   purpose=r.purpose, citation=_citation(index, r))
        for r in found[:limit]
    ])

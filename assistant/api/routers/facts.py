"""GET /v1/contacts, /v1/schedules, /v1/projects: the fact records extracted at ingest, each with its citation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

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
from assistant.facts.exports import contacts_csv, schedules_csv, schedules_ics
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
    return contacts_response(request.app.state.assistant.index, q, limit)  # one snapshot, even during a re-index


def contacts_response(index: LoadedIndex, q: str | None = None, limit: int = 100) -> ContactsResponse:
    """The body of /v1/contacts (also the MCP tool ``contacts``)."""
    found = find_contacts(index.contact_records, q)
    return ContactsResponse(count=len(found), records=[
        ContactOut(organization=r.organization, department=r.department, program=r.program, role=r.role, name=r.name,
                   name_as_written=r.name_as_written, phone=r.phone, phone_as_written=r.phone_as_written,
                   citation=_citation(index, r))
        for r in found[:limit]
    ])


@router.get("/contacts.csv", response_class=Response, summary="The contacts as CSV (UTF-8 with BOM, for spreadsheets)",
            responses={200: {"content": {"text/csv": {}}, "description": "one row per contact, source line included"}})
def contacts_as_csv(request: Request, q: QueryText = None) -> Response:
    found = find_contacts(request.app.state.assistant.index.contact_records, q)
    return _download(contacts_csv(found), "text/csv; charset=utf-8", "contacts.csv")


class ScheduleFilter:
    """The filters /v1/schedules, /v1/schedules.ics and /v1/schedules.csv share."""

    def __init__(
        self,
        date_from: Annotated[str | None, Query(alias="from", max_length=40, description="YYYY-MM-DD: items ending on "
                                               "or after")] = None,
        date_to: Annotated[str | None, Query(alias="to", max_length=40, description="YYYY-MM-DD: items starting on "
                                             "or before")] = None,
        q: QueryText = None,
    ) -> None:
        try:
            self.low, self.high = parse_date_range(date_from, date_to)
        except DateRangeError as exc:
            # a 422 in the shape FastAPI documents for 422 (HTTPValidationError), naming the bad parameter
            where = ("query", exc.field) if exc.field in ("from", "to") else ("query",)
            raise RequestValidationError([{"loc": where, "msg": str(exc), "type": "value_error"}]) from None
        self.q = q

    def apply(self, index: LoadedIndex) -> list:
        return find_schedules(index.schedules, self.q, self.low, self.high)


@router.get("/schedules", response_model=SchedulesResponse, summary="Dated items overlapping a date range, by date")
def schedules(request: Request, where: Annotated[ScheduleFilter, Depends()], limit: Limit = 100) -> SchedulesResponse:
    return schedules_response(request.app.state.assistant.index, where, limit)


def schedules_response(index: LoadedIndex, where: ScheduleFilter, limit: int = 100) -> SchedulesResponse:
    """The body of /v1/schedules (also the MCP tool ``schedules``)."""
    found = where.apply(index)
    return SchedulesResponse(count=len(found), records=[
        ScheduleOut(what=r.what, when=r.when, start_date=r.start_date, end_date=r.end_date, precision=r.precision,
                    iso=r.iso, year_inferred=r.year_inferred, citation=_citation(index, r))
        for r in found[:limit]
    ])


@router.get("/schedules.ics", response_class=Response,
            summary="The dated items as an iCalendar feed (RFC 5545) to subscribe to; same filters as /v1/schedules",
            responses={200: {"content": {"text/calendar": {}}, "description": "one event per dated item, with a "
                             "UID that stays the same across index builds"}})
def schedules_as_ics(request: Request, where: Annotated[ScheduleFilter, Depends()]) -> Response:
    index = request.app.state.assistant.index
    return _download(schedules_ics(where.apply(index), index.documents), "text/calendar; charset=utf-8",
                     "schedules.ics", inline=True)


@router.get("/schedules.csv", response_class=Response, summary="The dated items as CSV (UTF-8 with BOM); same "
            "filters as /v1/schedules", responses={200: {"content": {"text/csv": {}}, "description": "one row per "
                                                                                                   "dated item"}})
def schedules_as_csv(request: Request, where: Annotated[ScheduleFilter, Depends()]) -> Response:
    return _download(schedules_csv(where.apply(request.app.state.assistant.index)), "text/csv; charset=utf-8",
                     "schedules.csv")


def _download(body: bytes, media_type: str, filename: str, inline: bool = False) -> Response:
    # a calendar feed opens in the calendar app (inline); a CSV is saved as a file
    disposition = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/projects", response_model=ProjectsResponse, summary="Programs: owning unit, period, budget, purpose")
def projects(request: Request, q: QueryText = None, limit: Limit = 100) -> ProjectsResponse:
    index = request.app.state.assistant.index
    found = find_projects(index.projects, q)
    return ProjectsResponse(count=len(found), records=[
        ProjectOut(name=r.name, unit=r.unit, period=r.period, period_iso=r.period_iso, budget=r.budget,
                   purpose=r.purpose, citation=_citation(index, r))
        for r in found[:limit]
    ])

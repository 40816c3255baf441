"""Bodies of GET /v1/contacts, /v1/schedules and /v1/projects: each record's fields and the text it was read from."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_QUERY_CHARS = 200
MAX_LIMIT = 1000


class FactCitation(BaseModel):
    """Where a record was read: the exact span of the document's normalized text (see /v1/documents/{doc})."""

    doc: str
    title: str
    section: str
    text: str = Field(description="verbatim source text: document text[start:end]")
    chunk_id: str
    start: int
    end: int


class ContactOut(BaseModel):
    organization: str
    department: str
    program: str = Field(description="the program page the contact closes")
    role: str
    name: str = Field(description="spaces removed: 이성호")
    name_as_written: str
    phone: str = Field(description="spaces removed: 940-4230")
    phone_as_written: str
    citation: FactCitation


class ScheduleOut(BaseModel):
    what: str
    when: str = Field(description="the date as written")
    start_date: str
    end_date: str
    precision: str = Field(description="day, month or year")
    iso: str
    year_inferred: bool = Field(description="the line does not state the year; it was taken from its section")
    citation: FactCitation


class ProjectOut(BaseModel):
    name: str
    unit: str
    period: str = Field(description="as written; empty when the text gives none")
    period_iso: str
    budget: str = Field(description="as written; empty when the text gives none")
    purpose: str
    citation: FactCitation


class ContactsResponse(BaseModel):
    count: int = Field(description="records matching the query (records holds at most `limit` of them)")
    records: list[ContactOut]


class SchedulesResponse(BaseModel):
    count: int = Field(description="records matching the query and dates (records holds at most `limit` of them)")
    records: list[ScheduleOut]


class ProjectsResponse(BaseModel):
    count: int = Field(description="records matching the query (records holds at most `limit` of them)")
    records: list[ProjectOut]

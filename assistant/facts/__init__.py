"""Structured facts extracted at ingest, each tied to the chunk and span it came from."""

from assistant.facts.contacts import ContactRecord, extract_contacts
from assistant.facts.projects import ProjectRecord, extract_projects
from assistant.facts.schedules import ScheduleRecord, extract_schedules

__all__ = ["ContactRecord", "ProjectRecord", "ScheduleRecord", "extract_contacts", "extract_projects",
           "extract_schedules"]

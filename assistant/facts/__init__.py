"""Structured facts extracted at ingest, each tied to the chunk and span it came from."""

from assistant.facts.contacts import ContactRecord, extract_contacts
from assistant.facts.schedules import ScheduleRecord, extract_schedules

__all__ = ["ContactRecord", "ScheduleRecord", "extract_contacts", "extract_schedules"]

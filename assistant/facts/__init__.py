"""Structured facts extracted at ingest, each tied to the chunk and span it came from."""

from assistant.facts.contacts import ContactRecord, extract_contacts

__all__ = ["ContactRecord", "extract_contacts"]

"""Stage 6: the HTTP API over the assistant."""

from assistant.api.app import create_app

__all__ = ["create_app"]

"""Stage 7: the Gradio web chat, mounted on the API's FastAPI app at / (to be filled in)."""

from __future__ import annotations

from fastapi import FastAPI

from assistant.settings import Settings


def mount_ui(app: FastAPI, settings: Settings) -> FastAPI:
    """Mount the web UI at / and return the app."""
    return app

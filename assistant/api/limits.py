"""Middleware every route goes through: body size cap, rate limit, CORS, Prometheus metrics (to be filled in)."""

from __future__ import annotations

from fastapi import FastAPI

from assistant.settings import Settings


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Add the limits and the metrics to the app."""

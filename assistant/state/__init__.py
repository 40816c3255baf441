"""Shared state behind one interface: see base.py for the contract, ``open_store`` for the URLs."""

from __future__ import annotations

from assistant.state.base import INDEX_VERSION, StateStore, StoreUnavailable


def open_store(url: str) -> StateStore:
    """The store a ``state_store`` setting names: ``memory``, ``sqlite:///abs/path.db``, ``sqlite:rel/path.db``,
    ``redis://host:port/db`` (or ``rediss://``). A store that cannot be reached raises ``StoreUnavailable`` here,
    at start, not at the first request."""
    if url == "memory":
        from assistant.state.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite:"):
        from assistant.state.sqlite import SQLiteStore

        return SQLiteStore(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from assistant.state.redis import RedisStore

        return RedisStore(url)
    raise ValueError(f"unknown state store {url!r}: use 'memory', 'sqlite:///path.db' or 'redis://host:port/db'")


__all__ = ["INDEX_VERSION", "StateStore", "StoreUnavailable", "open_store"]

"""Every server process follows the index on disk: when another process or replica rebuilt it, this one reloads.

The index folder's ``current/`` is swapped in whole by a build (assistant/index/store.py), so a manifest whose
``built_at`` differs from the loaded one is a complete new index: that alone triggers the reload, whoever built it
(an admin re-index on another worker, ``assistant ingest`` on the command line). The version published in the state
store says which index the last admin re-index of any replica built; when it names an index this replica's folder
does not have, the replicas do not share the folder, and a warning says so (nothing else could be done here: this
replica would have to build it itself).
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.index.store import IndexStore
from assistant.settings import Settings
from assistant.state.base import INDEX_VERSION, OutageLog, StateStore, StoreUnavailable

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger("assistant.index_watch")


def built_at_on_disk(index_dir: Path) -> str | None:
    """The ``built_at`` of the index in ``index_dir``, or None while there is none (or it is being swapped)."""
    try:
        return str(IndexStore(index_dir).manifest().get("built_at", ""))
    except Exception:  # noqa: BLE001 - missing, half-swapped or damaged: look again at the next poll
        return None


def publish_index_version(store: StateStore, index_dir: Path) -> str | None:
    """Record the index now in ``index_dir`` as the deployment's current one; its ``built_at``."""
    built_at = built_at_on_disk(index_dir)
    if built_at:
        store.set_value(INDEX_VERSION, built_at)
    return built_at


class IndexWatch:
    """Polls in a daemon thread; holds the assistant weakly, so an app that is gone ends its watch."""

    def __init__(self, assistant: Assistant, store: StateStore, index_dir: Path, every_seconds: float) -> None:
        self._assistant = weakref.ref(assistant)
        self.store = store
        self.index_dir = Path(index_dir)
        self.every = every_seconds
        self.reloads = 0
        self._stop = threading.Event()
        self._outage = OutageLog(log)
        self._warned_about: str | None = None
        self._thread = threading.Thread(target=self._run, name="index-watch", daemon=True)

    def start(self) -> IndexWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> bool:
        """One look: reload when the index on disk is not the one loaded. True when it reloaded."""
        assistant = self._assistant()
        if assistant is None:
            self._stop.set()
            return False
        loaded = assistant.index.built_at
        on_disk = built_at_on_disk(self.index_dir)
        try:
            published = self.store.get_value(INDEX_VERSION)
        except StoreUnavailable as exc:
            self._outage.warn("index version unavailable in the state store", exc)
            published = None
        if published and published not in (loaded, on_disk) and published != self._warned_about:
            self._warned_about = published
            log.warning("the index built at %s by another replica is not in %s (it has %s): do the replicas share "
                        "the index folder?", published, self.index_dir, on_disk)
        if on_disk is None or on_disk == loaded:
            return False
        try:
            assistant.reload()
        except Exception:  # noqa: BLE001 - the old index keeps serving; the next poll tries again
            log.exception("reloading the index built at %s failed", on_disk)
            return False
        self.reloads += 1
        log.info("reloaded the index built at %s (was %s)", on_disk, loaded)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.check()


def start_index_watch(assistant: Assistant, settings: Settings) -> IndexWatch | None:
    """Watch ``settings.index_dir`` for ``assistant`` every ``index_poll_seconds`` (None when that is 0)."""
    if settings.index_poll_seconds <= 0:
        return None
    return IndexWatch(assistant, assistant.sessions.store, settings.index_dir, settings.index_poll_seconds).start()

"""Building the index in a background thread while the old one (or a lexical one) keeps serving."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.index.build import ingest
from assistant.index.store import BuildLock
from assistant.settings import Settings
from assistant.state import StateStore, StoreUnavailable, open_store
from assistant.state.index_watch import publish_index_version

log = logging.getLogger("assistant.index")


@dataclass
class BuildStatus:
    state: str = "idle"  # idle | building | done | failed
    started: float | None = None
    finished: float | None = None
    embedded: int = 0  # chunks embedded so far in this build
    chunks: int | None = None
    error: str | None = None
    runs: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


class BackgroundIngest:
    """One full ingest at a time in a daemon thread; ``on_done`` runs after a build succeeded (e.g. reload), then
    the new index's ``built_at`` is published in the state store, for the other workers and replicas."""

    def __init__(self, settings: Settings, on_done: Callable[[], None], paths: list[Path] | None = None,
                 store: StateStore | None = None) -> None:
        self.settings = settings
        self.store = store
        self.paths = paths or [settings.corpus_dir]
        self.on_done = on_done
        self.status = BuildStatus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start a build; False when one is already running, here or in another process sharing the index folder
        (another worker or replica that took the same reindex request, or ``assistant ingest``)."""
        with self._lock:
            if self.running:
                return False
            build_lock = BuildLock(self.settings.index_dir)
            if not build_lock.acquire(blocking=False):
                return False
            self.status = BuildStatus(state="building", started=time.time(), runs=self.status.runs + 1)
            self._thread = threading.Thread(target=self._run, args=(build_lock,), name="background-ingest",
                                            daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> bool:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.running

    def _progress(self, count: int) -> None:
        self.status.embedded += count

    def _run(self, build_lock: BuildLock) -> None:
        try:
            report = ingest(self.paths, self.settings, on_embedded=self._progress, build_lock=build_lock)
            if not report.documents:
                raise RuntimeError("no document could be indexed; the previous index is unchanged")
            self.status.chunks = report.chunk_count
            self.on_done()
            self.status.state = "done"  # right after the swap: /healthz shows the new index and "done" together
            self._publish()
        except Exception as exc:  # noqa: BLE001 - the server keeps serving the old index and reports the failure
            log.exception("background ingest failed")
            self.status.state, self.status.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            build_lock.release()
            self.status.finished = time.time()

    def _publish(self) -> None:
        """Tell the other processes which index is current; they reload from the folder (assistant/state/
        index_watch.py watches it anyway, so a store that fails costs only the record, logged)."""
        store = self.store
        try:
            store = store or open_store(self.settings.state_store)
            publish_index_version(store, self.settings.index_dir)
        except StoreUnavailable as exc:
            log.warning("could not publish the new index version: %s", exc)
        finally:
            if store is not None and store is not self.store:
                store.close()

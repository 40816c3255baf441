"""A server process picks up an index another process rebuilt: the admin re-index publishes the version, every
process's watch reloads from the index folder."""

from __future__ import annotations

import shutil
import time

from conftest import CORPUS, ROOT

from assistant.index.background import BackgroundIngest
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.state import INDEX_VERSION, open_store
from assistant.state.index_watch import IndexWatch, built_at_on_disk


def test_a_rebuild_by_one_process_is_published_and_loaded_by_the_others(corpus_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(corpus_index, index_dir)
    settings = Settings(index_dir=index_dir, corpus_dir=CORPUS, cache_dir=ROOT / "index" / "cache",
                        state_store=f"sqlite:///{tmp_path / 'state.db'}")
    builder_side, other_side = Assistant(settings), Assistant(settings)  # two workers over one folder and store
    watch = IndexWatch(other_side, other_side.sessions.store, index_dir, every_seconds=3600)
    before = other_side.index.built_at
    assert watch.check() is False  # nothing changed: no reload

    time.sleep(1.1)  # built_at counts seconds: the rebuild must get a value of its own
    build = BackgroundIngest(settings, on_done=builder_side.reload)
    assert build.start() and build.wait(600)
    assert build.status.state == "done", build.status

    rebuilt = built_at_on_disk(index_dir)
    assert rebuilt != before and builder_side.index.built_at == rebuilt
    assert open_store(settings.state_store).get_value(INDEX_VERSION) == rebuilt  # published for the replicas
    assert other_side.index.built_at == before  # not yet looked
    assert watch.check() is True and other_side.index.built_at == rebuilt
    assert watch.check() is False and watch.reloads == 1


def test_a_watch_ends_with_its_assistant(corpus_index):
    import gc

    assistant = Assistant(Settings(index_dir=corpus_index))
    watch = IndexWatch(assistant, assistant.sessions.store, corpus_index, every_seconds=3600)
    del assistant
    gc.collect()
    assert watch.check() is False and watch._stop.is_set()

"""Every state store backend against the same contract: sessions, token buckets, named values.

The backends are real: a dictionary, a SQLite file, a redis-server process. Times are passed in (``now``), so no
assertion depends on how fast the machine is.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import free_port
from state.redis_process import redis_server

from assistant.answering.sessions import SessionMemory, session_owner
from assistant.state import INDEX_VERSION, StoreUnavailable, open_store
from assistant.state.sqlite import sqlite_path

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["memory", "sqlite", "redis"]
SHARED = ["sqlite", "redis"]  # several processes see the same state
_redis_db = itertools.count(1)


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as (url, _):
        yield url


@pytest.fixture
def store_url(request, tmp_path):
    """A fresh, empty store of the backend named by the parameter."""
    kind = request.param
    if kind == "memory":
        return "memory"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url = request.getfixturevalue("redis_url")
    db = next(_redis_db) % 16  # redis has 16 databases: each test its own, flushed
    store = open_store(url.rsplit("/", 1)[0] + f"/{db}")
    store._client.flushdb()
    store.close()
    return url.rsplit("/", 1)[0] + f"/{db}"


@pytest.fixture
def store(store_url):
    opened = open_store(store_url)
    yield opened
    opened.close()


def put(store, key, namespace, now, value=None, ttl=60.0, per_namespace=100, total=1000):
    store.put_session(key, value or f"value of {key}", namespace=namespace, now=now, ttl_seconds=ttl,
                      max_per_namespace=per_namespace, max_total=total)


# sessions


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_session_is_read_back_until_it_expires(store):
    assert store.get_session("nobody", now=100.0) is None
    put(store, "s", "ns", now=100.0, value='{"question": "학술행사"}', ttl=10.0)
    assert store.get_session("s", now=109.0) == '{"question": "학술행사"}'
    assert store.get_session("s", now=110.5) is None
    assert store.get_session("s", now=109.0) in (None, '{"question": "학술행사"}')  # gone or not: never an error


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_rewriting_a_session_replaces_it_and_renews_its_age(store):
    put(store, "s", "ns", now=100.0, value="first", ttl=10.0)
    put(store, "s", "ns", now=108.0, value="second", ttl=10.0)
    assert store.get_session("s", now=115.0) == "second"
    assert store.session_count() == 1


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_client_filling_sessions_evicts_only_its_own_oldest(store):
    put(store, "other-client", "b", now=1.0, per_namespace=3)
    for i in range(10):
        put(store, f"flood-{i}", "a", now=2.0 + i, per_namespace=3)
    assert store.get_session("other-client", now=20.0) == "value of other-client"
    kept = [i for i in range(10) if store.get_session(f"flood-{i}", now=20.0) is not None]
    assert kept == [7, 8, 9]


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_the_least_recently_written_session_of_a_namespace_goes_first(store):
    for i, key in enumerate(("a1", "a2", "a3")):
        put(store, key, "a", now=float(i), per_namespace=3)
    put(store, "a1", "a", now=5.0, per_namespace=3)  # written again: now the newest
    put(store, "a4", "a", now=6.0, per_namespace=3)
    assert [k for k in ("a1", "a2", "a3", "a4") if store.get_session(k, now=7.0)] == ["a1", "a3", "a4"]


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_session_counts_against_whoever_wrote_it_last(store):
    put(store, "moved", "a", now=1.0, per_namespace=2)
    put(store, "moved", "b", now=2.0, per_namespace=2)  # now b's
    put(store, "a-1", "a", now=3.0, per_namespace=2)
    put(store, "a-2", "a", now=4.0, per_namespace=2)
    put(store, "a-3", "a", now=5.0, per_namespace=2)
    assert store.get_session("moved", now=6.0) == "value of moved"  # a's evictions do not touch it
    assert store.get_session("a-1", now=6.0) is None


@pytest.mark.parametrize("store_url", ["memory", "sqlite"], indirect=True)
def test_over_the_total_the_largest_namespace_gives_way(store):
    for i in range(3):
        put(store, f"big-{i}", "big", now=10.0 + i, total=4)
    put(store, "small-0", "small", now=1.0, total=4)  # the oldest of all, but its client holds one session
    put(store, "newcomer", "new", now=20.0, total=4)
    assert store.session_count() == 4
    assert store.get_session("small-0", now=21.0) is not None
    assert store.get_session("big-0", now=21.0) is None and store.get_session("big-1", now=21.0) is not None


# token buckets


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_bucket_gives_its_capacity_then_one_token_per_refill(store):
    waits = [store.take_token("client", 3.0, 1.0, now=1000.0) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(1.0)
    assert store.take_token("client", 3.0, 1.0, now=1001.0) == 0.0  # a token came back
    assert store.take_token("client", 3.0, 1.0, now=1001.0) == pytest.approx(1.0)
    assert store.take_token("another", 3.0, 1.0, now=1001.0) == 0.0  # buckets are per key


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_bucket_refills_to_its_capacity_and_not_beyond(store):
    for _ in range(2):
        store.take_token("c", 2.0, 1.0, now=0.0)
    waits = [store.take_token("c", 2.0, 1.0, now=500.0) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0] and waits[2] > 0


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_a_clock_behind_gives_no_tokens_back(store):
    for _ in range(2):
        store.take_token("c", 2.0, 1.0, now=100.0)
    assert store.take_token("c", 2.0, 1.0, now=90.0) > 0  # another machine's clock, ten seconds behind


# named values


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_named_values(store):
    assert store.get_value(INDEX_VERSION) is None
    store.set_value(INDEX_VERSION, "2026-12-01T10:13:00+0000")
    store.set_value(INDEX_VERSION, "2026-12-01T11:00:00+0000")
    assert store.get_value(INDEX_VERSION) == "2026-12-01T11:00:00+0000"


# sharing between processes


@pytest.mark.parametrize("store_url", SHARED, indirect=True)
def test_two_connections_share_sessions_buckets_and_values(store, store_url):
    other = open_store(store_url)
    try:
        put(store, "s", "ns", now=1.0, value="turn")
        store.set_value("v", "x")
        store.take_token("b", 1.0, 0.001, now=1.0)
        assert other.get_session("s", now=2.0) == "turn" and other.get_value("v") == "x"
        assert other.take_token("b", 1.0, 0.001, now=1.0) > 0  # the one token was taken through the other
    finally:
        other.close()


TAKER = textwrap.dedent("""
    import sys, time
    from assistant.state import open_store
    store = open_store(sys.argv[1])
    print(sum(store.take_token("shared", float(sys.argv[2]), 1e-9, time.time()) == 0 for _ in range(int(sys.argv[3]))))
""")


@pytest.mark.parametrize("store_url", SHARED, indirect=True)
def test_processes_taking_from_one_bucket_never_take_more_than_it_holds(store_url):
    capacity, attempts, processes = 150, 200, 3
    takers = [subprocess.Popen([sys.executable, "-c", TAKER, store_url, str(capacity), str(attempts)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    taken = []
    for taker in takers:
        out, _ = taker.communicate(timeout=120)
        assert taker.returncode == 0
        taken.append(int(out))
    assert sum(taken) == capacity, taken  # no token taken twice, none lost (the refill is a token per 30 years)


# opening and failing


def test_an_unreachable_redis_is_a_clear_error_at_start():
    url = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    with pytest.raises(StoreUnavailable, match=f"cannot reach the Redis state store {url}"):
        open_store(url)


def test_a_redis_password_is_not_repeated_in_errors():
    with pytest.raises(StoreUnavailable) as raised:
        open_store(f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0")
    assert "s3cret-pass" not in str(raised.value) and "***" in str(raised.value)


def test_state_store_urls(tmp_path):
    assert sqlite_path("sqlite:///abs/state.db") == Path("/abs/state.db")
    assert sqlite_path("sqlite:var/state.db") == Path("var/state.db")
    for wrong in ("sqlite://host/state.db", "sqlite:"):
        with pytest.raises(ValueError):
            sqlite_path(wrong)
    with pytest.raises(ValueError, match="unknown state store"):
        open_store("postgres://db/state")
    with pytest.raises(StoreUnavailable, match="SQLite"):
        open_store(f"sqlite:///{tmp_path}")  # a folder, not a file


def test_when_redis_goes_away_sessions_read_as_absent_and_nothing_raises():
    with redis_server() as (url, process):
        memory = SessionMemory(store=open_store(url))
        memory.remember("s", "고양시정연구원 학술행사", "학술행사")
        assert memory.last("s").topic == "학술행사"
        process.terminate()
        process.wait(10)
        assert memory.last("s") is None
        memory.remember("s", "질문", "주제")  # dropped, with a warning in the log
        assert len(memory) == 0


# sessions over a store


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
def test_session_memory_bounds_each_owner_and_keeps_the_others(store):
    memory = SessionMemory(max_sessions=100, max_per_client=2, store=store)
    token = session_owner.set("198.51.100.9")
    try:
        memory.remember("quiet-user", "대전세종연구원 개원일", "개원")
    finally:
        session_owner.reset(token)
    token = session_owner.set("203.0.113.66")
    try:
        for i in range(20):
            memory.remember(f"flood-{i}", "질문", "주제")
    finally:
        session_owner.reset(token)
    assert memory.last("quiet-user").topic == "개원"
    assert [i for i in range(20) if memory.last(f"flood-{i}")] == [18, 19]


@pytest.mark.parametrize("store_url", SHARED, indirect=True)
def test_session_memory_saves_and_loads_for_the_command_line(store_url, tmp_path):
    first = SessionMemory(store=open_store(store_url))
    first.remember("cli", "경제자유구역센터는 무슨 일을 해?", "경제자유구역센터")
    first.save(tmp_path / "sessions.json")
    fresh = SessionMemory()  # the memory store of a new process
    fresh.load(tmp_path / "sessions.json")
    assert fresh.last("cli").topic == "경제자유구역센터"
    fresh.save(tmp_path / "again.json")
    assert "경제자유구역센터" in (tmp_path / "again.json").read_text(encoding="utf-8")


def test_sqlite_store_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    import sqlite3

    open_store(f"sqlite:///{tmp_path / 's.db'}").close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent: the file stays in WAL mode
    assert os.path.exists(tmp_path / "s.db")


def test_a_sqlite_store_opened_before_a_fork_works_in_the_child(tmp_path):
    """gunicorn --preload opens the app, and so the store, in the master before it forks the workers."""
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    store.take_token("b", 1.0, 1e-9, now=1.0)
    child = os.fork()
    if child == 0:  # the worker: its own connection, the same file
        try:
            ok = store.take_token("b", 1.0, 1e-9, now=1.0) > 0 and store.set_value("from", "child") is None
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.get_value("from") == "child"


def test_a_sqlite_write_waits_for_a_short_lock_and_gives_up_on_a_stuck_one(tmp_path, monkeypatch):
    """Another process holding the write lock: a write waits for it (in short steps, not SQLite's sleeps of up to
    100 ms), and a lock held past the busy timeout is StoreUnavailable, not a wait without end."""
    import sqlite3
    import threading
    import time

    from assistant.state import sqlite as sqlite_module

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.2, lambda: other.execute("COMMIT")).start()
    started = time.monotonic()
    assert store.take_token("waited", 2.0, 1.0, now=1.0) == 0  # taken once the lock was let go
    assert 0.19 < time.monotonic() - started < 0.3

    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_MS", 300)
    other.execute("BEGIN IMMEDIATE")  # and never let go
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="locked"):
        store.set_value("stuck", "x")
    assert 0.25 < time.monotonic() - started < 1.0
    assert store.get_value("stuck") is None and store.get_session("nobody", now=1.0) is None  # reads go on (WAL)
    other.execute("ROLLBACK")
    store.set_value("stuck", "x")
    assert store.get_value("stuck") == "x"
    other.close()
    store.close()


def test_sqlite_connections_of_ended_threads_are_closed(tmp_path):
    import threading

    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    for i in range(20):  # threads that come and go, as a thread pool's may
        thread = threading.Thread(target=store.set_value, args=(f"n{i}", "x"))
        thread.start()
        thread.join()
    # each thread's new connection closed those of the threads ended before it: left, this one's and the last's
    assert len(store._opened) <= 2
    assert [store.get_value(f"n{i}") for i in range(20)] == ["x"] * 20
    store.close()

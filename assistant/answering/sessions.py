"""Follow-up questions: "그 사업 담당자는?" is about the program of the previous answer.

A session keeps its last topic (the question and the section its best evidence came from). A follow-up is
recognised by a pointing word (그, 거기, 해당, 그럼 ...) or by being too short to name a topic; its retrieval query is
then the previous topic plus the new question.

Sessions live in the state store (assistant/state), so whichever worker or replica answers the follow-up finds the
turn before it. They are bounded in age (``ttl_seconds``) and in number, per client and in total:

- every session is counted in the namespace of its owner: whoever wrote it last, as the request context says
  (``session_owner``). For ``/v1/ask`` and the OpenAI chat route that is the client address the rate limit
  resolved (trusted proxies applied); for the Kakao skill, whose users all arrive from the platform's few
  addresses, it is the Kakao user, who has exactly one session; outside a request (the command line) ``local``;
- past ``max_per_client`` sessions a namespace drops its own least recently written one, so one client creating
  sessions without end only ever evicts its own follow-up context, never another client's;
- past ``max_sessions`` in all, the least recently written session of the largest namespace goes (SQLite and
  memory; on Redis the TTL bounds the total, see assistant/state/redis.py).

The session id itself stays the key: the same id from another address (a phone that changed networks) still finds
its turn. When the store fails (Redis down) a session reads as absent and a turn is not kept, with a warning in the
log: the question is still answered, as a first question.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.question.intent import CONTACT_WORDS
from assistant.retrieval.analyzer import AnalyzedText, text_of
from assistant.state import StateStore, StoreUnavailable
from assistant.state.base import OutageLog
from assistant.state.memory import MemoryStore

log = logging.getLogger("assistant.sessions")

_POINTING = re.compile(r"^(?:그럼|그러면|그리고|그건|그거|거기|그곳|저기)|(?:^|\s)(?:그|이|해당|위|같은)\s*(?:사업|센터|과제|행사|팀|부서|곳|거|기관|분)")


CLARIFY = "어떤 사업이나 기관을 말씀하시는지 알려 주세요. 예: '고양시정연구원 학술행사 담당자 연락처'"
# who the sessions written in this context count against: the client address, set for every request by the rate
# limit middleware (assistant/api/limits.py), or the Kakao user, set by the Kakao router; threads started for the
# request see it when they run in a copy of its context (Starlette's thread pool does that)
session_owner: ContextVar[str | None] = ContextVar("session_owner", default=None)


@dataclass
class Turn:
    question: str
    topic: str  # the section of the best evidence: the program talked about
    at: float


class SessionMemory:
    def __init__(self, max_sessions: int = 100_000, ttl_seconds: float = 1800.0, max_per_client: int = 1000,
                 store: StateStore | None = None) -> None:
        self.max_sessions = max_sessions
        self.max_per_client = min(max_per_client, max_sessions)
        self.ttl = ttl_seconds
        self.store = store if store is not None else MemoryStore()
        # the sessions this object wrote or loaded, for save(): the store itself is not listed
        self._known: OrderedDict[str, None] = OrderedDict()
        self._outage = OutageLog(log)

    def last(self, session_id: str | None) -> Turn | None:
        if not session_id:
            return None
        try:
            stored = self.store.get_session(session_id, time.time())
        except StoreUnavailable as exc:
            self._outage.warn("sessions unavailable, answering without the previous turn", exc)
            return None
        if stored is None:
            return None
        try:
            return Turn(**json.loads(stored))
        except (ValueError, TypeError):
            return None  # written by an incompatible version: as if there were none

    def remember(self, session_id: str | None, question: str, topic: str) -> None:
        if not session_id:
            return
        self._put(session_id, Turn(question, topic, time.time()))

    def _put(self, session_id: str, turn: Turn) -> None:
        try:
            self.store.put_session(session_id, json.dumps(asdict(turn), ensure_ascii=False),
                                   namespace=session_owner.get() or "local", now=turn.at,
                                   ttl_seconds=self.ttl, max_per_namespace=self.max_per_client,
                                   max_total=self.max_sessions)
        except StoreUnavailable as exc:
            self._outage.warn("sessions unavailable, the turn is not kept", exc)
            return
        self._known[session_id] = None
        self._known.move_to_end(session_id)
        while len(self._known) > self.max_sessions:
            self._known.popitem(last=False)

    def __len__(self) -> int:
        try:
            return self.store.session_count()
        except StoreUnavailable:
            return 0

    def save(self, path: Path) -> None:
        """For the command line, where each question is a new process: the sessions this process wrote or
        loaded, as the store has them now."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {sid: asdict(turn) for sid in self._known if (turn := self.last(sid)) is not None}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def load(self, path: Path) -> None:
        """Sessions saved by ``save``; a turn the store already has a newer one of is left as the store has it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no file, or a damaged one: start without memory
        if not isinstance(data, dict):
            return
        for sid, fields in data.items():
            try:
                turn = Turn(**fields)
            except TypeError:
                continue
            current = self.last(sid)
            if time.time() - turn.at < self.ttl and (current is None or current.at < turn.at):
                self._put(sid, turn)  # written at its own time: it expires when it would have


def points_back(question: str) -> bool:
    """그 사업, 거기, 해당 센터: the question refers to something said before."""
    return bool(_POINTING.search(question.strip()))


def is_follow_up(question: str | AnalyzedText) -> bool:
    """Points back (그 사업, 거기, 그럼 ...) or names nothing but what it wants (연락처는?)."""
    if points_back(text_of(question)):
        return True
    topic = [t for t in AnalyzedText.of(question).terms if t not in CONTACT_WORDS and len(t) > 1]
    return len(topic) == 0


def resolve(question: str | AnalyzedText, previous: Turn | None) -> str:
    """The query to retrieve with: the question, plus the previous topic when it is a follow-up.

    The question may come analysed (the question stage reads it anyway): Kiwi then does not run here."""
    text = text_of(question)
    if previous is None or not is_follow_up(question):
        return text
    return f"{previous.topic} {previous.question} {text}"

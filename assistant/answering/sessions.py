"""Follow-up questions: "그 사업 담당자는?" is about the program of the previous answer.

A session keeps its last topic (the question and the section its best evidence came from),
bounded in number of sessions and in age, so memory cannot grow without limit. A follow-up
is recognised by a pointing word (그, 거기, 해당, 그럼 ...) or by being too short to name a
topic; its retrieval query is then the previous topic plus the new question.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.question.intent import CONTACT_WORDS
from assistant.retrieval.analyzer import analyze

_POINTING = re.compile(r"^(?:그럼|그러면|그리고|그건|그거|거기|그곳|저기)|(?:^|\s)(?:그|이|해당|위|같은)\s*(?:사업|센터|과제|행사|팀|부서|곳|거|기관|분)")


CLARIFY = "어떤 사업이나 기관을 말씀하시는지 알려 주세요. 예: '고양시정연구원 학술행사 담당자 연락처'"


@dataclass
class Turn:
    question: str
    topic: str  # the section of the best evidence: the program talked about
    at: float


class SessionMemory:
    def __init__(self, max_sessions: int = 10_000, ttl_seconds: float = 1800.0) -> None:
        self.max_sessions = max_sessions
        self.ttl = ttl_seconds
        self._turns: OrderedDict[str, Turn] = OrderedDict()
        self._lock = threading.Lock()

    def last(self, session_id: str | None) -> Turn | None:
        if not session_id:
            return None
        with self._lock:
            turn = self._turns.get(session_id)
            if turn is None or time.time() - turn.at > self.ttl:
                self._turns.pop(session_id, None)
                return None
            return turn

    def remember(self, session_id: str | None, question: str, topic: str) -> None:
        if not session_id:
            return
        with self._lock:
            self._turns[session_id] = Turn(question, topic, time.time())
            self._turns.move_to_end(session_id)
            while len(self._turns) > self.max_sessions:
                self._turns.popitem(last=False)

    def __len__(self) -> int:
        return len(self._turns)

    def save(self, path: Path) -> None:
        """For the command line, where each question is a new process."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = {sid: asdict(turn) for sid, turn in self._turns.items()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    def load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no file, or a damaged one: start without memory
        for sid, turn in data.items():
            try:
                self._turns[sid] = Turn(**turn)
            except TypeError:
                continue


def points_back(question: str) -> bool:
    """그 사업, 거기, 해당 센터: the question refers to something said before."""
    return bool(_POINTING.search(question.strip()))


def is_follow_up(question: str) -> bool:
    """Points back (그 사업, 거기, 그럼 ...) or names nothing but what it wants (연락처는?)."""
    if points_back(question):
        return True
    topic = [t for t in analyze(question) if t not in CONTACT_WORDS and len(t) > 1]
    return len(topic) == 0


def resolve(question: str, previous: Turn | None) -> str:
    """The query to retrieve with: the question, plus the previous topic when it is a follow-up."""
    if previous is None or not is_follow_up(question):
        return question
    return f"{previous.topic} {previous.question} {question}"

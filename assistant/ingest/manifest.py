"""``corpus/manifest.toml``: the title, organization and year each document is cited with."""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import tomlkit.exceptions

MANIFEST_NAME = "manifest.toml"


@dataclass(frozen=True)
class DocumentInfo:
    file: str
    id: str
    title: str
    organization: str = ""
    year: str = ""
    source: str = ""


class ManifestError(ValueError):
    pass


def read_manifest(corpus_dir: Path) -> dict[str, DocumentInfo]:
    """Entries by file name; an absent manifest is an empty one."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from None
    entries: dict[str, DocumentInfo] = {}
    seen_ids: set[str] = set()
    for number, item in enumerate(data.get("documents", []), start=1):
        try:
            info = DocumentInfo(**{k: str(v) for k, v in item.items()})
        except TypeError as exc:
            raise ManifestError(f"{path}: document #{number}: {exc}") from None
        if info.id in seen_ids:
            raise ManifestError(f"{path}: document #{number}: duplicate id {info.id!r}")
        seen_ids.add(info.id)
        entries[info.file] = info
    return entries


# changing the manifest while the service runs (POST and DELETE /v1/documents, the web UI's admin tab)

MANIFEST_HEADER = ("The documents the assistant answers from.  Citations show title, organization and year.\n"
                   "`file` is the name in this folder; `source` the name it had when it was added.")
LOCK_WAIT_SECONDS = 30.0


class CorpusLock:
    """One change of a corpus folder (its files and manifest) at a time, across the processes of the machine: two
    uploads that each read the manifest, add their entry and write it back would otherwise lose one entry.

    An exclusive ``flock`` on the folder itself, as ``BuildLock`` takes on the index folder: nothing is left in
    the folder, and the kernel releases it when its holder dies. A change holds it for milliseconds.
    """

    def __init__(self, corpus_dir: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> None:
        self.path = Path(corpus_dir)
        self.wait_seconds = wait_seconds
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``wait_seconds``; raises TimeoutError after that."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TimeoutError(f"the corpus folder stayed locked by another change for "
                                       f"{self.wait_seconds:g} s") from None
                time.sleep(0.05)
            except BaseException:
                os.close(fd)
                raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CorpusLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def add_entry(corpus_dir: Path, info: DocumentInfo) -> None:
    """Append ``info`` to the manifest (created if absent), keeping its comments and layout; hold a CorpusLock.

    Raises ManifestError when the id or the file is already listed, or the manifest cannot be read.
    """
    path = corpus_dir / MANIFEST_NAME
    document = _load_toml(path)
    entries = document.setdefault("documents", tomlkit.aot())
    if not isinstance(entries, list):
        raise ManifestError(f"{path}: 'documents' is not an array of tables ([[documents]])")
    for item in entries:
        if str(item.get("id", "")) == info.id:
            raise ManifestError(f"{path}: the id {info.id!r} is already listed")
        if str(item.get("file", "")) == info.file:
            raise ManifestError(f"{path}: the file {info.file!r} is already listed")
    entry = tomlkit.table()
    for key in ("file", "id", "title", "organization", "year", "source"):
        value = getattr(info, key)
        if value or key in ("file", "id", "title"):
            entry.add(key, value)
    if len(entries):
        entry.trivia.indent = "\n"  # a blank line between entries, as the hand-written ones have
    entries.append(entry)
    write_atomically(path, _dumps(document))


def remove_entry(corpus_dir: Path, doc_id: str) -> DocumentInfo | None:
    """Take the entry with this id out of the manifest; its info, or None when there is none. Hold a CorpusLock."""
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return None
    document = _load_toml(path)
    entries = document.get("documents", [])
    if not isinstance(entries, list):
        raise ManifestError(f"{path}: 'documents' is not an array of tables ([[documents]])")
    for number, item in enumerate(entries):
        if str(item.get("id", "")) == doc_id:
            removed = read_manifest(corpus_dir)
            del entries[number]
            write_atomically(path, _dumps(document))
            return next((info for info in removed.values() if info.id == doc_id), None)
    return None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a reader sees the old file or the new one, never half of one: a hidden
    temporary file beside it (hidden files are not ingested), flushed to disk, then renamed over it. The text must
    parse as TOML first, so a manifest is never replaced by one the next build cannot read."""
    tomllib.loads(text)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dumps(document: tomlkit.TOMLDocument) -> str:
    # one line break at the end, however the entries were appended and removed: adding and then removing an entry
    # gives back the same bytes
    return tomlkit.dumps(document).rstrip("\n") + "\n"


def _load_toml(path: Path) -> tomlkit.TOMLDocument:
    if not path.exists():
        document = tomlkit.document()
        for line in MANIFEST_HEADER.splitlines():
            document.add(tomlkit.comment(line))
        document.add(tomlkit.nl())
        return document
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except (tomlkit.exceptions.TOMLKitError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from None

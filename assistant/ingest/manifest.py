"""``corpus/manifest.toml``: the title, organization and year each document is cited with."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

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

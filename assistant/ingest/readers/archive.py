"""Office formats that are zip archives (DOCX, HWPX): opened only if expanding them is safe."""

from __future__ import annotations

import io
import zipfile

from assistant.ingest.elements import UnreadableDocument

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # far above any real document, far below what fills memory
MAX_MEMBERS = 10_000  # a document has tens of parts; more is a bomb made of many small entries

def open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """Open an office zip only if expanding it cannot exhaust memory.

    The declared sizes are trustworthy enough: ``zipfile`` never returns more than a
    member's declared size and fails its CRC check if the data says otherwise.
    """
    if not data:
        raise UnreadableDocument("empty file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # BadZipFile, NotImplementedError (unknown zip version), ValueError, OSError, ...
        raise UnreadableDocument(f"not {what} (not a readable zip archive: {exc})") from exc
    if len(infos) > MAX_MEMBERS:
        raise UnreadableDocument(f"refusing zip with {len(infos)} members (zip bomb?)")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise UnreadableDocument(
            f"refusing zip that expands to {total // (1024 * 1024)} MB, over the "
            f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB limit (zip bomb?)"
        )
    return archive

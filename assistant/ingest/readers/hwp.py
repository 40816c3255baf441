"""HWP reader: Hangul's binary HWP 5.0 format (an OLE compound file of compressed record streams).

Most Korean public documents are published as .hwp.  HwpForge converts HWP 5.0 into
HWPX, the open XML form of the same document model (OWPML, KS X 6101), and the HWPX
reader reads that: a .hwp and the same document saved as .hwpx become the same
elements, paragraphs as ``Line`` and tables as ``TableElement`` with their rows.
bench/hwp_readers.py compares the readers on PyPI this choice was made from.

The FileHeader is checked here first, with olefile: a distribution document (배포용
문서) keeps its body encrypted in ``ViewText`` and a placeholder paragraph in
``BodyText``, which a converter returns as if it were the text.
"""

from __future__ import annotations

import io
import struct

import hwpforge
import olefile

from assistant.ingest.elements import Element, UnreadableDocument
from assistant.ingest.readers import hwpx

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HWP5_SIGNATURE = b"HWP Document File"
HWP3_SIGNATURE = b"HWP Document File V3"  # the pre-2002 format, a different binary layout

# FileHeader properties (HWP 5.0 spec, revision 1.3, table 3); bit 0 is "compressed"
_REFUSED_PROPERTIES = {
    1 << 1: "encrypted HWP file (password-protected): save it without a password",
    1 << 2: "distribution-protected HWP document (배포용 문서): its text is encrypted for viewing only",
    1 << 4: "DRM-protected HWP file: its text is encrypted",
    1 << 8: "encrypted HWP file (public-key certificate): its text is encrypted",
    1 << 10: "DRM-protected HWP file (public-key certificate): its text is encrypted",
}


def read(data: bytes) -> list[Element]:
    """Paragraphs and tables of every section, in reading order.

    Every refusal is an ``UnreadableDocument`` with the reason, for the ingest report.
    """
    _check_file_header(data)
    try:
        # the layout cache (line breaks as Hangul laid them out) is only for rendering
        package = hwpforge.convert_hwp5(data, carry_layout_cache=False).document.to_bytes()
    except hwpforge.HwpForgeError as exc:
        raise UnreadableDocument(f"corrupt HWP file ({exc.code}: {exc.message})") from exc
    except BaseException as exc:
        # a panic in the Rust converter arrives as pyo3's PanicException, which is not an Exception
        if type(exc).__name__ != "PanicException":
            raise
        raise UnreadableDocument(f"corrupt HWP file (the converter failed: {exc})") from exc
    try:
        return hwpx.read(package)
    except UnreadableDocument as exc:
        if str(exc).endswith("has no text"):  # worded for .hwpx uploads; the user gave a .hwp
            raise UnreadableDocument("HWP document has no text") from exc
        raise UnreadableDocument(f"HWP file could not be read after conversion to HWPX ({exc})") from exc


def _check_file_header(data: bytes) -> None:
    """Refuse what is not an HWP 5.0 file, and HWP files whose text is encrypted."""
    if not data:
        raise UnreadableDocument("empty file")
    if data.startswith(HWP3_SIGNATURE):
        raise UnreadableDocument("HWP 3.x file (the pre-2002 format) is not supported: save it as .hwp 5.0 or .hwpx")
    if not data.startswith(OLE_SIGNATURE):
        if data.startswith(b"PK\x03\x04"):
            raise UnreadableDocument("not an HWP file (this is a zip archive; an HWPX file should be named .hwpx)")
        raise UnreadableDocument("not an HWP file (no OLE compound-file signature)")
    try:
        # strict: a truncated or patched container is reported as damaged instead of read as zeros
        with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT) as ole:
            if not ole.exists("FileHeader"):
                raise UnreadableDocument("not an HWP 5.0 file (no FileHeader stream)")
            header = ole.openstream("FileHeader").read(256)
    except UnreadableDocument:
        raise
    except Exception as exc:  # OleFileError, OSError, struct.error, ... on a damaged container
        raise UnreadableDocument(f"corrupt HWP file (compound file: {type(exc).__name__}: {exc})") from exc
    if not header.startswith(HWP5_SIGNATURE) or len(header) < 40:
        raise UnreadableDocument("not an HWP 5.0 file (the FileHeader has no HWP signature)")
    version, properties = struct.unpack_from("<II", header, 32)
    if version >> 24 != 5:
        dotted = ".".join(str(version >> shift & 0xFF) for shift in (24, 16, 8, 0))
        raise UnreadableDocument(f"unsupported HWP version {dotted} (only 5.x is read)")
    for bit, reason in _REFUSED_PROPERTIES.items():
        if properties & bit:
            raise UnreadableDocument(reason)

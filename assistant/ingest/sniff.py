"""What a file is, by its bytes: an upload's name is the client's word and is not believed.

Each format is recognised by what its readers need to find in it: a ``%PDF-`` header; an OLE compound file
holding the ``FileHeader`` stream Hangul writes ("HWP Document File"); a zip whose ``mimetype`` member says
``application/hwp+zip`` (HWPX) or that holds ``word/document.xml`` (DOCX) or ``xl/workbook.xml`` (XLSX); an HTML
document; text the text reader can decode. Anything else (an image, an executable, a .doc or .xls, a zip of
something else) is refused, and so is a binary file that only calls itself .txt.

The zip directory is read through ``open_zip`` (its member count and expanded size are checked before anything
is inflated) and only the few bytes of ``mimetype`` are ever inflated here.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

import olefile

from assistant.ingest.elements import UnreadableDocument
from assistant.ingest.normalize import decode_text
from assistant.ingest.readers.archive import open_zip

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
HWP_SIGNATURE = b"HWP Document File"
HWPX_MIMETYPE = "application/hwp+zip"
PDF_HEADER_WINDOW = 1024  # the PDF reader tolerates this much junk before "%PDF-", as viewers do
HTML_WINDOW = 2048
# an HTML document opens with one of these, after a BOM, blanks, an XML declaration or comments; a comment ends at
# its first "-->" (a lazy ".*?" could also end at any later one: exponential backtracking on "<!---->" * 30)
_HTML_START = re.compile(r"^(?:\s|<\?xml[^>]*>|<!--(?:(?!-->).)*-->)*<(?:!doctype\s+html|html|head|body)[\s>/]",
                         re.IGNORECASE | re.DOTALL)
MAX_NAME_CHARS = 60  # 60 Hangul syllables are 180 bytes, inside any file system's 255-byte limit
# letters (Hangul too), digits, "_", ".", "+" and "-": a name a shell takes as one word, without quotes
_UNSAFE_NAME_CHARS = re.compile(r"[^\w.+-]+")


class UnknownFileType(ValueError):
    """Bytes that are none of the supported formats; the message says what they look like, for the uploader."""


@dataclass(frozen=True)
class FileType:
    kind: str  # pdf, hwp, hwpx, docx, xlsx, html, text
    suffixes: tuple[str, ...]  # the suffixes a file of this kind may carry, the usual one first
    label: str  # what to call it in a message

    def suffix_for(self, name: str, supported: frozenset[str]) -> str:
        """The suffix to store the file under: the name's own when it agrees with the content, else the kind's
        usual one. Raises UnknownFileType when this server has no reader for the kind."""
        usable = [s for s in self.suffixes if s in supported]
        if not usable:
            raise UnknownFileType(f"this is {self.label}, and this server has no reader for it "
                                  f"(supported: {', '.join(sorted(supported))})")
        own = _suffix(name)
        return own if own in usable else usable[0]


PDF = FileType("pdf", (".pdf",), "a PDF file")
HWP = FileType("hwp", (".hwp",), "a Hangul (HWP) file")
HWPX = FileType("hwpx", (".hwpx",), "a Hangul (HWPX) file")
DOCX = FileType("docx", (".docx",), "a Word (DOCX) file")
XLSX = FileType("xlsx", (".xlsx",), "an Excel (XLSX) file")
HTML = FileType("html", (".html", ".htm"), "an HTML file")
TEXT = FileType("text", (".txt", ".md", ".markdown"), "a text file")


def sniff(data: bytes) -> FileType:
    """The type of ``data``; raises UnknownFileType (unsupported or unrecognisable) or UnreadableDocument (an
    archive or compound file that is damaged, or whose directory promises too much to be opened safely)."""
    if not data.strip():
        raise UnknownFileType("the file is empty")
    if b"%PDF-" in data[:PDF_HEADER_WINDOW]:
        return PDF
    if data.startswith(OLE_SIGNATURE):
        return _ole_type(data)
    if data.startswith(ZIP_SIGNATURES):
        return _zip_type(data)
    try:
        text = decode_text(data)  # the text reader's own decoding: UTF-8, UTF-16 with a BOM, CP949
    except UnreadableDocument as exc:
        raise UnknownFileType(f"not a supported document type ({exc})") from None
    return HTML if _HTML_START.match(text[:HTML_WINDOW].lstrip("\ufeff")) else TEXT


def _ole_type(data: bytes) -> FileType:
    try:
        # a file object, never the bytes: olefile takes bytes shorter than a sector for a file name
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists("FileHeader") and ole.openstream("FileHeader").read(len(HWP_SIGNATURE)) == HWP_SIGNATURE:
                return HWP
            if ole.exists("WordDocument"):
                raise UnknownFileType("this is a binary Word .doc file: save it as .docx")
            if ole.exists("Workbook") or ole.exists("Book"):
                raise UnknownFileType("this is a binary Excel .xls file: save it as .xlsx")
    except UnknownFileType:
        raise
    except Exception as exc:  # noqa: BLE001 - olefile raises OSError and others on a damaged directory
        raise UnreadableDocument(f"a damaged OLE compound file ({type(exc).__name__}: {exc})") from None
    raise UnknownFileType("an OLE compound file that is not a Hangul (HWP) document")


def _zip_type(data: bytes) -> FileType:
    # a zip that cannot be opened, or must not be (a bomb), raises UnreadableDocument: a damaged file, not an
    # unknown type
    with open_zip(data, "an office document (DOCX, XLSX or HWPX)") as archive:
        names = set(archive.namelist())
        if "mimetype" in names and _mimetype(archive) == HWPX_MIMETYPE:
            return HWPX
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    raise UnknownFileType("a zip archive that is not a DOCX, XLSX or HWPX document")


def _mimetype(archive: zipfile.ZipFile) -> str:
    try:
        with archive.open("mimetype") as member:
            return member.read(64).decode("ascii", "replace").strip()
    except Exception:  # noqa: BLE001 - a damaged or encrypted member: not an HWPX package
        return ""


def _suffix(name: str) -> str:
    _, dot, suffix = name.rpartition(".")
    return f".{suffix.lower()}" if dot and suffix else ""


def safe_stem(client_name: str) -> str:
    """A file name stem made from what the client called the file: its last path component only (no folder,
    no drive), no leading dots (hidden files are not ingested), no control or shell-special characters."""
    name = re.split(r"[/\\]", client_name or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    stem = _UNSAFE_NAME_CHARS.sub("_", stem).strip(" ._-")
    return stem[:MAX_NAME_CHARS].rstrip(" ._-") or "document"


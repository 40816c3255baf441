"""Bodies of POST /v1/documents (a file upload) and DELETE /v1/documents/{doc_id}."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from assistant.api.schemas.admin import BuildStatus
from assistant.api.schemas.text import readable
from assistant.ingest.load import SUPPORTED_SUFFIXES

DOC_ID_PATTERN = r"^[0-9A-Za-z가-힣][0-9A-Za-z가-힣_.-]{0,79}$"
YEAR_PATTERN = r"^(?:19|20)[0-9]{2}(?:-(?:19|20)[0-9]{2})?$"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def no_controls(value: str) -> str:
    """Text a citation shows on one line: control characters (NUL, escape sequences) are refused, and the
    white space around it dropped."""
    if _CONTROL.search(value):
        raise PydanticCustomError("string_control", "the text holds control characters")
    return " ".join(value.split())


FieldText = Annotated[str, AfterValidator(readable), AfterValidator(no_controls)]


class UploadFields(BaseModel):
    """The text fields of the upload form; an empty field counts as left out."""

    model_config = ConfigDict(extra="forbid")

    title: FieldText | None = Field(None, max_length=300, description="the title citations show (default: the "
                                                                       "document's first heading, else its name)")
    organization: FieldText | None = Field(None, max_length=200, description="who wrote it")
    year: str | None = Field(None, pattern=YEAR_PATTERN, description="2024, or a span: 2021-2024 (default: a year "
                                                                     "in the title)")
    doc_id: str | None = Field(None, pattern=DOC_ID_PATTERN, description="the id to cite it by (default: made "
                                                                         "from the file name)")


UPLOAD_FORM_SCHEMA = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "the document, of a type this server reads ("
                 f"{', '.join(sorted(SUPPORTED_SUFFIXES))}); the type is read from its bytes, not its name"},
        "title": {"type": "string", "maxLength": 300},
        "organization": {"type": "string", "maxLength": 200},
        "year": {"type": "string", "pattern": YEAR_PATTERN},
        "doc_id": {"type": "string", "pattern": DOC_ID_PATTERN},
    },
}


class DocumentAdded(BaseModel):
    """A stored upload: its manifest entry, what it was read as, and the build that will serve it."""

    doc_id: str
    file: str = Field(description="the name it is stored under in the corpus folder")
    title: str
    organization: str
    year: str
    source_format: str = Field(description="what its bytes are (pdf, docx, ...), whatever its name said")
    chunks: int = Field(description="chunks the document makes; it is answered from when the build is done")
    build: BuildStatus


class DocumentRemoved(BaseModel):
    doc_id: str
    file: str = Field(description="the file deleted from the corpus folder")
    build: BuildStatus


class ChangeRefused(BaseModel):
    """A 409: a build is running, or the id or the text is already in the corpus; nothing was changed."""

    detail: str
    build: BuildStatus

"""Text fields of request bodies: a string the service can read, encode and send back.

``json.loads`` turns the escape ``"\\ud800"`` into a lone surrogate: not a character, and a string holding one
cannot be encoded as UTF-8, so it would crash the answer (or the session store, or the log) far from the request.
It is refused here, with the other validation errors, before any route code runs.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

UNPAIRED_SURROGATE = "string_unpaired_surrogate"
# the error types of a string that is no text: pydantic-core's own (a constrained str it cannot take as UTF-8)
# and ours
UNREADABLE_TEXT_ERRORS = frozenset({"string_unicode", UNPAIRED_SURROGATE})
BLANK = "string_blank"
_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(value: str) -> str:
    if _SURROGATE.search(value):
        raise PydanticCustomError(UNPAIRED_SURROGATE, "the text holds a lone UTF-16 surrogate (\\ud800-\\udfff), "
                                                      "which is no character: send the text as UTF-8")
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError(BLANK, "the text is empty (white space only)")
    return value


Text = Annotated[str, AfterValidator(readable)]
"""A string with no lone surrogate."""

Question = Annotated[str, AfterValidator(readable), AfterValidator(not_blank)]
"""A question or query: readable, and more than white space."""

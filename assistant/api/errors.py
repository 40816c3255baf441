"""Error bodies of the API that always encode, and the OpenAPI description of the ones the routes really send.

The request body is decoded by ``json.loads``, which accepts what JSON does not (``NaN``, ``Infinity``, ``1e400``
as an infinite float) and what UTF-8 cannot carry (a lone surrogate escape such as ``"\\ud800"``). FastAPI's
validation error echoes the offending value (``input``, ``ctx``), so an error body would hold a value that
cannot be encoded and the client would get a 500 for its own bad request. ``encodable_errors`` keeps every
error's ``loc``, ``msg`` and ``type`` (the HTTPValidationError schema FastAPI documents for 422) and drops an
``input`` or ``ctx`` that cannot be encoded.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """The body of a refusal outside the chat protocol: what is wrong, in one sentence."""

    detail: str


def encodable_text(text: str) -> str:
    """``text`` as UTF-8 can carry it: a lone surrogate becomes its escape (\\ud800), the rest stays as is."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodes(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError):  # UnicodeEncodeError is a ValueError
        return False
    return True


def _loc_part(part: Any) -> str | int:
    if isinstance(part, int) and not isinstance(part, bool):
        return part
    return encodable_text(str(part))


def encodable_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation errors as the HTTPValidationError schema documents them (loc, msg, type; input and ctx when
    they can be sent), every one of them JSON that encodes as UTF-8."""
    out: list[dict[str, Any]] = []
    for error in errors or ():
        item: dict[str, Any] = {
            "loc": [_loc_part(part) for part in error.get("loc", ())],
            "msg": encodable_text(str(error.get("msg", ""))),
            "type": encodable_text(str(error.get("type", ""))),
        }
        for key in ("input", "ctx"):
            if key not in error:
                continue
            try:
                value = jsonable_encoder(error[key])
            except Exception:  # noqa: BLE001 - an input the encoder cannot take is left out, like one that cannot encode
                continue
            if key == "ctx" and not isinstance(value, dict):
                continue  # the schema says ctx is an object
            if _encodes(value):
                item[key] = value
        out.append(item)
    return out


def _detail(description: str) -> dict[str, Any]:
    return {"model": ErrorDetail, "description": description}


# Statuses the middleware sends on any API path, before the route runs (assistant/api/limits.py); the OpenAI
# routes document them with their own error object (assistant/api/routers/chat.py)
BODY_TIMED_OUT = "the request body stopped arriving (ASSISTANT_BODY_TIMEOUT_SECONDS)"
BODY_TOO_LARGE = "the request body is over ASSISTANT_MAX_BODY_BYTES"
TOO_MANY_REQUESTS = "too many requests from this client (ASSISTANT_RATE_LIMIT_PER_MINUTE); see Retry-After"
BODY_LIMITS: dict[int | str, dict[str, Any]] = {408: _detail(BODY_TIMED_OUT), 413: _detail(BODY_TOO_LARGE)}
LIMIT_RESPONSES: dict[int | str, dict[str, Any]] = {**BODY_LIMITS, 429: _detail(TOO_MANY_REQUESTS)}
NOT_FOUND = {404: _detail("no such resource")}

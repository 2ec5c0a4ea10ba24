"""How a request body is read: JSON only, UTF-8, bounded in size and depth.

Powertools' request validation reads the body of every route that declares one through
`_get_body`; `JsonBodyValidation` replaces that reading (and only that), so every HTTP function
refuses the same bodies the same way:

- a body that is not `application/json` (a `charset` other than UTF-8 included) is 415
  `unsupported_media_type`; a request without a body needs no content type;
- a body over `MAX_BODY_BYTES` is 413 `body_too_large`;
- a body that is not a UTF-8 JSON object (bad bytes, a syntax error, `NaN`, an unpaired surrogate
  escape, nesting deeper than `MAX_DEPTH`, an array: Powertools would read its first item as the
  body) is 422 `validation_error` on the field `body`; `null` counts as no body.

Nothing is read further, so nothing is written.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from therapy_booking.api.problems import BodyTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

JSON_MEDIA_TYPE = "application/json"
MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 32


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with the body read by `read_json_body`."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Powertools' __init__ is unannotated

    def _get_body(self, app: ApiGatewayResolver) -> Any:
        return read_json_body(app.current_event)


def read_json_body(event: BaseProxyEvent) -> Any:
    """The request's JSON body (None without one), or the problem that refuses it."""
    raw = event.body
    if not raw:
        return None
    _require_json_media_type(event.headers.get("content-type"))
    try:
        data = base64.b64decode(raw, validate=True) if event.is_base64_encoded else raw.encode("utf-8")
    except UnicodeError:
        raise _malformed("The body is not UTF-8 text.") from None
    except (binascii.Error, ValueError):
        raise _malformed("The body is not valid base64.") from None
    if len(data) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeError:
        raise _malformed("The body is not UTF-8 text.") from None
    except RecursionError:
        raise _malformed(f"The body is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        raise _malformed("The body is not valid JSON.") from None
    if value is None:
        return None  # `null`: no body (a route whose body is optional documents it so)
    if not isinstance(value, dict):
        raise _malformed("The body must be a JSON object.")
    _require_plain_json(value)
    return value


def _require_json_media_type(content_type: str | None) -> None:
    media_type, *parameters = (content_type or "").split(";")
    charsets = [
        value.strip().strip('"').lower()
        for name, _, value in (parameter.partition("=") for parameter in parameters)
        if name.strip().lower() == "charset"
    ]
    if media_type.strip().lower() != JSON_MEDIA_TYPE or any(charset != "utf-8" for charset in charsets):
        raise UnsupportedMediaType(f"Send the body as {JSON_MEDIA_TYPE} (UTF-8), with that Content-Type.")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _require_plain_json(value: Any) -> None:
    """At most MAX_DEPTH levels, and text that is Unicode (no unpaired surrogate from a \\ud800 escape)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _malformed(f"The body is nested deeper than {MAX_DEPTH} levels.")
        if isinstance(item, dict):
            for key, child in item.items():
                _require_unicode(key)
                pending.append((child, depth + 1))
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            _require_unicode(item)


def _require_unicode(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _malformed("The body has text that is not Unicode (an unpaired surrogate).") from None


def _malformed(message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": message, "input": {}}])

"""One error format for the whole API: RFC 7807 problem details (``application/problem+json``).

Every failure answers with ``type``, ``title``, ``status``, ``detail`` and ``code``; validation
failures add ``errors``, a map from field name to messages (nested fields are dotted:
``items.0.id``; errors about no single field are under ``non_field_errors``). The handler turns
the errors services raise into the right status: Django's ``ValidationError`` into 400 with its
fields, ``Http404`` into 404, ``PermissionDenied`` into 403, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``RequestDataTooBig``) into 413; JSON that does not parse or nests
too deeply is a 400 (``api.v1.parsers``); throttling answers 429 with ``Retry-After``; anything
unexpected is logged and answers a 500 problem without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:zhibo:problem:"

TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
}


class Conflict(exceptions.APIException):
    """The request is valid but the resource's state refuses it (an order already paid, a
    declined payment, a sold-out item): 409, with the service's message and code."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"

    @classmethod
    def from_validation_error(cls, error: DjangoValidationError) -> Conflict:
        code = getattr(error, "code", None) or cls.default_code
        return cls(detail=" ".join(error.messages), code=code)


class ContentTooLarge(exceptions.APIException):
    """The request body is larger than the site reads (``DATA_UPLOAD_MAX_MEMORY_SIZE``): 413."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"items": [{"id": ["bad"]}]}`` → ``{"items.0.id": ["bad"]}``."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in messages]}


def _first_code(detail: Any) -> str | None:
    if isinstance(detail, Mapping):
        detail = list(detail.values())
    if isinstance(detail, list):
        for item in detail:
            if (code := _first_code(item)) is not None:
                return code
        return None
    return getattr(detail, "code", None)


def problem_response(
    *,
    status_code: int,
    code: str,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(
        body, status=status_code, headers=dict(headers or {}), content_type=PROBLEM_CONTENT_TYPE
    )


def problem_exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's ``EXCEPTION_HANDLER`` for the API."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):
        exc = ContentTooLarge()
    response = exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "the API")
        set_rollback()
        return problem_response(
            status_code=500,
            code="server_error",
            detail="Something went wrong on our side; it has been logged.",
        )
    headers = {
        name: response[name] for name in ("WWW-Authenticate", "Retry-After") if name in response
    }
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            status_code=response.status_code,
            code="invalid",
            detail="The request has invalid fields; see errors.",
            errors=_flatten(exc.detail),
            headers=headers,
        )
    detail = getattr(exc, "detail", str(exc))
    code = _first_code(detail) or "error"
    if isinstance(detail, Mapping) and "detail" in detail:  # simplejwt's token errors
        code, detail = str(detail.get("code") or code), detail["detail"]
    if isinstance(detail, Mapping | list):
        detail = " ".join(" ".join(v) for v in _flatten(detail).values())
    return problem_response(
        status_code=response.status_code, code=code, detail=str(detail), headers=headers
    )

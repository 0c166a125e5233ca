"""OpenAPI details drf-spectacular cannot infer: the problem-details responses of every operation.

``add_problem_responses`` (a postprocessing hook) documents, for each operation, the failures it
can answer with as ``application/problem+json``: 401 (a bad token is refused everywhere) and 429
(throttling) always; 400 when the operation takes parameters or a body (also for JSON that does
not parse or nests too deeply); 413 when it takes a body (larger than the site reads); 403 for
writes (CSRF for session clients, and permissions); 404 for paths with an id and for cursor lists.
Views document their own other statuses (409 for orders) with ``problems()``.

``forbid_nul_in_request_strings`` says what every text field of a request refuses: the NUL
character (PostgreSQL cannot store it; DRF answers 400 "Null characters are not allowed").
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from api.v1.exceptions import PROBLEM_CONTENT_TYPE, TITLES

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 7807 problem details.",
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "A stable machine-readable code."},
        "errors": {
            "type": "object",
            "description": "Validation messages by field (dotted for nested fields).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def problems(*status_codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    """``extend_schema(responses=...)`` entries for problem responses a view answers with."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=TITLES[code])
        for code in status_codes
    }


def _statuses(path: str, method: str, operation: dict) -> set[int]:
    codes = {401, 429}
    parameters = operation.get("parameters", [])
    if parameters or "requestBody" in operation:
        codes.add(400)
    if "requestBody" in operation:
        codes.add(413)
    if method != "get":
        codes.add(403)
    if "{" in path or any(p.get("name") == "cursor" for p in parameters):
        codes.add(404)
    return codes


def add_problem_responses(result: dict, generator, request, public) -> dict:
    """Document the problem responses of every operation (see the module docstring)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for code in sorted(_statuses(path, method, operation)):
                responses.setdefault(
                    str(code),
                    {
                        "description": TITLES[code],
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}},
                    },
                )
    return result


NO_NUL = "^[^\\u0000]*$"


def _forbid_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & schema.keys():
        schema["pattern"] = NO_NUL
    for child in schema.get("properties", {}).values():
        _forbid_nul(child)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _forbid_nul(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key, []):
            _forbid_nul(child)


def forbid_nul_in_request_strings(result: dict, generator, request, public) -> dict:
    """Every free-text field of a request body matches ``NO_NUL`` (see the module docstring)."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _forbid_nul(schema)
    return result

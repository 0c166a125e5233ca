"""Serializers of the v1 API: they parse input and render output, nothing else.

Every serializer of the API derives from ``Serializer`` or ``ModelSerializer`` here, which take
each field's JSON type as the schema says it (a string where a string is declared, a number
where an integer is, ``true``/``false`` for a boolean) instead of DRF's coercion of ``0`` to
``""``-like strings, ``"12"`` to 12 or ``"yes"`` to true: a request the schema calls malformed
is refused, naming the field.
"""

from collections.abc import Mapping

from django.http import QueryDict
from rest_framework import serializers

MAX_ID = 999_999_999_999_999_999
"""The largest row id accepted in a request (18 digits, as in paths): it fits a 64-bit column."""


class IdField(serializers.IntegerField):
    """A row id sent in a body: a positive integer of at most 18 digits."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


def _json_types(field) -> tuple[tuple[type, ...], str] | None:
    """The JSON types a field's schema declares, and their name for the message; None for fields
    whose own validation already refuses the other types (choices, dates, decimals...)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,), "true or false"
    if isinstance(field, serializers.CharField):
        return (str,), "a string"
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return (int,), "an integer"
    if isinstance(field, serializers.FloatField):
        return (int, float), "a number"
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        return (list,), "a list"
    return None


class _JSONTypes:
    def to_internal_value(self, data):
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                value = data.get(field.field_name) if field.field_name in data else None
                if field.read_only or value is None:
                    continue
                declared = _json_types(field)
                if declared is None:
                    continue
                types, label = declared
                if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                    errors[name] = [f"Must be {label}."]
            if errors:
                raise serializers.ValidationError(errors, code="invalid")
        return super().to_internal_value(data)


class Serializer(_JSONTypes, serializers.Serializer):
    pass


class ModelSerializer(_JSONTypes, serializers.ModelSerializer):
    pass

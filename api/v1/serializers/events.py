"""The feedback batch: what the apps and the site's scripts send to ``POST /api/v1/events/``.

Only the envelope is validated here; each event is validated by
``recommendations.services.events.event_ingest_batch`` on its own, so one bad event never drops
the good ones of its batch. The schema says so: an event is any value there, described in words.
"""

import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import Serializer
from recommendations.services.events import CLIENT_TYPES, MAX_BATCH


@extend_schema_field(
    {
        "description": (
            "An event: an object with `client_event_id`, `type`, `object_type`, `object_id`, "
            "`client_ts`, and as its type needs `value`, `position_seconds`, `query`, `page`, "
            "`request_id`. Each event is validated on its own, so any value is accepted here: "
            "one that is not a valid event is listed under `rejected` with its index, field and "
            "reason, and the rest of the batch is stored."
        ),
        "example": {
            "client_event_id": "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
            "type": "click",
            "object_type": "course",
            "object_id": 42,
            "client_ts": "2026-11-29T09:30:00+08:00",
        },
    }
)
class RawEventField(serializers.DictField):
    """One event as sent, validated by the ingestion service. An event that is not an object
    (a string, a number, a list) is passed on as it is, so the service rejects that one event
    with its index instead of the whole batch. ``type`` and ``object_type`` are names: a value
    that is not text (a list, an object) is passed on as its text, so the service rejects that
    one event as an unknown name instead of failing on it."""

    NAMES = ("type", "object_type")

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return data
        event = super().to_internal_value(data)
        for name in self.NAMES:
            value = event.get(name)
            if value is not None and not isinstance(value, str):
                event[name] = json.dumps(value)
        return event


class EventBatchSerializer(Serializer):
    client = serializers.ChoiceField(choices=sorted(CLIENT_TYPES))
    visitor_id = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The anonymous visitor's id; required when not signed in.",
    )
    events = serializers.ListField(child=RawEventField(allow_null=True), max_length=MAX_BATCH)

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        if not request.user.is_authenticated and not attrs.get("visitor_id"):
            raise serializers.ValidationError(
                {"visitor_id": "Required when not signed in."}, code="required"
            )
        return attrs


class RejectionSerializer(Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    reason = serializers.CharField()


class IngestResultSerializer(Serializer):
    stored = serializers.ListField(child=serializers.IntegerField())
    duplicates = serializers.ListField(
        child=serializers.IntegerField(), help_text="Already stored before: nothing changed."
    )
    rejected = RejectionSerializer(many=True)

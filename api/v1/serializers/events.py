"""The feedback batch: what the apps and the site's scripts send to ``POST /api/v1/events/``.

Only the envelope is validated here; each event is validated by
``recommendations.services.events.event_ingest_batch`` on its own, so one bad event never drops
the good ones of its batch. ``EventSerializer`` documents an event's fields for the schema.
"""

import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import IdField
from recommendations.models import Event
from recommendations.services.events import CLIENT_TYPES, MAX_BATCH


class EventSerializer(serializers.Serializer):
    client_event_id = serializers.UUIDField(help_text="Chosen by the client; makes retries safe.")
    type = serializers.ChoiceField(
        choices=[(v, label) for v, label in Event.Type.choices if v not in Event.SERVER_ONLY_TYPES],
        help_text="Purchases, enrollments and reservations are recorded by the server, not sent.",
    )
    object_type = serializers.ChoiceField(
        choices=Event.ObjectType.choices, required=False, help_text="Not for searches."
    )
    object_id = IdField(required=False)
    client_ts = serializers.DateTimeField(help_text="With a time zone offset; at most 30 days old.")
    value = serializers.FloatField(
        required=False, help_text="Watch: share watched (0-1); rating: 1-5."
    )
    position_seconds = serializers.IntegerField(min_value=0, required=False)
    query = serializers.CharField(required=False, max_length=200, help_text="Searches only.")
    page = serializers.CharField(required=False, max_length=64)
    request_id = serializers.UUIDField(
        required=False, help_text="The recommendation request the item was shown in."
    )


@extend_schema_field(EventSerializer)
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


class EventBatchSerializer(serializers.Serializer):
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


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    field = serializers.CharField()
    reason = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    stored = serializers.ListField(child=serializers.IntegerField())
    duplicates = serializers.ListField(
        child=serializers.IntegerField(), help_text="Already stored before: nothing changed."
    )
    rejected = RejectionSerializer(many=True)

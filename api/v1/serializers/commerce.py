"""Orders, enrollments, lesson progress and live reservations of the signed-in learner."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import IdField
from api.v1.serializers.catalog import (
    CourseBriefSerializer,
    LiveSessionBriefSerializer,
    SelectorPrimaryKeyField,
)
from commerce.models import Enrollment, LessonProgress, LiveReservation, Order, OrderLine
from courses.models import Lesson, Product
from courses.selectors import (
    course_list_published,
    lesson_list_published,
    live_session_list_visible,
)

MAX_ORDER_ITEMS = 50


class OrderItemInSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["course", "product"])
    id = IdField()
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class OrderCreateSerializer(serializers.Serializer):
    """What to buy. Courses are looked up among published ones, products among all (an off-sale
    product is refused with its name); ``validated_data["items"]`` holds (object, quantity)."""

    items = OrderItemInSerializer(many=True, allow_empty=False, max_length=MAX_ORDER_ITEMS)
    live_session = SelectorPrimaryKeyField(
        selector=live_session_list_visible,
        required=False,
        allow_null=True,
        help_text="The live session the order is placed from: its flash prices apply.",
    )

    def validate_items(self, items: list[dict]) -> list[tuple[object, int]]:
        wanted = {
            kind: {item["id"] for item in items if item["type"] == kind}
            for kind in ("course", "product")
        }
        found = {
            "course": course_list_published().in_bulk(wanted["course"]),
            "product": Product.objects.in_bulk(wanted["product"]),
        }
        errors = [
            {"id": [f"No {item['type']} with id {item['id']}."]}
            if item["id"] not in found[item["type"]]
            else {}
            for item in items
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return [(found[item["type"]][item["id"]], item["quantity"]) for item in items]


class OrderLineSerializer(serializers.ModelSerializer):
    type = serializers.SerializerMethodField()
    item_id = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = OrderLine
        fields = ["type", "item_id", "title", "unit_price", "quantity", "amount", "is_flash_price"]

    @extend_schema_field(serializers.ChoiceField(choices=["course", "product"]))
    def get_type(self, line: OrderLine) -> str:
        return "course" if line.course_id else "product"

    def get_item_id(self, line: OrderLine) -> int:
        return line.course_id or line.product_id


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "total",
            "live_session",
            "created_at",
            "paid_at",
            "cancelled_at",
            "refunded_at",
            "lines",
        ]
        read_only_fields = fields


class EnrollmentCreateSerializer(serializers.Serializer):
    course = SelectorPrimaryKeyField(selector=course_list_published, help_text="A free course.")


class EnrollmentSerializer(serializers.ModelSerializer):
    course = CourseBriefSerializer(read_only=True)
    enrolled_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["id", "course", "enrolled_at"]


class ProgressRecordSerializer(serializers.Serializer):
    lesson = SelectorPrimaryKeyField(selector=lesson_list_published)
    position_seconds = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600)
    duration_seconds = serializers.IntegerField(
        min_value=1,
        max_value=7 * 24 * 3600,
        required=False,
        help_text=(
            "The duration the player measured: used only when the lesson's own is not known."
        ),
    )


class LessonProgressSerializer(serializers.ModelSerializer):
    last_watched_at = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = LessonProgress
        fields = [
            "lesson",
            "position_seconds",
            "percent_watched",
            "completed_at",
            "last_watched_at",
        ]
        read_only_fields = fields


class LessonBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "title", "duration_seconds"]


class CourseInProgressSerializer(serializers.Serializer):
    course = CourseBriefSerializer()
    last_lesson = LessonBriefSerializer(allow_null=True)
    last_watched_at = serializers.DateTimeField(allow_null=True)
    lessons_completed = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    percent_complete = serializers.IntegerField()


class ContinueLearningQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=6)


class ReservationCreateSerializer(serializers.Serializer):
    live_session = SelectorPrimaryKeyField(selector=live_session_list_visible)


class ReservationSerializer(serializers.ModelSerializer):
    live_session = LiveSessionBriefSerializer(read_only=True)
    reserved_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = LiveReservation
        fields = ["id", "live_session", "reserved_at", "reminder_sent_at"]

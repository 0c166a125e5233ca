"""Orders, delivery addresses, enrollments, lesson progress and live reservations of the
signed-in learner."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import IdField, ModelSerializer, Serializer
from api.v1.serializers.catalog import (
    CourseBriefSerializer,
    LiveSessionBriefSerializer,
    SelectorPrimaryKeyField,
)
from commerce.models import (
    SHIPPING_FIELDS,
    DeliveryAddress,
    Enrollment,
    LessonProgress,
    LiveReservation,
    Order,
    OrderLine,
)
from courses.models import Lesson, Product
from courses.selectors import (
    course_list_published,
    lesson_list_published,
    live_session_list_visible,
)

MAX_ORDER_ITEMS = 50


class OrderItemInSerializer(Serializer):
    type = serializers.ChoiceField(choices=["course", "product"])
    id = IdField()
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class AddressSerializer(ModelSerializer):
    """A delivery address of the learner's address book. Their first address is their default;
    making another the default takes it from the others."""

    class Meta:
        model = DeliveryAddress
        fields = [
            "id",
            "recipient",
            "phone",
            "region",
            "street",
            "postal_code",
            "is_default",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class NewAddressSerializer(ModelSerializer):
    """The fields of a new delivery address."""

    class Meta:
        model = DeliveryAddress
        fields = [*SHIPPING_FIELDS, "is_default"]


class ShippingAddressSerializer(Serializer):
    """The address an order is shipped to, as copied onto the order when it was placed."""

    recipient = serializers.CharField()
    phone = serializers.CharField()
    region = serializers.CharField()
    street = serializers.CharField()
    postal_code = serializers.CharField(allow_blank=True)


class OrderCreateSerializer(Serializer):
    """What to buy, and where physical products go. Courses are looked up among published ones,
    products among all (an off-sale product is refused with its name);
    ``validated_data["items"]`` holds (object, quantity)."""

    items = OrderItemInSerializer(many=True, allow_empty=False, max_length=MAX_ORDER_ITEMS)
    live_session = SelectorPrimaryKeyField(
        selector=live_session_list_visible,
        required=False,
        allow_null=True,
        help_text="The live session the order is placed from: its flash prices apply.",
    )
    address_id = IdField(
        required=False,
        help_text=(
            "Where physical products go: one of your delivery addresses "
            "(`/api/v1/me/addresses/`). Required, or `address`, when the order has a physical "
            "product; ignored otherwise."
        ),
    )
    address = NewAddressSerializer(
        required=False,
        help_text=(
            "Where physical products go: a new delivery address, saved to your address book "
            "(unless you saved the same already). Instead of `address_id`."
        ),
    )
    coupon = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text=(
            "A coupon code (any letter case): one per order, taken off the courses of its "
            "instructor at the price in force (on top of a running discount), never below zero. "
            "A bad, expired, used-up or inapplicable code is a 400 on `coupon`."
        ),
    )

    def validate(self, data: dict) -> dict:
        if "address_id" in data and "address" in data:
            raise serializers.ValidationError(
                {"address": ["Send either address_id or address, not both."]}
            )
        return data

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


class OrderLineSerializer(ModelSerializer):
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


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    shipping_address = serializers.SerializerMethodField()
    coupon = serializers.CharField(
        source="coupon.code", allow_null=True, help_text="The coupon code used, if any."
    )
    coupon_discount = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="What the coupon took off the lines' sum."
    )

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
            "shipping_address",
            "coupon",
            "coupon_discount",
            "bundle",
            "lines",
        ]
        read_only_fields = fields

    @extend_schema_field(ShippingAddressSerializer(allow_null=True))
    def get_shipping_address(self, order: Order) -> dict | None:
        if not order.ships:
            return None
        return {name: getattr(order, f"ship_{name}") for name in SHIPPING_FIELDS}


class EnrollmentCreateSerializer(Serializer):
    course = SelectorPrimaryKeyField(selector=course_list_published, help_text="A free course.")


class EnrollmentSerializer(ModelSerializer):
    course = CourseBriefSerializer(read_only=True)
    enrolled_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Enrollment
        fields = ["id", "course", "enrolled_at"]


class ProgressRecordSerializer(Serializer):
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


class LessonProgressSerializer(ModelSerializer):
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


class LessonBriefSerializer(ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "title", "duration_seconds"]


class CourseInProgressSerializer(Serializer):
    course = CourseBriefSerializer()
    last_lesson = LessonBriefSerializer(allow_null=True)
    last_watched_at = serializers.DateTimeField(allow_null=True)
    lessons_completed = serializers.IntegerField()
    lessons_total = serializers.IntegerField()
    percent_complete = serializers.IntegerField()


class ContinueLearningQuerySerializer(Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=6)


class ReservationCreateSerializer(Serializer):
    live_session = SelectorPrimaryKeyField(selector=live_session_list_visible)


class ReservationSerializer(ModelSerializer):
    live_session = LiveSessionBriefSerializer(read_only=True)
    reserved_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = LiveReservation
        fields = ["id", "live_session", "reserved_at", "reminder_sent_at"]

"""Campaigns (营销活动): courses on a time-limited discount and course bundles, the same for
everyone."""

from decimal import Decimal

from rest_framework import serializers

from api.v1.serializers import ModelSerializer, Serializer
from api.v1.serializers.catalog import (
    CourseBriefSerializer,
    CourseListSerializer,
    InstructorBriefSerializer,
)
from commerce.models import Bundle


class BundleSerializer(ModelSerializer):
    instructor = InstructorBriefSerializer(read_only=True)
    courses = CourseBriefSerializer(many=True, read_only=True)
    regular_price = serializers.SerializerMethodField(
        help_text="What its courses cost together at their regular prices."
    )

    class Meta:
        model = Bundle
        fields = [
            "id",
            "title",
            "description",
            "instructor",
            "courses",
            "price",
            "regular_price",
            "starts_at",
            "ends_at",
        ]
        read_only_fields = fields

    def get_regular_price(self, bundle: Bundle) -> Decimal:
        total = sum((course.price for course in bundle.courses.all()), Decimal("0.00"))
        return serializers.DecimalField(max_digits=12, decimal_places=2).to_representation(total)


class CampaignsSerializer(Serializer):
    courses = CourseListSerializer(
        many=True, help_text="Published courses on a time-limited discount, ending soonest first."
    )
    bundles = BundleSerializer(many=True, help_text="Bundles on sale now, ending soonest first.")

"""Coupons and course bundles in the admin, scoped per instructor like the catalog
(``courses.admin.InstructorScopedAdmin``): an instructor sees, adds and changes only their own,
for their own courses; staff see all. Writes go through the catalog's save service, which sets
the instructor on add and checks ownership on change."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from commerce.coupons import HOLDING_STATUSES
from commerce.models import Bundle, Coupon
from courses.admin import CampaignAdmin, CampaignForm


class CouponForm(CampaignForm):
    courses_required = False  # none: all of the instructor's courses


@admin.register(Coupon)
class CouponAdmin(CampaignAdmin):
    form = CouponForm
    list_display = [
        "code",
        "instructor",
        "kind",
        "value",
        "uses",
        "usage_limit",
        "valid_from",
        "valid_until",
        "state",
    ]
    list_filter = ["kind", "is_active", "instructor"]
    list_select_related = ["instructor"]
    search_fields = ["code"]
    fields = [
        "code",
        "instructor",
        "kind",
        "value",
        "courses",
        "minimum_amount",
        "usage_limit",
        "per_learner_limit",
        "valid_from",
        "valid_until",
        "is_active",
    ]

    def get_queryset(self, request):
        holding = Q(orders__status__in=HOLDING_STATUSES)
        return super().get_queryset(request).annotate(held=Count("orders", filter=holding))

    @admin.display(description=_("uses"), ordering="held")
    def uses(self, obj):
        return obj.held

    @staticmethod
    def window(obj):
        return obj.valid_from, obj.valid_until


@admin.register(Bundle)
class BundleAdmin(CampaignAdmin):
    list_display = ["title", "instructor", "price", "starts_at", "ends_at", "state"]
    list_filter = ["is_active", "instructor"]
    list_select_related = ["instructor"]
    search_fields = ["title"]
    fields = [
        "title",
        "instructor",
        "description",
        "courses",
        "price",
        "starts_at",
        "ends_at",
        "is_active",
    ]

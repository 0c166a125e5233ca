"""Coupons and course bundles in the admin, scoped per instructor like the catalog
(``courses.admin.InstructorScopedAdmin``): an instructor sees, adds and changes only their own,
for their own courses; staff see all. Writes go through the catalog's save service, which sets
the instructor on add and checks ownership on change.

Orders, for support staff only (the instructors' group has no permission on them): read-only,
with a full refund as the one action."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from commerce.coupons import HOLDING_STATUSES
from commerce.models import Bundle, Coupon, Order, OrderLine
from commerce.services import order_refund
from config.admin_mixins import ViewOnly
from courses.admin import CampaignAdmin, CampaignForm, ServiceActions


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


class OrderLineInline(ViewOnly, admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = readonly_fields = [
        "title",
        "course",
        "product",
        "unit_price",
        "quantity",
        "is_flash_price",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course", "product")


@admin.register(Order)
class OrderAdmin(ViewOnly, ServiceActions, admin.ModelAdmin):
    """Orders for support staff (instructors see theirs in the studio's dashboard and export).

    Read-only: the learner's checkout and the payment provider write orders through
    ``commerce.services``. The one action, a full refund, calls ``order_refund`` as every other
    door would; staff need the change permission on orders for it.
    """

    list_display = ["number", "user", "status", "total", "created_at", "paid_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["user"]
    search_fields = ["number", "user__username", "user__email", "payment_reference"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    actions = ["refund"]
    fields = readonly_fields = [
        "number",
        "user",
        "status",
        "total",
        "coupon",
        "coupon_discount",
        "bundle",
        "live_session",
        "payment_reference",
        "created_at",
        "paid_at",
        "cancelled_at",
        "refunded_at",
        "anonymised_at",
        "ship_recipient",
        "ship_phone",
        "ship_region",
        "ship_street",
        "ship_postal_code",
    ]

    def has_refund_permission(self, request):
        return request.user.has_perm("commerce.change_order")

    @admin.action(description=_("Refund the selected paid orders in full"), permissions=["refund"])
    def refund(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda order: order_refund(order_id=order.pk),
            done=lambda order: order.status == Order.Status.REFUNDED,
            message=ngettext_lazy(
                "%(count)d order refunded.", "%(count)d orders refunded.", "count"
            ),
        )

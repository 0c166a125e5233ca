"""Commerce: orders and their lines, delivery addresses, enrollments, lesson progress, live
reservations, and the campaigns applied at checkout (coupons and course bundles; time-limited
discounts change the listed price, so they are the catalog's: ``courses.models.Discount``).

The writes live in ``commerce.services`` and the reads in ``commerce.selectors``. The tables
were created in the ``courses`` app and moved here with their rows (``commerce/migrations``).

The rules that must hold whatever code writes the rows are database constraints: positive
quantities, amounts that are never negative, exactly one of course or product per order line,
one order per (buyer, idempotency key), one enrollment per (learner, course), one progress row per
(learner, lesson), one reservation per (learner, live session), complete delivery addresses and
at most one default address per learner. Each constraint says what is wrong in the learner's
language, on the field it concerns (``config.constraints``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from config.constraints import ConstraintErrorsOnFields
from courses.models import (
    Course,
    Discount,
    Instructor,
    Lesson,
    LiveSession,
    OwnedQuerySet,
    Product,
    TimeStamped,
    money_field,
)

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 -]{5,18}[0-9]$",
    _("Enter a phone number: digits, with spaces or dashes between them if you like."),
    code="phone",
)
postal_code_validator = RegexValidator(
    r"^[0-9]{6}$", _("A postal code has six digits."), code="postal_code"
)


class DeliveryAddress(ConstraintErrorsOnFields, TimeStamped):
    """Where a learner has physical products delivered: an entry of their address book.

    Addresses are kept per learner, reused from one order to the next and editable; an order
    copies the address it is shipped to (``Order.ship_*``), so editing or deleting an address
    never changes an order placed before. At most one of a learner's addresses is their default,
    offered first at checkout. The writes are ``commerce.services.address_*``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="delivery_addresses",
    )
    recipient = models.CharField(_("recipient"), max_length=40)
    phone = models.CharField(_("phone number"), max_length=20, validators=[phone_validator])
    region = models.CharField(
        _("province, city and district"),
        max_length=80,
        help_text=_("For example: 广东省 深圳市 南山区"),
    )
    street = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(
        _("postal code"), max_length=6, blank=True, validators=[postal_code_validator]
    )
    is_default = models.BooleanField(_("default address"), default=False)

    constraint_error_fields = {"second_default": "is_default"}

    class Meta:
        verbose_name = _("delivery address")
        verbose_name_plural = _("delivery addresses")
        ordering = ["-is_default", "-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="address_one_default_per_user",
                violation_error_code="second_default",
                violation_error_message=_("Another of the learner's addresses is the default."),
            ),
            models.CheckConstraint(
                condition=~Q(recipient="") & ~Q(phone="") & ~Q(region="") & ~Q(street=""),
                name="address_complete",
                violation_error_code="incomplete_address",
                violation_error_message=_(
                    "An address needs a recipient, a phone number, a region and a street."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.recipient} · {self.region} {self.street}"


SHIPPING_FIELDS = ("recipient", "phone", "region", "street", "postal_code")
"""What an order copies of the address it is shipped to, into ``ship_<field>``."""


coupon_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$",
    _(
        "A code has 3 to 32 letters, digits, dashes or underscores, and starts with a letter "
        "or digit."
    ),
    code="coupon_code",
)


class CouponQuerySet(OwnedQuerySet):
    def valid(self, at):
        return self.filter(is_active=True, valid_from__lte=at, valid_until__gt=at)


class Coupon(ConstraintErrorsOnFields, TimeStamped):
    """A code an instructor hands out: a percentage or an amount off their courses in one order.

    Anyone who has the code may use it on the same terms (it names no learner), between
    ``valid_from`` and ``valid_until``, at most ``usage_limit`` times in all and
    ``per_learner_limit`` times per learner, on an order whose courses of this coupon come to at
    least ``minimum_amount``. Orders pending or paid hold a use; cancelled and refunded ones give
    it back. ``commerce.coupons`` applies it; codes are unique whatever their letter case.
    """

    Kind = Discount.Kind

    instructor = models.ForeignKey(
        Instructor, verbose_name=_("instructor"), on_delete=models.CASCADE, related_name="coupons"
    )
    code = models.CharField(
        _("code"),
        max_length=32,
        validators=[coupon_code_validator],
        help_text=_("What learners type at checkout; letter case does not matter."),
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=Discount.Kind.choices, default=Discount.Kind.PERCENT
    )
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Per cent off (above 0, at most 100), or yuan off (above 0)."),
    )
    courses = models.ManyToManyField(
        Course,
        verbose_name=_("courses"),
        blank=True,
        related_name="coupons",
        help_text=_("Leave empty for all of the instructor's courses."),
    )
    minimum_amount = money_field(
        _("minimum order (CNY)"),
        default=0,
        help_text=_("The coupon's courses in the order must come to at least this."),
    )
    usage_limit = models.PositiveIntegerField(_("uses in all"), default=100)
    per_learner_limit = models.PositiveIntegerField(_("uses per learner"), default=1)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)

    owner_path = "instructor"
    objects = CouponQuerySet.as_manager()

    constraint_error_fields = {
        "coupon_code_taken": "code",
        "coupon_ends_before_start": "valid_until",
        "coupon_value_positive": "value",
        "coupon_percent_at_most_100": "value",
        "coupon_usage_limit": "usage_limit",
        "coupon_per_learner_limit": "per_learner_limit",
    }

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="coupon_code_unique_any_case",
                violation_error_code="coupon_code_taken",
                violation_error_message=_("A coupon with this code exists already."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")),
                name="coupon_ends_after_start",
                violation_error_code="coupon_ends_before_start",
                violation_error_message=_("A coupon's validity ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(value__gt=0),
                name="coupon_value_positive",
                violation_error_code="coupon_value_positive",
                violation_error_message=_("A coupon takes something off: above 0."),
            ),
            models.CheckConstraint(
                condition=Q(kind="amount") | Q(value__lte=100),
                name="coupon_percent_at_most_100",
                violation_error_code="coupon_percent_at_most_100",
                violation_error_message=_("A percentage off is at most 100."),
            ),
            models.CheckConstraint(
                condition=Q(usage_limit__gte=1),
                name="coupon_usage_limit_min_1",
                violation_error_code="coupon_usage_limit",
                violation_error_message=_("A coupon can be used at least once."),
            ),
            models.CheckConstraint(
                condition=Q(per_learner_limit__gte=1),
                name="coupon_per_learner_limit_min_1",
                violation_error_code="coupon_per_learner_limit",
                violation_error_message=_("A learner can use a coupon at least once."),
            ),
        ]

    def __str__(self):
        return self.code


class BundleQuerySet(OwnedQuerySet):
    def running(self, at):
        return self.filter(is_active=True, starts_at__lte=at, ends_at__gt=at)


class Bundle(ConstraintErrorsOnFields, TimeStamped):
    """Courses of one instructor sold together at one price (课程套餐) during a period.

    A learner who owns some of them already pays the bundle price in proportion to the regular
    prices of the courses they still lack (``commerce.bundles``), never more than those courses
    cost on their own at that moment.
    """

    instructor = models.ForeignKey(
        Instructor, verbose_name=_("instructor"), on_delete=models.CASCADE, related_name="bundles"
    )
    title = models.CharField(_("title"), max_length=80)
    description = models.CharField(_("description"), max_length=200, blank=True)
    courses = models.ManyToManyField(Course, verbose_name=_("courses"), related_name="bundles")
    price = money_field(_("bundle price (CNY)"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    is_active = models.BooleanField(_("active"), default=True)

    owner_path = "instructor"
    objects = BundleQuerySet.as_manager()

    constraint_error_fields = {
        "bundle_ends_before_start": "ends_at",
        "negative_price": "price",
    }

    class Meta:
        verbose_name = _("course bundle")
        verbose_name_plural = _("course bundles")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="bundle_ends_after_start",
                violation_error_code="bundle_ends_before_start",
                violation_error_message=_("A bundle's sale ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="bundle_price_not_negative",
                violation_error_code="negative_price",
                violation_error_message=_("The price cannot be negative."),
            ),
        ]

    def __str__(self):
        return self.title


class Order(ConstraintErrorsOnFields, TimeStamped):
    """A purchase of courses and products, with the prices of the moment it was placed.

    pending → paid → refunded, or pending → cancelled; nothing else. After the buyer's account is
    deleted the order stays for the accounts with ``user`` empty and no delivery address (see
    ``orders_anonymise_for``). An order with physical products copies the address they are
    shipped to (``ship_*``, all empty otherwise).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("order number"), max_length=24, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("buyer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=64,
        blank=True,
        help_text=_("Chosen by the client per checkout, so a retried request places one order."),
    )
    live_session = models.ForeignKey(
        LiveSession,
        verbose_name=_("bought during live session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = money_field(_("total (CNY)"))
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    ship_recipient = models.CharField(_("ship to"), max_length=40, blank=True)
    ship_phone = models.CharField(_("recipient's phone number"), max_length=20, blank=True)
    ship_region = models.CharField(_("province, city and district"), max_length=80, blank=True)
    ship_street = models.CharField(_("street address"), max_length=200, blank=True)
    ship_postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    coupon_discount = money_field(_("coupon discount (CNY)"), default=0)
    bundle = models.ForeignKey(
        Bundle,
        verbose_name=_("bundle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )

    constraint_error_fields = {
        "negative_coupon_discount": "coupon_discount",
        "duplicate_idempotency_key": "idempotency_key",
        "negative_total": "total",
        "unknown_status": "status",
        "paid_without_time": "paid_at",
    }

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                name="order_idempotency_key_once_per_user",
                violation_error_code="duplicate_idempotency_key",
                violation_error_message=_(
                    "The buyer placed an order with this idempotency key already."
                ),
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0),
                name="order_total_not_negative",
                violation_error_code="negative_total",
                violation_error_message=_("The total cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(coupon_discount__gte=0),
                name="order_coupon_discount_not_negative",
                violation_error_code="negative_coupon_discount",
                violation_error_message=_("A coupon's discount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "paid", "cancelled", "refunded"]),
                name="order_status_known",
                violation_error_code="unknown_status",
                violation_error_message=_("Unknown order status."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "refunded"]) | Q(paid_at__isnull=False),
                name="order_paid_has_time",
                violation_error_code="paid_without_time",
                violation_error_message=_("A paid or refunded order needs its payment time."),
            ),
            models.CheckConstraint(
                condition=Q(
                    ship_recipient="",
                    ship_phone="",
                    ship_region="",
                    ship_street="",
                    ship_postal_code="",
                )
                | (
                    ~Q(ship_recipient="")
                    & ~Q(ship_phone="")
                    & ~Q(ship_region="")
                    & ~Q(ship_street="")
                ),
                name="order_shipping_complete",
                violation_error_code="incomplete_shipping",
                violation_error_message=_(
                    "An order ships to a complete address (recipient, phone number, region and "
                    "street) or to none."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="order_user_created"),
            models.Index(
                fields=["coupon", "status"],
                name="order_coupon_uses",
                condition=Q(coupon__isnull=False),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def ships(self) -> bool:
        """Whether the order is delivered to an address (it has physical products)."""
        return bool(self.ship_recipient)

    def ship_to(self, address: DeliveryAddress) -> None:
        """Copy ``address`` as the one this order is shipped to."""
        for name in SHIPPING_FIELDS:
            setattr(self, f"ship_{name}", getattr(address, name))


class OrderLine(ConstraintErrorsOnFields):
    """One course or product in an order, its title and unit price copied at purchase."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
    )
    title = models.CharField(_("title at purchase"), max_length=120)
    unit_price = money_field(_("unit price at purchase (CNY)"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    is_flash_price = models.BooleanField(_("live flash price"), default=False)

    constraint_error_fields = {
        "quantity_below_1": "quantity",
        "negative_price": "unit_price",
        "course_quantity": "quantity",
    }

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(course__isnull=False, product__isnull=True)
                    | Q(course__isnull=True, product__isnull=False)
                ),
                name="order_line_course_xor_product",
                violation_error_code="course_xor_product",
                violation_error_message=_("An order line is either a course or a product."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="order_line_quantity_min_1",
                violation_error_code="quantity_below_1",
                violation_error_message=_("The quantity must be at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="order_line_price_not_negative",
                violation_error_code="negative_price",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(course__isnull=True) | Q(quantity=1),
                name="order_line_course_once",
                violation_error_code="course_quantity",
                violation_error_message=_("A course is bought once: its quantity is 1."),
            ),
        ]

    def __str__(self):
        return f"{self.title} × {self.quantity}"

    @property
    def amount(self):
        return self.unit_price * self.quantity


class Enrollment(ConstraintErrorsOnFields):
    """A learner's access to a course: bought (``order`` set) or free (``order`` empty)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrollments"
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrollments",
    )
    created_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)

    constraint_error_fields = {"already_enrolled": "course"}

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                name="enrollment_once_per_course",
                violation_error_code="already_enrolled",
                violation_error_message=_("The learner is enrolled in this course already."),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.course}"


class LessonProgress(ConstraintErrorsOnFields):
    """How far a learner got in a lesson.

    ``position_seconds`` is where they last were (to resume); ``percent_watched`` is the furthest
    share reached and never goes down; ``completed_at`` is set once it reaches
    ``commerce.services.LESSON_COMPLETE_PERCENT``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="lesson_progress",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="progress"
    )
    position_seconds = models.PositiveIntegerField(_("last position (seconds)"), default=0)
    percent_watched = models.PositiveSmallIntegerField(
        _("furthest share watched (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last watched"), auto_now=True)

    constraint_error_fields = {
        "duplicate_progress": "lesson",
        "percent_above_100": "percent_watched",
    }

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lesson"],
                name="progress_once_per_lesson",
                violation_error_code="duplicate_progress",
                violation_error_message=_("The learner's progress in this lesson exists already."),
            ),
            models.CheckConstraint(
                condition=Q(percent_watched__lte=100),
                name="progress_percent_at_most_100",
                violation_error_code="percent_above_100",
                violation_error_message=_("The share watched cannot exceed 100 per cent."),
            ),
        ]
        indexes = [models.Index(fields=["user", "-updated_at"], name="progress_user_recent")]

    def __str__(self):
        return f"{self.user} · {self.lesson} · {self.percent_watched}%"


class LiveReservation(ConstraintErrorsOnFields):
    """A learner's "remind me" for an upcoming live session.

    Cancelling keeps the row (``cancelled_at``), so reserving again never resets
    ``reminder_sent_at``: the reminder goes out at most once per learner and session.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="live_reservations",
    )
    live_session = models.ForeignKey(
        LiveSession,
        verbose_name=_("live session"),
        on_delete=models.CASCADE,
        related_name="reservations",
    )
    created_at = models.DateTimeField(_("reserved at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    constraint_error_fields = {"already_reserved": "live_session"}

    class Meta:
        verbose_name = _("live reservation")
        verbose_name_plural = _("live reservations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "live_session"],
                name="reservation_once_per_live",
                violation_error_code="already_reserved",
                violation_error_message=_("The learner has reserved this live session already."),
            )
        ]
        indexes = [
            models.Index(
                fields=["live_session"],
                name="reservation_reminder_pending",
                condition=Q(reminder_sent_at__isnull=True, cancelled_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.live_session}"

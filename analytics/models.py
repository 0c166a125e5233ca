"""Instructors' numbers: rollups of events and orders per day and per live session, and the
differentially private releases made of them.

The rollups are filled by a periodic task (``analytics.rollups``), never on page load. Each run
recomputes whole days (and whole live sessions) touched by what arrived since the previous run
and replaces their rows, so running it twice, or over a day already rolled up, counts nothing
twice. Counts of learners are counts of distinct learners (or anonymous visitors) per day:
"learner-days" when a period adds days up.

A ``Release`` is what an instructor was shown of those counts, with noise from OpenDP
(``analytics.privacy``): stored, so a repeated view shows the same figures and spends nothing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Instructor, LiveSession, Product, money_field


class Source(models.TextChoices):
    """Where a learner came from to an item, as the event says (``page``, ``request_id``)."""

    RECOMMENDED = "recommended", _("Recommended")
    SEARCH = "search", _("Search")
    DIRECT = "direct", _("Direct")
    LIVE = "live", _("Live shelf")
    VIDEO = "video", _("Short video")
    ALL = "all", _("All sources")


class ItemDay(models.Model):
    """Distinct learners who saw, clicked, opened and carted one item on one day, by source.

    The row of source ``all`` counts each learner once whatever the source; the others count
    them once per source."""

    day = models.DateField(_("day"))
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_type = models.CharField(_("object type"), max_length=8)
    object_id = models.BigIntegerField(_("object id"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    impressions = models.PositiveIntegerField(_("impressions"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    views = models.PositiveIntegerField(_("detail views"), default=0)
    carts = models.PositiveIntegerField(_("added to cart"), default=0)

    class Meta:
        verbose_name = _("item day")
        verbose_name_plural = _("item days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "object_type", "object_id", "source"], name="item_day_once"
            )
        ]
        indexes = [models.Index(fields=["instructor", "day"], name="item_day_instructor")]

    def __str__(self):
        return f"{self.day} {self.object_type}:{self.object_id} {self.source}"


class SalesDay(models.Model):
    """One item's orders on one day: placed (by creation time), paid (by payment time, with the
    amount received) and refunded (by refund time, with the amount returned). Source is
    ``live`` for orders placed during a live session, ``direct`` for all others."""

    day = models.DateField(_("day"))
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_type = models.CharField(_("object type"), max_length=8)
    object_id = models.BigIntegerField(_("object id"))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    orders = models.PositiveIntegerField(_("orders placed"), default=0)
    paid = models.PositiveIntegerField(_("orders paid"), default=0)
    units = models.PositiveIntegerField(_("units paid"), default=0)
    revenue = money_field(_("revenue (CNY)"), default=0)
    refunded = models.PositiveIntegerField(_("orders refunded"), default=0)
    refunds = money_field(_("refunds (CNY)"), default=0)

    class Meta:
        verbose_name = _("sales day")
        verbose_name_plural = _("sales days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "object_type", "object_id", "source"], name="sales_day_once"
            )
        ]
        indexes = [models.Index(fields=["instructor", "day"], name="sales_day_instructor")]

    def __str__(self):
        return f"{self.day} {self.object_type}:{self.object_id} {self.source}"


DROP_OFF_STEPS = 11
"""``WatchDay.reached[k]``: learners whose furthest point was at least k tenths of the item."""


class WatchDay(models.Model):
    """How far learners got in one lesson or short video on one day: ``reached[0]`` learners
    started it, ``reached[k]`` got at least k×10% through it (their furthest point that day)."""

    day = models.DateField(_("day"))
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_type = models.CharField(_("object type"), max_length=8)
    object_id = models.BigIntegerField(_("object id"))
    reached = models.JSONField(_("learners reaching each tenth"), default=list)

    class Meta:
        verbose_name = _("watch day")
        verbose_name_plural = _("watch days")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "object_type", "object_id"], name="watch_day_once"
            )
        ]
        indexes = [models.Index(fields=["instructor", "day"], name="watch_day_instructor")]

    def __str__(self):
        return f"{self.day} {self.object_type}:{self.object_id}"


LIVE_BUCKET_MINUTES = 5


class LiveBucket(models.Model):
    """Five minutes of a live session (``minute`` from its scheduled start): distinct viewers,
    and the messages the audience posted in the room (``liveroom.selectors.
    room_messages_per_minute``: chat and 弹幕, not removed ones, not the moderators' own).

    ``chat_messages`` is a count of messages, exact (not a count of learners: see
    docs/analytics.md for why it needs no noise); empty on rows rolled up before the room's
    messages were counted ("not measured")."""

    live_session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    minute = models.PositiveIntegerField(_("minutes from the start"))
    viewers = models.PositiveIntegerField(_("viewers"), default=0)
    chat_messages = models.PositiveIntegerField(
        _("chat messages"),
        null=True,
        blank=True,
        help_text=_(
            "Messages the audience posted in the live room in these five minutes (chat and "
            "danmaku, without removed ones and the moderators' own); empty when not measured."
        ),
    )

    class Meta:
        verbose_name = _("live bucket")
        verbose_name_plural = _("live buckets")
        constraints = [
            models.UniqueConstraint(fields=["live_session", "minute"], name="live_bucket_once")
        ]
        indexes = [models.Index(fields=["instructor"], name="live_bucket_instructor")]

    def __str__(self):
        return f"{self.live_session_id} +{self.minute} min"


class LiveShelfBucket(models.Model):
    """Five minutes of one product on a live session's shelf: distinct learners who clicked it
    on the shelf, and the orders paid for it during the session."""

    live_session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    instructor = models.ForeignKey(
        Instructor, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    minute = models.PositiveIntegerField(_("minutes from the start"))
    clicks = models.PositiveIntegerField(_("shelf clicks"), default=0)
    paid = models.PositiveIntegerField(_("orders paid"), default=0)
    units = models.PositiveIntegerField(_("units paid"), default=0)
    revenue = money_field(_("revenue (CNY)"), default=0)

    class Meta:
        verbose_name = _("live shelf bucket")
        verbose_name_plural = _("live shelf buckets")
        constraints = [
            models.UniqueConstraint(
                fields=["live_session", "product", "minute"], name="live_shelf_bucket_once"
            )
        ]
        indexes = [models.Index(fields=["instructor"], name="live_shelf_instructor")]

    def __str__(self):
        return f"{self.live_session_id}/{self.product_id} +{self.minute} min"


class RollupCursor(models.Model):
    """How far the rollups have read: the newest event id and the newest order change seen."""

    name = models.CharField(max_length=16, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    orders_changed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.name} @ {self.last_event_id}"


class Release(models.Model):
    """Noisy counts shown to one instructor for one period, made once per day and period.

    ``figures`` maps a count's key to its released value (``null`` when suppressed). The budget
    spent on a day is the sum of ``epsilon`` over that day's releases."""

    instructor = models.ForeignKey(Instructor, on_delete=models.CASCADE, related_name="+")
    released_on = models.DateField(_("released on"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    epsilon = models.FloatField(_("epsilon"))
    figures = models.JSONField(_("released figures"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("privacy release")
        verbose_name_plural = _("privacy releases")
        constraints = [
            models.UniqueConstraint(
                fields=["instructor", "released_on", "period_start", "period_end"],
                name="release_once_per_day_and_period",
            )
        ]

    def __str__(self):
        return f"{self.instructor_id} {self.period_start}–{self.period_end} @ {self.released_on}"

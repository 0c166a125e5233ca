"""The rollups hold exactly what the hand-made events and orders say, however often they run."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from analytics.models import (
    ItemDay,
    LiveBucket,
    LiveShelfBucket,
    RollupCursor,
    SalesDay,
    WatchDay,
)
from analytics.rollups import rollup_day, rollup_live, rollup_run
from analytics.tasks import rollup
from commerce.models import Order
from liveroom import services as liveroom_services
from tests.analytics.conftest import DAY, at, event, message

STAGES = ("impressions", "clicks", "views", "carts")


def funnel(obj_type, obj_id, source="all", day=DAY):
    row = ItemDay.objects.filter(
        day=day, object_type=obj_type, object_id=obj_id, source=source
    ).first()
    return tuple(getattr(row, s) for s in STAGES) if row else None


def snapshot():
    return {
        "items": sorted(
            (
                str(r.day),
                r.object_type,
                r.object_id,
                r.source,
                r.instructor_id,
                r.impressions,
                r.clicks,
                r.views,
                r.carts,
            )
            for r in ItemDay.objects.all()
        ),
        "sales": sorted(
            (
                str(r.day),
                r.object_type,
                r.object_id,
                r.source,
                r.orders,
                r.paid,
                r.units,
                r.revenue,
                r.refunded,
                r.refunds,
            )
            for r in SalesDay.objects.all()
        ),
        "watch": sorted(
            (str(r.day), r.object_type, r.object_id, tuple(r.reached))
            for r in WatchDay.objects.all()
        ),
        "live": sorted((r.minute, r.viewers, r.chat_messages) for r in LiveBucket.objects.all()),
        "shelf": sorted(
            (r.product_id, r.minute, r.clicks, r.paid, r.units, r.revenue)
            for r in LiveShelfBucket.objects.all()
        ),
    }


def test_funnel_counts_distinct_learners_per_day_and_source(world):
    rollup_run()
    c = world.course.pk
    assert funnel("course", c) == (3, 1, 1, 1)  # l1, l2, the visitor; l1 once
    assert funnel("course", c, "recommended") == (1, 1, 0, 0)
    assert funnel("course", c, "search") == (1, 0, 0, 0)
    assert funnel("course", c, "direct") == (1, 0, 1, 1)
    assert funnel("video", world.video.pk, "video") == (1, 0, 0, 0)
    mine = ItemDay.objects.filter(object_type="course", object_id=c)
    assert set(mine.values_list("instructor_id", flat=True)) == {world.a.pk}
    theirs = ItemDay.objects.get(
        object_type="course", object_id=world.other_course.pk, source="all"
    )
    assert theirs.instructor_id == world.b.pk and theirs.impressions == 1


def test_watch_rollup_keeps_each_learners_furthest_point(world):
    rollup_run()
    lesson = WatchDay.objects.get(object_type="lesson", object_id=world.lesson.pk)
    assert lesson.reached == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert lesson.instructor_id == world.a.pk
    video = WatchDay.objects.get(object_type="video", object_id=world.video.pk)
    assert video.reached == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]


def test_sales_by_day_of_placing_paying_and_refunding(world):
    rollup_run()
    course = SalesDay.objects.get(day=DAY, object_type="course", object_id=world.course.pk)
    assert (course.orders, course.paid, course.units, course.revenue) == (2, 1, 1, Decimal("99"))
    assert course.source == "direct" and course.instructor_id == world.a.pk
    product = SalesDay.objects.get(day=DAY, object_type="product", object_id=world.product.pk)
    assert (product.source, product.orders, product.paid, product.units, product.revenue) == (
        "live",
        1,
        1,
        2,
        Decimal("118"),
    )
    refund = SalesDay.objects.get(
        day=DAY + timedelta(days=1), object_type="product", object_id=world.product.pk
    )
    assert (refund.refunded, refund.refunds, refund.paid, refund.revenue) == (
        1,
        Decimal("118"),
        0,
        Decimal("0"),
    )
    theirs = SalesDay.objects.get(object_type="course", object_id=world.other_course.pk)
    assert theirs.instructor_id == world.b.pk and theirs.revenue == Decimal("10")


def test_live_viewers_in_five_minute_buckets_and_shelf_sales(world):
    rollup_run()
    assert sorted(LiveBucket.objects.values_list("minute", "viewers", "chat_messages")) == [
        (0, 1, 0),  # counted: nobody chatted
        (5, 2, 0),
    ]
    assert list(
        LiveShelfBucket.objects.values_list(
            "product_id", "minute", "clicks", "paid", "units", "revenue"
        )
    ) == [(world.product.pk, 5, 1, 1, 2, Decimal("118"))]


def test_the_audiences_messages_per_five_minutes_beside_the_viewers(chatter):
    rollup_run()
    assert sorted(LiveBucket.objects.values_list("minute", "viewers", "chat_messages")) == [
        (0, 1, 2),  # a chat and a 弹幕
        (5, 2, 1),
        (30, 0, 1),  # chatting, with no viewer event in those five minutes
    ]
    assert set(LiveBucket.objects.values_list("instructor_id", flat=True)) == {chatter.a.pk}


def test_a_message_removed_after_the_rollup_leaves_the_count(chatter):
    late = message(chatter.live, chatter.learners[0], at(20, 32))
    rollup_run()
    assert LiveBucket.objects.get(minute=30).chat_messages == 2
    Order.objects.update(updated_at=timezone.now() - timedelta(days=1))
    assert rollup_run().live_sessions == []  # nothing new
    liveroom_services.message_delete(user=chatter.a.user, message_id=late.pk)
    result = rollup_run()  # no new event or order: the removal brings the live back
    assert result.live_sessions == [chatter.live.pk]
    assert LiveBucket.objects.get(minute=30).chat_messages == 1


def test_running_again_counts_nothing_twice(world):
    rollup_run()
    first = snapshot()
    rollup_run()  # nothing new; orders changed just before the cursor are read again
    assert snapshot() == first
    rollup_day(DAY)
    rollup_live(world.live.pk)
    RollupCursor.objects.update(last_event_id=0, orders_changed_at=None)  # read everything again
    again = rollup_run()
    assert DAY in again.days and world.live.pk in again.live_sessions
    assert snapshot() == first


def test_new_events_update_only_their_days(world):
    rollup_run()
    learner = world.learners[2]
    event("impression", world.course, user=learner, when=at(15))
    event("impression", world.course, user=learner, when=at(15, 0, DAY + timedelta(days=3)))
    result = rollup_run()
    assert {DAY, DAY + timedelta(days=3)} <= set(result.days)
    assert funnel("course", world.course.pk) == (4, 1, 1, 1)
    assert funnel("course", world.course.pk, day=DAY + timedelta(days=3)) == (1, 0, 0, 0)


def test_a_paid_order_later_refunded_moves_into_the_refund_day(world):
    rollup_run()
    from commerce.services import order_refund

    paid = world.course.order_lines.filter(order__status="paid").get().order
    order_refund(order_id=paid.pk)
    rollup_run()
    refunds = SalesDay.objects.filter(
        object_type="course", object_id=world.course.pk, refunded=1
    ).get()
    assert refunds.refunds == Decimal("99") and refunds.day >= DAY


def test_the_periodic_task_is_scheduled_and_rolls_up(world, settings):
    assert settings.CELERY_BEAT_SCHEDULE["analytics-rollup"]["task"] == "analytics.tasks.rollup"
    assert rollup.apply().get() == {"days": 2, "live_sessions": 1}
    assert funnel("course", world.course.pk) == (3, 1, 1, 1)


def test_a_deleted_live_session_is_skipped(world):
    rollup_live(10**9)
    assert not LiveBucket.objects.exists()


def test_rows_name_what_they_count(world):
    rollup_run()
    assert str(
        ItemDay.objects.get(object_type="course", object_id=world.course.pk, source="all")
    ).startswith(str(DAY))
    assert "course" in str(SalesDay.objects.first())
    assert str(WatchDay.objects.first()).startswith(str(DAY))
    assert str(LiveBucket.objects.first()).endswith("min")
    assert str(LiveShelfBucket.objects.first()).endswith("min")
    assert str(RollupCursor.objects.get()).startswith("rollups")

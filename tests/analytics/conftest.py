"""A small hand-made world for the instructors' numbers: two instructors, a few learners, events
and orders on one known day, whose rollups the tests know by heart."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from commerce.models import Order, OrderLine
from courses.models import Course, Instructor, Lesson, LiveSession, Product, ShortVideo
from liveroom.models import Message
from recommendations.models import Event
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    UserFactory,
)

DAY = date(2026, 11, 10)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A local time (Asia/Shanghai) on ``day``."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def event(kind, obj, *, user=None, visitor="", when=None, value=None, page="", request_id=None):
    object_type = {
        Course: "course",
        Lesson: "lesson",
        LiveSession: "live",
        ShortVideo: "video",
        Product: "product",
    }[type(obj)]
    when = when or at(10)
    return Event.objects.create(
        user=user,
        visitor_id="" if user else visitor,
        event_type=kind,
        object_type=object_type,
        object_id=obj.pk,
        value=value,
        page=page,
        request_id=request_id,
        client=Event.Client.SERVER if kind in Event.SERVER_ONLY_TYPES else Event.Client.WEB,
        client_ts=when,
        server_ts=when,
    )


def message(live, author, when, *, kind=Message.Kind.CHAT, deleted=False):
    """A message posted in ``live``'s room at ``when`` (removed by a moderator if ``deleted``)."""
    posted = Message.objects.create(live_session=live, author=author, kind=kind, text="老师好")
    Message.objects.filter(pk=posted.pk).update(
        created_at=when, deleted_at=when + timedelta(minutes=1) if deleted else None
    )
    return posted


@pytest.fixture
def chatter(world):
    """The audience's messages in A's live (20:00–22:00): two in its first five minutes (a chat
    and a 弹幕), one at 20:07 and one at 20:31; not counted: one removed, the instructor's own,
    a superuser's, one before the start and one after the end."""
    l1, l2, l3 = world.learners
    message(world.live, l1, at(20, 3))
    message(world.live, l2, at(20, 4), kind=Message.Kind.DANMAKU)
    message(world.live, l2, at(20, 7))
    message(world.live, l3, at(20, 31))
    message(world.live, l1, at(20, 11), deleted=True)
    message(world.live, world.a.user, at(20, 12))
    message(world.live, UserFactory(is_staff=True, is_superuser=True), at(20, 13))
    message(world.live, l3, at(19, 50))
    message(world.live, l1, at(22, 1))
    return world


_numbers = iter(range(1, 10_000))


def order(buyer, lines, *, created, paid=None, refunded=None, live=None):
    """An order of ``lines`` [(course or product, unit price, quantity)]."""
    status = Order.Status.PENDING
    if paid:
        status = Order.Status.REFUNDED if refunded else Order.Status.PAID
    placed = Order.objects.create(
        number=f"T{next(_numbers):08d}",
        user=buyer,
        status=status,
        total=sum(Decimal(price) * quantity for _, price, quantity in lines),
        paid_at=paid,
        refunded_at=refunded,
        live_session=live,
        idempotency_key=str(uuid.uuid4()),
    )
    Order.objects.filter(pk=placed.pk).update(created_at=created)
    for item, price, quantity in lines:
        OrderLine.objects.create(
            order=placed,
            course=item if isinstance(item, Course) else None,
            product=item if isinstance(item, Product) else None,
            title=item.title,
            unit_price=Decimal(price),
            quantity=quantity,
        )
    return placed


@dataclass
class World:
    a: Instructor
    b: Instructor
    course: Course
    lesson: Lesson
    video: ShortVideo
    product: Product
    live: LiveSession
    other_course: Course
    learners: list


@pytest.fixture
def world(db):
    a = InstructorFactory(display_name="甲老师", user__username="teacher1a")
    b = InstructorFactory(display_name="乙老师", user__username="teacher2b")
    course = CourseFactory(instructor=a, title="甲的课程")
    lesson = LessonFactory(chapter__course=course, title="甲的课时", duration_seconds=600)
    video = ShortVideoFactory(instructor=a, title="甲的短视频", duration_seconds=60)
    product = ProductFactory(instructor=a, title="甲的商品", price=Decimal("59.00"))
    live = LiveSessionFactory(
        instructor=a, title="甲的直播", scheduled_start=at(20), scheduled_end=at(22)
    )
    LiveShelfItemFactory(live_session=live, product=product, is_pinned=True)
    other_course = CourseFactory(instructor=b, title="乙的课程")
    l1, l2, l3 = (UserFactory(username=f"learner-{n}") for n in (1, 2, 3))
    rid = uuid.uuid4()
    # Funnel of A's course on DAY.
    event("impression", course, user=l1, request_id=rid, page="home_courses")
    event("impression", course, user=l1, request_id=rid, page="home_courses")  # same learner
    event("click", course, user=l1, request_id=rid, page="home_courses")
    event("view", course, user=l1, page="course")
    event("cart", course, user=l1)
    event("impression", course, user=l2, page="search")
    event("impression", course, visitor="visitor-1")
    event("impression", other_course, user=l1)  # B's
    event("impression", video, user=l3, page="feed")
    # Watching: l1 got to 95% of the lesson (35% first), l2 to 10%; l3 half the video.
    event("watch", lesson, user=l1, value=0.35)
    event("watch", lesson, user=l1, value=0.95)
    event("watch", lesson, user=l2, value=0.1)
    event("watch", video, user=l3, value=0.5)
    # The live session: viewers at 20:02 (l1), 20:07 (l2, l1 again); a shelf click by l2.
    event("view", live, user=l1, when=at(20, 2))
    event("watch", live, user=l2, when=at(20, 7), value=0.1)
    event("watch", live, user=l1, when=at(20, 8), value=0.2)
    event("click", product, user=l2, when=at(20, 6), page="live_shelf")
    event("view", live, user=l3, when=at(19, 0))  # before it started: not a viewer
    # Orders: l1 buys the course at 11:00; l2 buys two products during the live at 20:09,
    # refunded the next day; l3 leaves an order unpaid; l1 buys B's course.
    order(l1, [(course, "99.00", 1)], created=at(10, 58), paid=at(11))
    order(
        l2,
        [(product, "59.00", 2)],
        created=at(20, 9),
        paid=at(20, 9),
        refunded=at(9, 0, DAY + timedelta(days=1)),
        live=live,
    )
    order(l3, [(course, "99.00", 1)], created=at(12))
    order(l1, [(other_course, "10.00", 1)], created=at(13), paid=at(13))
    return World(a, b, course, lesson, video, product, live, other_course, [l1, l2, l3])

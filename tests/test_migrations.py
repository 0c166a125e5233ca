"""Commerce moved out of the ``courses`` app: a database that holds the old layout's data keeps
every row through the migrations, with its relations, permissions and constraints."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from commerce.models import Enrollment, LessonProgress, LiveReservation, Order, OrderLine

OLD_LAYOUT = [("commerce", None)]  # courses.0003: commerce's tables still in ``courses``


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    # The models as the applied migrations left them (what django-test-migrations reads too).
    executor = MigrationExecutor(connection)
    return executor._create_project_state(with_applied_migrations=True).apps


def _seed_old_layout(apps):
    """A learner who bought a course and a product, enrolled, watched and reserved: the rows the
    demo's learners have, written through the models as they were before the move."""
    User = apps.get_model("accounts", "User")
    Instructor = apps.get_model("courses", "Instructor")
    Category = apps.get_model("courses", "Category")
    Course = apps.get_model("courses", "Course")
    Chapter = apps.get_model("courses", "Chapter")
    Lesson = apps.get_model("courses", "Lesson")
    Product = apps.get_model("courses", "Product")
    LiveSession = apps.get_model("courses", "LiveSession")
    now = timezone.now()
    teacher = User.objects.create(username="teacher-old", email="t@old.example")
    learner = User.objects.create(username="learner-old", email="l@old.example")
    instructor = Instructor.objects.create(user=teacher, display_name="老师", slug="old-teacher")
    category = Category.objects.create(name="旧分类", slug="old-category")
    course = Course.objects.create(
        instructor=instructor,
        category=category,
        title="旧课程",
        slug="old-course",
        price=Decimal("49.00"),
        status="published",
        published_at=now,
    )
    lesson = Lesson.objects.create(
        course=course,
        chapter=Chapter.objects.create(course=course, title="第一章", position=1),
        title="第一课",
        position=1,
        duration_seconds=600,
    )
    product = Product.objects.create(
        instructor=instructor, title="旧书", slug="old-book", price=Decimal("30.00"), stock=5
    )
    live = LiveSession.objects.create(
        instructor=instructor,
        title="旧直播",
        slug="old-live",
        scheduled_start=now + timedelta(hours=1),
        scheduled_end=now + timedelta(hours=2),
    )
    order = apps.get_model("courses", "Order").objects.create(
        number="ZBOLD0000000001",
        user=learner,
        idempotency_key="old-key",
        status="paid",
        total=Decimal("109.00"),
        paid_at=now,
    )
    OrderLine = apps.get_model("courses", "OrderLine")
    OrderLine.objects.create(order=order, course=course, title="旧课程", unit_price=Decimal("49"))
    OrderLine.objects.create(
        order=order, product=product, title="旧书", unit_price=Decimal("30"), quantity=2
    )
    apps.get_model("courses", "Enrollment").objects.create(user=learner, course=course, order=order)
    apps.get_model("courses", "LessonProgress").objects.create(
        user=learner, lesson=lesson, position_seconds=300, percent_watched=50
    )
    apps.get_model("courses", "LiveReservation").objects.create(user=learner, live_session=live)
    return order.pk


@pytest.mark.django_db(transaction=True)
def test_the_old_layouts_orders_enrollments_progress_and_reservations_survive_the_move():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = _migrate(OLD_LAYOUT)
    assert "courses_order" in connection.introspection.table_names()
    order_id = _seed_old_layout(old_apps)

    _migrate(latest)

    tables = connection.introspection.table_names()
    assert "commerce_order" in tables and "courses_order" not in tables
    order = Order.objects.get(pk=order_id)
    assert (order.number, order.status, order.total) == ("ZBOLD0000000001", "paid", Decimal("109"))
    assert sorted(OrderLine.objects.filter(order=order).values_list("title", "quantity")) == [
        ("旧书", 2),
        ("旧课程", 1),
    ]
    enrollment = Enrollment.objects.get(user__username="learner-old")
    assert enrollment.order_id == order_id and enrollment.course.slug == "old-course"
    assert LessonProgress.objects.get(user__username="learner-old").percent_watched == 50
    assert LiveReservation.objects.get(user__username="learner-old").live_session.slug == "old-live"
    # New rows take ids after the moved ones, and the constraints still hold.
    second = Order.objects.create(
        number="ZBNEW", user=order.user, idempotency_key="new-key", total=Decimal("1.00")
    )
    assert second.pk > order_id
    with pytest.raises(Exception):  # noqa: B017 -- IntegrityError, whichever database
        Order.objects.create(
            number="ZBDUP", user=order.user, idempotency_key="old-key", total=Decimal("1.00")
        )


@pytest.mark.django_db(transaction=True)
def test_the_moved_models_keep_their_permissions():
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    _migrate(OLD_LAYOUT)
    ContentType.objects.get_or_create(app_label="courses", model="order")
    old = ContentType.objects.get(app_label="courses", model="order")
    permission, _ = Permission.objects.get_or_create(
        content_type=old, codename="view_order", defaults={"name": "Can view order"}
    )
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    permission.refresh_from_db()
    assert permission.content_type.app_label == "commerce"

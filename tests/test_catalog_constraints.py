"""The database itself rejects rows that would make the catalog wrong."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Category, Course, LiveShelfItem, Product, ShortVideo, Tag
from tests.factories import (
    CategoryFactory,
    ChapterFactory,
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    ShortVideoFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def rejected_by_database(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_course_price_cannot_be_negative():
    rejected_by_database(lambda: CourseFactory(price=Decimal("-1.00")))


def test_course_list_price_cannot_be_below_its_price():
    rejected_by_database(lambda: CourseFactory(price=Decimal("99"), list_price=Decimal("50")))


def test_course_list_price_may_be_empty_or_higher():
    CourseFactory(price=Decimal("99"), list_price=None)
    CourseFactory(price=Decimal("99"), list_price=Decimal("199"))


def test_published_course_needs_a_publication_time():
    rejected_by_database(lambda: CourseFactory(status=Course.Status.PUBLISHED, published_at=None))


def test_course_slugs_are_unique():
    CourseFactory(slug="python-101")
    rejected_by_database(lambda: CourseFactory(slug="python-101"))


def test_product_price_and_stock_cannot_be_negative():
    rejected_by_database(lambda: ProductFactory(price=Decimal("-0.01")))
    product = ProductFactory(stock=1)
    rejected_by_database(lambda: Product.objects.filter(pk=product.pk).update(stock=-1))


def test_product_list_price_cannot_be_below_its_price():
    rejected_by_database(lambda: ProductFactory(price=Decimal("80"), list_price=Decimal("79.99")))


def test_product_slugs_are_unique():
    ProductFactory(slug="yoga-mat")
    rejected_by_database(lambda: ProductFactory(slug="yoga-mat"))


def test_live_session_must_end_after_it_starts():
    start = timezone.now()
    rejected_by_database(lambda: LiveSessionFactory(scheduled_start=start, scheduled_end=start))


def test_short_video_duration_must_be_positive():
    rejected_by_database(lambda: ShortVideoFactory(duration_seconds=0))


def test_short_video_slugs_are_unique():
    ShortVideoFactory(slug="clip")
    rejected_by_database(lambda: ShortVideo.objects.create(**_video_fields(slug="clip")))


def _video_fields(**overrides):
    return {
        "instructor": InstructorFactory(),
        "title": "clip",
        "video_url": "https://media.zhibo.local/v.mp4",
        "duration_seconds": 30,
        **overrides,
    }


def test_tag_names_and_slugs_are_unique():
    TagFactory(name="入门", slug="rumen")
    rejected_by_database(lambda: Tag.objects.create(name="入门", slug="other"))
    rejected_by_database(lambda: Tag.objects.create(name="other", slug="rumen"))


def test_category_cannot_be_its_own_parent():
    category = CategoryFactory()
    rejected_by_database(lambda: Category.objects.filter(pk=category.pk).update(parent=category))


def test_category_names_are_unique_under_one_parent():
    parent = CategoryFactory()
    CategoryFactory(parent=parent, name="入门")
    rejected_by_database(lambda: CategoryFactory(parent=parent, name="入门"))


def test_category_tree_has_two_levels():
    top = CategoryFactory()
    child = CategoryFactory(parent=top)
    grandchild = Category(name="第三层", slug="third", parent=child)
    with pytest.raises(ValidationError, match="two levels"):
        grandchild.full_clean()


def test_chapter_and_lesson_positions_are_unique():
    chapter = ChapterFactory(position=1)
    rejected_by_database(lambda: ChapterFactory(course=chapter.course, position=1))
    LessonFactory(chapter=chapter, position=1)
    rejected_by_database(lambda: LessonFactory(chapter=chapter, position=1))


def test_lesson_chapter_must_belong_to_the_lessons_course():
    lesson = LessonFactory.build(chapter=ChapterFactory(), course=CourseFactory())
    with pytest.raises(ValidationError, match="another course"):
        lesson.full_clean()


def test_shelf_holds_a_product_once_and_pins_at_most_one():
    item = LiveShelfItemFactory(is_pinned=True)
    live = item.live_session
    rejected_by_database(lambda: LiveShelfItemFactory(live_session=live, product=item.product))
    rejected_by_database(lambda: LiveShelfItemFactory(live_session=live, is_pinned=True))
    LiveShelfItemFactory(live_session=live, is_pinned=False)


def test_flash_price_needs_a_whole_window_that_ends_after_it_starts():
    live = LiveSessionFactory()
    start = live.scheduled_start
    rejected_by_database(lambda: LiveShelfItemFactory(live_session=live, flash_price=Decimal("9")))
    rejected_by_database(
        lambda: LiveShelfItemFactory(
            live_session=live, flash_price=Decimal("9"), flash_starts_at=start, flash_ends_at=start
        )
    )
    rejected_by_database(
        lambda: LiveShelfItemFactory(
            live_session=live,
            flash_price=Decimal("-1"),
            flash_starts_at=start,
            flash_ends_at=start + timedelta(minutes=10),
        )
    )


def test_flash_window_must_lie_inside_the_live_session():
    item = LiveShelfItemFactory.build(
        live_session=LiveSessionFactory(),
        flash_price=Decimal("9.90"),
    )
    item.product = ProductFactory(instructor=item.live_session.instructor)
    item.flash_starts_at = item.live_session.scheduled_start - timedelta(minutes=5)
    item.flash_ends_at = item.live_session.scheduled_start + timedelta(minutes=5)
    with pytest.raises(ValidationError, match="within the live session"):
        item.full_clean()


def test_flash_price_cannot_exceed_the_price():
    live = LiveSessionFactory()
    item = LiveShelfItem(
        live_session=live,
        product=ProductFactory(instructor=live.instructor, price=Decimal("10")),
        flash_price=Decimal("11"),
        flash_starts_at=live.scheduled_start,
        flash_ends_at=live.scheduled_end,
    )
    with pytest.raises(ValidationError, match="cannot exceed"):
        item.full_clean()


def test_only_the_instructors_own_products_and_courses_can_be_linked():
    live = LiveSessionFactory()
    foreign = LiveShelfItem(live_session=live, product=ProductFactory())
    with pytest.raises(ValidationError, match="own products"):
        foreign.full_clean()
    live.course = CourseFactory()
    with pytest.raises(ValidationError, match="another instructor"):
        live.full_clean()
    video = ShortVideoFactory.build(instructor=InstructorFactory(), course=CourseFactory())
    with pytest.raises(ValidationError, match="another instructor"):
        video.full_clean()

"""factory_boy factories for the catalog and accounts."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from courses.models import (
    Category,
    Chapter,
    Course,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    Product,
    ShortVideo,
    Tag,
)

PASSWORD = "pass-word-123"


def tags_post_generation():
    """``XFactory(tags=[...])`` sets the many-to-many tags after the row exists."""

    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)

    return factory.post_generation(tags)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instructor
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_staff=True)
    display_name = factory.Sequence(lambda n: f"讲师{n}")
    slug = factory.Sequence(lambda n: f"instructor-{n}")

    @factory.post_generation
    def in_group(obj, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name="Instructors")
            obj.user.groups.add(group)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分类{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"标签{n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        skip_postgeneration_save = True
        model = Course

    instructor = factory.SubFactory(InstructorFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"课程{n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    price = Decimal("99.00")
    status = Course.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    tags = tags_post_generation()


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"第{n}章")
    position = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    chapter = factory.SubFactory(ChapterFactory)
    course = factory.SelfAttribute("chapter.course")
    title = factory.Sequence(lambda n: f"第{n}课")
    position = factory.Sequence(lambda n: n)
    duration_seconds = 600
    video_url = "https://media.zhibo.local/lessons/demo.mp4"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        skip_postgeneration_save = True
        model = Product

    instructor = factory.SubFactory(InstructorFactory)
    title = factory.Sequence(lambda n: f"好物{n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("59.00")
    stock = 100
    tags = tags_post_generation()


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        skip_postgeneration_save = True
        model = LiveSession

    instructor = factory.SubFactory(InstructorFactory)
    title = factory.Sequence(lambda n: f"直播{n}")
    slug = factory.Sequence(lambda n: f"live-{n}")
    scheduled_start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    scheduled_end = factory.LazyAttribute(lambda o: o.scheduled_start + timedelta(hours=2))
    tags = tags_post_generation()


class LiveShelfItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveShelfItem

    live_session = factory.SubFactory(LiveSessionFactory)
    product = factory.SubFactory(
        ProductFactory, instructor=factory.SelfAttribute("..live_session.instructor")
    )
    position = factory.Sequence(lambda n: n)


class ShortVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        skip_postgeneration_save = True
        model = ShortVideo

    instructor = factory.SubFactory(InstructorFactory)
    title = factory.Sequence(lambda n: f"短视频{n}")
    slug = factory.Sequence(lambda n: f"video-{n}")
    video_url = "https://media.zhibo.local/videos/demo.mp4"
    duration_seconds = 45
    tags = tags_post_generation()


def short_videos_a_minute_apart(count: int, *, title: str, tag, tagged=()) -> list:
    """``count`` published short videos, newest first a minute apart, titled ``title`` and their
    index; those whose index is in ``tagged`` carry ``tag``."""
    now = timezone.now()
    return [
        ShortVideoFactory(
            title=f"{title}{i}",
            published_at=now - timedelta(minutes=i),
            tags=[tag] if i in tagged else [],
        )
        for i in range(count)
    ]

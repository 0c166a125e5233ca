"""The admin shows each instructor their own catalog rows and nothing of anyone else's.

Two instructors, A and B, each own a course (with a chapter and a lesson), a product, a live
session (with that product on its shelf) and a short video. The tests log in as A and try to
reach, list, choose and act on B's rows.
"""

import importlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.admin import LiveShelfItemInline
from courses.models import (
    Chapter,
    Course,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    Product,
    ShortVideo,
)
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
    UserFactory,
)

# Catalog attribute -> the admin's model name, for every model with its own admin pages.
ADMIN_MODELS = {
    "instructor": "instructor",
    "course": "course",
    "chapter": "chapter",
    "lesson": "lesson",
    "live": "livesession",
    "video": "shortvideo",
    "product": "product",
}
OBJECT_VIEWS = ["change", "delete", "history"]

EXPECTED_GROUP_PERMISSIONS = {
    *(
        f"{action}_{model}"
        for model in [
            "course",
            "chapter",
            "lesson",
            "livesession",
            "liveshelfitem",
            "shortvideo",
            "product",
        ]
        for action in ["add", "change", "delete", "view"]
    ),
    "view_instructor",
    "change_instructor",
    "view_category",
    "view_tag",
    "add_tag",
}
# Given by courses/migrations/0008_lesson_kinds.py (images for article lessons).
ARTICLE_IMAGE_PERMISSIONS = {
    f"{action}_articleimage" for action in ["add", "change", "delete", "view"]
}
# Given by courses/migrations/0011_media_assets_for_instructors.py: instructors' own video files.
MEDIA_PERMISSIONS = {f"{action}_mediaasset" for action in ["add", "change", "delete", "view"]}
# Given by social/migrations: instructors read and answer the reviews and comments of their own
# courses and videos (deleting is moderation, for staff).
SOCIAL_PERMISSIONS = {"view_review", "change_review", "view_videocomment", "change_videocomment"}
# Given by commerce/migrations/0006_campaigns_for_instructors.py: their own campaigns.
CAMPAIGN_PERMISSIONS = {
    f"{action}_{model}"
    for model in ["discount", "coupon", "bundle"]
    for action in ["add", "change", "delete", "view"]
}


@dataclass
class Catalog:
    instructor: Instructor
    course: Course
    chapter: Chapter
    lesson: Lesson
    product: Product
    live: LiveSession
    shelf_item: LiveShelfItem
    video: ShortVideo

    @classmethod
    def create(cls, name):
        instructor = InstructorFactory(
            display_name=f"{name}-teacher", user__username=f"teacher-{name}"
        )
        course = CourseFactory(instructor=instructor, title=f"{name}-course")
        chapter = ChapterFactory(course=course, title=f"{name}-chapter")
        product = ProductFactory(instructor=instructor, title=f"{name}-product")
        live = LiveSessionFactory(instructor=instructor, course=course, title=f"{name}-live")
        video = ShortVideoFactory(instructor=instructor, course=course, title=f"{name}-video")
        video.products.add(product)
        return cls(
            instructor=instructor,
            course=course,
            chapter=chapter,
            lesson=LessonFactory(chapter=chapter, title=f"{name}-lesson"),
            product=product,
            live=live,
            shelf_item=LiveShelfItemFactory(live_session=live, product=product),
            video=video,
        )

    def names(self):
        return [str(getattr(self, attr)) for attr in ADMIN_MODELS] + [self.instructor.user.username]


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def a(db):
    return Catalog.create("A")


@pytest.fixture
def b(db):
    return Catalog.create("B")


@pytest.fixture
def as_a(client, a, b):
    client.force_login(a.instructor.user)
    return client


@pytest.fixture
def as_superuser(client, a, b):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def url(attr, view, *args):
    return reverse(f"admin:courses_{ADMIN_MODELS.get(attr, attr)}_{view}", args=args)


def object_url(catalog, attr, view):
    return url(attr, view, getattr(catalog, attr).pk)


def result_list(response):
    return list(response.context["cl"].result_list)


def _forms(response):
    """The page's model form, then each inline's management form and forms."""
    yield response.context["adminform"].form
    for inline in response.context["inline_admin_formsets"]:
        yield inline.formset.management_form
        yield from inline.formset.forms


def form_data(response):
    """What a browser would post back for the add or change page in ``response``."""
    data = {}
    for form in _forms(response):
        for field in form:
            value, widget = field.value(), field.field.widget
            if isinstance(field.field, forms.FileField) or value is None:
                continue
            if isinstance(widget, forms.MultiWidget):
                for i, part in enumerate(widget.decompress(value)):
                    data[f"{field.html_name}_{i}"] = part
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            else:
                data[field.html_name] = value
    return data


def form_errors(response):
    """Error codes by field name as posted ("lessons-0-chapter"), "__all__" for a form's own."""
    assert response.status_code == 200, "the form was accepted"
    errors = {}
    for form in _forms(response):
        for name, field_errors in form.errors.as_data().items():
            errors[form.add_prefix(name)] = {error.code for error in field_errors}
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.non_form_errors():
            errors[inline.formset.prefix] = {
                error.code for error in inline.formset.non_form_errors().as_data()
            }
    return errors


def choices(response, field, prefix=None):
    """The rows a choice field offers, on the page's form or on the inline with ``prefix``."""
    if prefix is None:
        return set(response.context["adminform"].form.fields[field].queryset)
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return set(inline.formset.form.base_fields[field].queryset)
    raise AssertionError(f"no inline {prefix!r} on the page")


# The Instructors group


def test_instructors_group_migration_gives_the_listed_permissions(db):
    group = Group.objects.get(name="Instructors")
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == (
        EXPECTED_GROUP_PERMISSIONS
        | ARTICLE_IMAGE_PERMISSIONS
        | MEDIA_PERMISSIONS
        | SOCIAL_PERMISSIONS
        | CAMPAIGN_PERMISSIONS
    )
    assert set(group.permissions.values_list("content_type__app_label", flat=True)) == {
        "courses",
        "social",
        "commerce",
    }


def test_instructors_group_migration_reverses_and_reapplies(db):
    migration = importlib.import_module("courses.migrations.0002_instructors_group")
    apps = MigrationLoader(connection).project_state(("courses", "0002_instructors_group")).apps

    migration.remove_group(apps, None)
    assert not Group.objects.filter(name="Instructors").exists()

    migration.create_group(apps, None)
    group = Group.objects.get(name="Instructors")
    assert set(group.permissions.values_list("codename", flat=True)) == EXPECTED_GROUP_PERMISSIONS
    media_migration = importlib.import_module(
        "courses.migrations.0011_media_assets_for_instructors"
    )
    media_migration.grant(apps, None)
    assert group.permissions.filter(codename__in=MEDIA_PERMISSIONS).count() == 4


# Opening someone else's rows


@pytest.mark.parametrize("view", OBJECT_VIEWS)
@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_instructor_cannot_open_another_instructors_object(as_a, b, attr, view):
    assert as_a.get(object_url(b, attr, view)).status_code == 404


@pytest.mark.parametrize("view", OBJECT_VIEWS)
@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_instructor_opens_own_object(as_a, a, attr, view):
    # Instructors may not delete their own profile (no delete permission on Instructor).
    expected = 403 if (attr, view) == ("instructor", "delete") else 200
    assert as_a.get(object_url(a, attr, view)).status_code == expected


@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_object_permissions_check_ownership(rf, a, b, attr):
    model_admin = admin.site._registry[type(getattr(a, attr))]
    request = rf.get("/")
    request.user = a.instructor.user

    def allowed(obj):
        return [
            model_admin.has_view_permission(request, obj),
            model_admin.has_change_permission(request, obj),
        ]

    assert allowed(getattr(a, attr)) == [True, True]
    assert allowed(getattr(b, attr)) == [False, False]
    assert not model_admin.has_delete_permission(request, getattr(b, attr))


def test_inline_permissions_check_the_parents_ownership(rf, a, b):
    inline = LiveShelfItemInline(LiveSession, admin.site)
    request = rf.get("/")
    request.user = a.instructor.user

    def allowed(live):
        return [
            inline.has_view_permission(request, live),
            inline.has_add_permission(request, live),
            inline.has_change_permission(request, live),
            inline.has_delete_permission(request, live),
        ]

    assert allowed(a.live) == [True] * 4
    assert allowed(b.live) == [False] * 4


@pytest.mark.parametrize("attr", ["course", "live", "video"])
def test_change_page_asks_about_ownership_without_repeating_queries(
    as_a, a, attr, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        assert as_a.get(object_url(a, attr, "change")).status_code == 200


def test_instructor_cannot_post_a_change_to_another_instructors_course(as_a, a, b):
    response = as_a.get(object_url(a, "course", "change"))
    data = {**form_data(response), "title": "taken over"}
    assert as_a.post(object_url(b, "course", "change"), data).status_code == 404
    b.course.refresh_from_db()
    assert b.course.title == "B-course"


def test_instructor_cannot_edit_another_instructors_shelf_item_through_own_live(as_a, a, b):
    response = as_a.get(object_url(a, "live", "change"))
    data = {**form_data(response), "shelf_items-0-id": b.shelf_item.pk}
    data["shelf_items-0-flash_price"] = "1.00"

    errors = form_errors(as_a.post(object_url(a, "live", "change"), data))

    assert "invalid_choice" in errors["shelf_items-0-id"]
    b.shelf_item.refresh_from_db()
    assert b.shelf_item.flash_price is None


# Lists


@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_changelist_shows_only_own_rows(as_a, a, b, attr):
    response = as_a.get(url(attr, "changelist"))

    assert result_list(response) == [getattr(a, attr)]
    content = response.content.decode()
    assert [name for name in b.names() if name in content] == []


@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_superuser_changelist_shows_every_instructors_rows(as_superuser, a, b, attr):
    rows = result_list(as_superuser.get(url(attr, "changelist")))
    assert {getattr(a, attr), getattr(b, attr)} <= set(rows)


def _instructor_column_and_filter(response):
    changelist = response.context["cl"]
    filters = [getattr(spec, "field_path", None) for spec in changelist.filter_specs]
    return "instructor" in changelist.list_display, "instructor" in filters


def test_superuser_sees_the_instructor_column_and_filter(as_superuser):
    response = as_superuser.get(url("course", "changelist"))
    assert _instructor_column_and_filter(response) == (True, True)


def test_instructor_sees_no_instructor_column_or_filter(as_a):
    response = as_a.get(url("course", "changelist"))
    assert _instructor_column_and_filter(response) == (False, False)


def test_learner_is_sent_to_the_login_page(client, a):
    client.force_login(UserFactory(username="learner"))
    response = client.get(url("course", "changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_staff_without_instructor_profile_sees_no_catalog_rows(client, a, attr):
    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(user)

    assert result_list(client.get(url(attr, "changelist"))) == []
    assert client.get(object_url(a, attr, "change")).status_code == 404


def test_staff_without_instructor_profile_cannot_add_content(client, db):
    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    client.force_login(user)
    assert client.get(url("course", "add")).status_code == 403


EXTRA_ROWS = {
    "instructor": lambda instructor: InstructorFactory(),
    "course": lambda instructor: CourseFactory(instructor=instructor),
    "chapter": lambda instructor: ChapterFactory(course__instructor=instructor),
    "lesson": lambda instructor: LessonFactory(chapter__course__instructor=instructor),
    "live": lambda instructor: LiveSessionFactory(
        instructor=instructor, course=CourseFactory(instructor=instructor)
    ),
    "video": lambda instructor: ShortVideoFactory(
        instructor=instructor, course=CourseFactory(instructor=instructor)
    ),
    "product": lambda instructor: ProductFactory(instructor=instructor),
}


@pytest.mark.parametrize("attr", ADMIN_MODELS)
def test_changelist_queries_do_not_grow_with_the_rows(as_superuser, b, attr):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert as_superuser.get(url(attr, "changelist")).status_code == 200
        return len(queries)

    count_queries()  # the first request reads the signed-in account into the cache
    before = count_queries()
    for _ in range(3):
        EXTRA_ROWS[attr](b.instructor)
    assert count_queries() == before


# Choices in the forms


@pytest.mark.parametrize(
    ("page", "field", "prefix", "kind"),
    [
        ("live:add", "course", None, "course"),
        ("video:add", "course", None, "course"),
        ("video:add", "products", None, "product"),
        ("chapter:add", "course", None, "course"),
        ("lesson:add", "course", None, "course"),
        ("lesson:add", "chapter", None, "chapter"),
        ("live:add", "product", "shelf_items", "product"),
        ("live:change", "product", "shelf_items", "product"),
        ("course:change", "chapter", "lessons", "chapter"),
    ],
)
def test_forms_offer_only_own_rows(as_a, a, b, page, field, prefix, kind):
    attr, view = page.split(":")
    target = url(attr, "add") if view == "add" else object_url(a, attr, "change")

    offered = choices(as_a.get(target), field, prefix)

    assert getattr(a, kind) in offered
    assert getattr(b, kind) not in offered


def test_lesson_inline_offers_only_the_edited_courses_chapters(as_a, a):
    other_course_chapter = ChapterFactory(course__instructor=a.instructor)
    offered = choices(as_a.get(object_url(a, "course", "change")), "chapter", "lessons")
    assert offered == {a.chapter}
    assert other_course_chapter not in offered


def test_shelf_offers_the_live_sessions_instructors_products_to_a_superuser(as_superuser, b):
    response = as_superuser.get(object_url(b, "live", "change"))
    assert choices(response, "product", "shelf_items") == {b.product}


def test_lessons_are_added_once_the_course_exists(as_a):
    prefixes = [
        i.formset.prefix for i in as_a.get(url("course", "add")).context["inline_admin_formsets"]
    ]
    assert prefixes == ["chapters"]


FORGED = [
    # (A's page, posted field, B's row posted, A's row that must stay unchanged, its field)
    ("live", "course", "course", "live", "course"),
    ("video", "course", "course", "video", "course"),
    ("video", "products", "product", "video", None),
    ("lesson", "chapter", "chapter", "lesson", "chapter"),
    ("course", "lessons-0-chapter", "chapter", "lesson", "chapter"),
    ("live", "shelf_items-0-product", "product", "shelf_item", "product"),
]


@pytest.mark.parametrize(("page", "field", "foreign", "row", "row_field"), FORGED)
def test_posting_another_instructors_id_is_an_invalid_choice(
    as_a, a, b, page, field, foreign, row, row_field
):
    change = object_url(a, page, "change")
    data = form_data(as_a.get(change))
    data[field] = [b.product.pk] if field == "products" else getattr(b, foreign).pk

    errors = form_errors(as_a.post(change, data))

    assert "invalid_choice" in errors[field]
    instance = getattr(a, row)
    instance.refresh_from_db()
    if row_field:
        assert getattr(instance, row_field) == getattr(a, row_field)
    else:
        assert list(instance.products.all()) == [a.product]


def test_course_form_hides_the_instructor_and_adds_the_course_to_the_instructor(as_a, a, b):
    response = as_a.get(url("course", "add"))
    assert "instructor" not in response.context["adminform"].form.fields

    data = form_data(response)
    data.update(
        title="新课程",
        slug="a-new-course",
        category=CategoryFactory().pk,
        price="10.00",
        instructor=b.instructor.pk,
    )
    response = as_a.post(url("course", "add"), data)

    assert response.status_code == 302, form_errors(response)
    assert Course.objects.get(slug="a-new-course").instructor == a.instructor


def test_course_is_added_with_its_chapters(as_a, a):
    data = form_data(as_a.get(url("course", "add")))
    data.update(
        {
            "title": "新课程",
            "slug": "a-new-course",
            "category": a.course.category.pk,
            "price": "10.00",
            "chapters-0-position": "1",
            "chapters-0-title": "第一章",
        }
    )
    response = as_a.post(url("course", "add"), data)

    assert response.status_code == 302, form_errors(response)
    course = Course.objects.get(slug="a-new-course")
    assert [chapter.title for chapter in course.chapters.all()] == ["第一章"]


def test_live_session_is_added_with_its_shelf(as_a, a):
    starts = timezone.localtime() + timedelta(days=2)
    data = form_data(as_a.get(url("live", "add")))
    data.update(
        {
            "title": "新直播",
            "slug": "a-new-live",
            "course": a.course.pk,
            "scheduled_start_0": starts.date(),
            "scheduled_start_1": "20:00",
            "scheduled_end_0": starts.date(),
            "scheduled_end_1": "21:00",
            "shelf_items-0-product": a.product.pk,
            "shelf_items-0-is_pinned": "on",
        }
    )
    response = as_a.post(url("live", "add"), data)

    assert response.status_code == 302, form_errors(response)
    live = LiveSession.objects.get(slug="a-new-live")
    assert live.instructor == a.instructor
    assert [(item.product, item.is_pinned) for item in live.shelf_items.all()] == [
        (a.product, True)
    ]


def test_superuser_chooses_the_courses_instructor(as_superuser, a, b):
    form = as_superuser.get(url("course", "add")).context["adminform"].form
    assert {a.instructor, b.instructor} <= set(form.fields["instructor"].queryset)


def test_instructor_cannot_reassign_their_profile_or_add_instructors(as_a, a):
    form = as_a.get(object_url(a, "instructor", "change")).context["adminform"].form
    assert "user" not in form.fields
    assert as_a.get(url("instructor", "add")).status_code == 403


def test_instructor_added_in_the_admin_can_use_the_admin(as_superuser):
    user = UserFactory(username="new-teacher")
    data = {"user": user.pk, "display_name": "新讲师", "slug": "new-teacher"}

    response = as_superuser.post(url("instructor", "add"), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name="Instructors").exists()


def test_autocomplete_offers_only_own_products(as_a, a, b):
    response = as_a.get(
        reverse("admin:autocomplete"),
        {"app_label": "courses", "model_name": "shortvideo", "field_name": "products"},
    )
    assert [row["id"] for row in response.json()["results"]] == [str(a.product.pk)]


# Bulk actions


def _post_action(client, attr, action, pks, **extra):
    data = {"action": action, "_selected_action": pks, "index": 0, **extra}
    return client.post(url(attr, "changelist"), data)


@pytest.mark.parametrize(
    ("attr", "action", "field", "before", "after"),
    [
        ("course", "publish", "status", Course.Status.DRAFT, Course.Status.PUBLISHED),
        ("course", "unpublish", "status", Course.Status.PUBLISHED, Course.Status.DRAFT),
        ("live", "start", "status", LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE),
        ("live", "end", "status", LiveSession.Status.SCHEDULED, LiveSession.Status.ENDED),
        ("product", "put_on_sale", "is_active", False, True),
        ("product", "take_off_sale", "is_active", True, False),
    ],
)
def test_bulk_actions_touch_only_own_rows(as_a, a, b, attr, action, field, before, after):
    own, foreign = getattr(a, attr), getattr(b, attr)
    type(own).objects.filter(pk__in=[own.pk, foreign.pk]).update(**{field: before})

    _post_action(as_a, attr, action, [own.pk, foreign.pk])

    own.refresh_from_db()
    foreign.refresh_from_db()
    assert getattr(own, field) == after
    assert getattr(foreign, field) == before


@pytest.mark.parametrize("attr", ["course", "chapter", "lesson", "live", "video", "product"])
def test_delete_selected_deletes_only_own_rows(as_a, a, b, attr):
    own, foreign = getattr(a, attr), getattr(b, attr)

    response = _post_action(as_a, attr, "delete_selected", [own.pk, foreign.pk], post="yes")

    assert response.status_code == 302
    model = type(own)
    assert not model.objects.filter(pk=own.pk).exists()
    assert model.objects.filter(pk=foreign.pk).exists()


def test_publish_reports_how_many_courses_it_published(settings, as_a, a, b):
    settings.LANGUAGE_CODE = "en"
    Course.objects.update(status=Course.Status.DRAFT)
    response = _post_action(as_a, "course", "publish", [a.course.pk, b.course.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 course published."]


def test_publish_reports_a_course_that_fails_validation(settings, as_a, a):
    settings.LANGUAGE_CODE = "en"
    Course.objects.filter(pk=a.course.pk).update(status=Course.Status.DRAFT, slug="")
    response = _post_action(as_a, "course", "publish", [a.course.pk])
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts[-1] == "0 courses published."
    assert texts[0].startswith("A-course: ")


# Validation shows on the form


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "10.00", "list_price": "5.00"}, "list_price"),
    ],
)
def test_invalid_course_values_are_form_errors(as_a, a, changes, field):
    change = object_url(a, "course", "change")
    data = {**form_data(as_a.get(change)), **changes}
    assert field in form_errors(as_a.post(change, data))


def test_a_flash_price_above_the_price_is_a_form_error(as_a, a):
    change = object_url(a, "live", "change")
    starts = timezone.localtime(a.live.scheduled_start) + timedelta(minutes=10)
    ends = starts + timedelta(minutes=10)
    data = form_data(as_a.get(change))
    data.update(
        {
            "shelf_items-0-flash_price": a.product.price + 1,
            "shelf_items-0-flash_starts_at_0": starts.date(),
            "shelf_items-0-flash_starts_at_1": starts.time(),
            "shelf_items-0-flash_ends_at_0": ends.date(),
            "shelf_items-0-flash_ends_at_1": ends.time(),
        }
    )
    assert "shelf_items-0-flash_price" in form_errors(as_a.post(change, data))


def test_pinning_two_shelf_items_is_a_form_error(as_a, a):
    LiveShelfItemFactory(live_session=a.live)
    change = object_url(a, "live", "change")
    data = form_data(as_a.get(change))
    data.update({"shelf_items-0-is_pinned": "on", "shelf_items-1-is_pinned": "on"})

    assert form_errors(as_a.post(change, data))["shelf_items"] == {"pinned"}
    assert not LiveShelfItem.objects.filter(is_pinned=True).exists()

"""Writes to the catalog. Views, admin actions and commands call these; nothing else writes."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from courses.generations import catalog_changed
from courses.models import Course, Instructor, LiveSession, Product

INSTRUCTORS_GROUP = "Instructors"


def unique_slug(model, text: str, *, fallback: str, max_length: int = 120) -> str:
    """A slug for ``text`` (Chinese kept) that no row of ``model`` uses yet."""
    base = slugify(text, allow_unicode=True)[:max_length].strip("-") or fallback
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def course_publish(*, course: Course) -> Course:
    course.status = Course.Status.PUBLISHED
    course.published_at = course.published_at or timezone.now()
    course.full_clean()
    course.save(update_fields=["status", "published_at", "updated_at"])
    catalog_changed("course")
    return course


@transaction.atomic
def course_unpublish(*, course: Course) -> Course:
    course.status = Course.Status.DRAFT
    course.save(update_fields=["status", "updated_at"])
    catalog_changed("course")
    return course


def live_session_start(*, live_session: LiveSession) -> LiveSession:
    if live_session.status in (LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE):
        live_session.status = LiveSession.Status.LIVE
        live_session.save(update_fields=["status", "updated_at"])
        catalog_changed("live")
    return live_session


def live_session_end(*, live_session: LiveSession) -> LiveSession:
    if live_session.status in (LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE):
        live_session.status = LiveSession.Status.ENDED
        live_session.save(update_fields=["status", "updated_at"])
        catalog_changed("live")
    return live_session


@transaction.atomic
def instructor_create(
    *, user, display_name: str, slug: str = "", headline: str = "", bio: str = ""
):
    """Make ``user`` an instructor: staff access to the admin, scoped to their own content."""
    instructor = Instructor(
        user=user,
        display_name=display_name,
        slug=slug or unique_slug(Instructor, display_name, fallback=f"instructor-{user.pk}"),
        headline=headline,
        bio=bio,
    )
    instructor.full_clean()
    instructor.save()
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    user.groups.add(group)
    return instructor


def product_set_on_sale(*, product: Product, on_sale: bool) -> Product:
    if product.is_active != on_sale:
        product.is_active = on_sale
        product.save(update_fields=["is_active", "updated_at"])
        catalog_changed("product")
    return product


@transaction.atomic
def instructor_grant_admin_access(*, instructor: Instructor) -> Instructor:
    """Staff access and the Instructors group for a profile created outside ``instructor_create``
    (the admin's add form)."""
    user = instructor.user
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    user.groups.add(group)
    return instructor

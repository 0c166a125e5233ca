"""Writes to the catalog. The admin (edits, deletions, actions), commands and the demo call these;
nothing else writes. Each write changes the catalog generation of what it touched once it
commits, so cached cards and lists show it at once (``courses.generations``)."""

from functools import partial

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.generations import catalog_changed, item_types_of
from courses.media import media_duration_of, media_files_delete
from courses.models import Course, Discount, Instructor, LiveSession, Product
from courses.search import search_index_after_commit

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
    search_index_after_commit([course])
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


def _owner_field(model) -> str | None:
    path = getattr(model, "owner_path", None)
    return path if path and "__" not in path else None


def _may_change(user, item) -> bool:
    return type(item).objects.owned_by(user).filter(pk=item.pk).exists()


@transaction.atomic
def catalog_item_save(*, user, item, is_new: bool):
    """Save a catalog row (a course, chapter, lesson, live session, shelf item, short video,
    product or instructor profile) that ``user`` edited, after validation by the caller's form.

    A new row of an instructor belongs to the instructor who adds it (staff may choose);
    changing a row needs ownership (``owned_by``). A new instructor profile gets admin access.
    """
    owner_field = _owner_field(type(item))
    if is_new and owner_field and not user.is_superuser:
        setattr(item, owner_field, user.instructor)
    if not is_new and hasattr(type(item), "owner_path") and not _may_change(user, item):
        raise PermissionDenied("Not yours to change.")
    if seconds := media_duration_of(item):  # a lesson or short video plays its file's length
        item.duration_seconds = seconds
    item.save()
    if is_new and isinstance(item, Instructor):
        instructor_grant_admin_access(instructor=item)
    catalog_changed(*item_types_of(type(item)))
    search_index_after_commit([item])  # after the commit: the admin saves a course's tags later
    return item


@transaction.atomic
def catalog_items_delete(*, user, items) -> int:
    """Delete catalog rows ``user`` owns (a queryset or a list of rows of one model); returns how
    many rows were asked for. Rows of others are refused as a whole."""
    rows = list(items)
    if not rows:
        return 0
    model = type(rows[0])
    if hasattr(model, "owner_path"):
        owned = set(
            model.objects.owned_by(user)
            .filter(pk__in=[r.pk for r in rows])
            .values_list("pk", flat=True)
        )
        if len(owned) != len({r.pk for r in rows}):
            raise PermissionDenied("Not yours to delete.")
    search_index_after_commit(rows)  # the ids, read now; a deleted course's document goes too
    for row in rows:
        row.delete()
    catalog_changed(*item_types_of(model))
    return len(rows)


def media_assets_delete(*, user, assets) -> int:
    """Delete video files ``user`` owns (as ``catalog_items_delete``), then, once that is
    committed, their upload and renditions in the private storage."""
    rows = list(assets)
    ids = [asset.pk for asset in rows]
    count = catalog_items_delete(user=user, items=rows)
    for asset_id in ids:
        transaction.on_commit(partial(media_files_delete, asset_id=asset_id))
    return count


# Campaigns -------------------------------------------------------------------------------------


def campaign_courses_check(*, instructor: Instructor | None, courses, required=True) -> None:
    """Refuse courses of another instructor in a campaign of ``instructor`` (a discount, coupon
    or bundle): an instructor's campaigns are about their own courses only. ``required``: at
    least one course."""
    if required and not courses:
        raise ValidationError(
            {"courses": ValidationError(_("Choose at least one course."), code="required")}
        )
    others = [c.title for c in courses if instructor is None or c.instructor_id != instructor.pk]
    if others:
        raise ValidationError(
            {
                "courses": ValidationError(
                    _("Only the campaign's instructor's own courses: not “%(titles)s”."),
                    code="not_own_course",
                    params={"titles": "”, “".join(others)},
                )
            }
        )


@transaction.atomic
def discount_create(
    *, user, title: str, courses, kind: str, value, starts_at, ends_at, instructor=None
) -> Discount:
    """A time-limited discount on ``courses`` of the user's own (staff choose ``instructor``).
    The courses' price changes for everyone from ``starts_at`` to ``ends_at``."""
    if instructor is None or not user.is_superuser:
        instructor = Instructor.objects.filter(user=user).first()
    courses = list(courses)
    campaign_courses_check(instructor=instructor, courses=courses)
    discount = Discount(
        instructor=instructor,
        title=title,
        kind=kind,
        value=value,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    discount.full_clean()
    discount.save()
    discount.courses.set(courses)
    catalog_changed(*item_types_of(Discount))
    return discount

"""The catalog's admin, scoped per instructor.

Instructors are staff users in the "Instructors" group (``courses.services.INSTRUCTORS_GROUP``):
their model permissions come from that group, and ``InstructorScopedAdmin`` /
``InstructorScopedInline`` narrow every page to the rows they own through
``<Model>.objects.owned_by(user)``: the lists, the objects a URL can open (others answer 404),
the choices of every foreign key and many-to-many field (a forged id is an invalid choice) and so
the rows a bulk action touches. Superusers own everything.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from courses import live, media, selectors, services
from courses.models import (
    ArticleImage,
    Category,
    Chapter,
    Course,
    Discount,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    MediaAsset,
    Product,
    ShortVideo,
    Tag,
)
from courses.signals import shelf_changed_on_commit


def _scope_choices(db_field, request, kwargs):
    """Offer only the user's own rows in a relation to an owned model (instructors, courses...)."""
    related = db_field.related_model
    if "queryset" not in kwargs and hasattr(related, "owner_path"):
        kwargs["queryset"] = related.objects.owned_by(request.user)


class _OwnedRows:
    """What the admin and its inlines share: the rows, the choices and the object permissions."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).owned_by(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        _scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        _scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # ``obj`` is the row itself on a model admin and the parent row on an inline.
    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._owns(request, obj)

    @staticmethod
    def _owns(request, obj):
        if obj is None:
            return True
        # A page asks about the same row a dozen times: ask the database once per request.
        answers = request.__dict__.setdefault("_owned_rows", {})
        key = (obj._meta.label, obj.pk)
        if key not in answers:
            answers[key] = selectors.user_owns(request.user, obj)
        return answers[key]


class ServiceActions:
    """Admin actions that run a service on each selected row."""

    def apply_to_selected(self, request, queryset, service, *, done, message):
        """Run ``service`` on each selected row (only rows the user may see: the changelist's
        queryset is scoped) and report how many are ``done``; a row the service rejects is
        named with the reason."""
        count = 0
        for obj in queryset:
            try:
                obj = service(obj)
            except ValidationError as exc:
                self.message_user(request, f"{obj}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            count += bool(done(obj))
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


class InstructorScopedAdmin(ServiceActions, _OwnedRows, admin.ModelAdmin):
    """A model admin showing each instructor only their own rows.

    A model whose ``owner_path`` is a single foreign key (``instructor``) gets that field hidden
    from instructors, in the form, the list and its filters, and set to their profile on add.
    """

    @property
    def owner_field(self):
        path = self.model.owner_path
        return path if path and "__" not in path else None

    def _hides_owner(self, request):
        return self.owner_field is not None and not request.user.is_superuser

    def _without_owner(self, request, names):
        if not self._hides_owner(request):
            return names
        return [name for name in names if name != self.owner_field]

    def get_object(self, request, object_id, from_field=None):
        # Someone else's row is "not found", never a redirect that would confirm it exists.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(
                _("%(name)s with ID “%(key)s” doesn’t exist. Perhaps it was deleted?")
                % {"name": self.opts.verbose_name, "key": object_id}
            )
        return obj

    def has_add_permission(self, request):
        user = request.user
        return super().has_add_permission(request) and (
            user.is_superuser or selectors.instructor_for(user) is not None
        )

    def get_fields(self, request, obj=None):
        return self._without_owner(request, super().get_fields(request, obj))

    def get_list_display(self, request):
        return self._without_owner(request, super().get_list_display(request))

    def get_list_filter(self, request):
        return self._without_owner(request, super().get_list_filter(request))

    # Writes go through the catalog's services, like every other door's.
    def save_model(self, request, obj, form, change):
        services.catalog_item_save(user=request.user, item=obj, is_new=not change)

    def delete_model(self, request, obj):
        services.catalog_items_delete(user=request.user, items=[obj])

    def delete_queryset(self, request, queryset):
        services.catalog_items_delete(user=request.user, items=queryset)


class OwnedInlineFormSet(BaseInlineFormSet):
    """Each form's hidden id must name one of this formset's rows: Django's own formsets accept
    the id of any row of the model (and then silently drop that form)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[self.model._meta.pk.name].queryset = self.get_queryset()


class InstructorScopedInline(_OwnedRows):
    """An inline showing only the user's own rows; mix in before ``admin.TabularInline``.

    ``parent_choices(parent)`` narrows choice fields further to the edited parent's rows.
    """

    formset = OwnedInlineFormSet

    def parent_choices(self, parent):
        return {}

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._owns(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            fields = formset.form.base_fields
            for name, queryset in self.parent_choices(obj).items():
                if name in fields:
                    fields[name].queryset = queryset
        return formset


# Courses, chapters and lessons


class ChapterInline(InstructorScopedInline, admin.TabularInline):
    model = Chapter
    fields = ["position", "title"]
    extra = 1


class LessonInline(InstructorScopedInline, admin.TabularInline):
    model = Lesson
    fk_name = "course"
    fields = [
        "chapter",
        "position",
        "title",
        "kind",
        "duration_seconds",
        "media",
        "video_url",
        "audio",
        "is_free_preview",
    ]
    extra = 1
    show_change_link = True  # an article's text is edited on the lesson's own page

    def parent_choices(self, course):
        return {"chapter": course.chapters.all()}


@admin.register(Course)
class CourseAdmin(InstructorScopedAdmin):
    list_display = ["title", "instructor", "category", "price", "status", "published_at"]
    list_filter = ["status", "level", "language", "category", "instructor"]
    list_select_related = ["instructor", "category__parent"]
    search_fields = ["title", "subtitle"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    fields = [
        "title",
        "slug",
        "subtitle",
        "instructor",
        "category",
        "tags",
        "level",
        "language",
        "price",
        "list_price",
        "cover",
        "description",
        "status",
        "published_at",
    ]
    inlines = [ChapterInline, LessonInline]
    actions = ["publish", "unpublish"]

    def get_inlines(self, request, obj):
        # A lesson needs one of the course's chapters: lessons come once the course exists.
        return self.inlines if obj is not None else [ChapterInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Lesson:  # lessons playing a ready file take its duration
            media.media_durations_follow(items=[f.instance for f in formset.forms if f.instance.pk])

    @admin.action(description=_("Publish the selected courses"), permissions=["change"])
    def publish(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda course: services.course_publish(course=course),
            done=lambda course: course.status == Course.Status.PUBLISHED,
            message=ngettext_lazy(
                "%(count)d course published.", "%(count)d courses published.", "count"
            ),
        )

    @admin.action(description=_("Unpublish the selected courses"), permissions=["change"])
    def unpublish(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda course: services.course_unpublish(course=course),
            done=lambda course: course.status == Course.Status.DRAFT,
            message=ngettext_lazy(
                "%(count)d course unpublished.", "%(count)d courses unpublished.", "count"
            ),
        )


@admin.register(Chapter)
class ChapterAdmin(InstructorScopedAdmin):
    list_display = ["title", "course", "position"]
    list_filter = [("course", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["course"]
    search_fields = ["title", "course__title"]


@admin.register(Lesson)
class LessonAdmin(InstructorScopedAdmin):
    list_display = [
        "title",
        "course",
        "chapter",
        "position",
        "kind",
        "duration_seconds",
        "is_free_preview",
    ]
    list_filter = ["kind", "is_free_preview", ("course", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["course", "chapter"]
    search_fields = ["title", "course__title"]
    fields = [
        "course",
        "chapter",
        "position",
        "title",
        "kind",
        "is_free_preview",
        "duration_seconds",
        "media",
        "video_url",
        "audio",
        "body_html",
    ]
    formfield_overrides = {
        **_OwnedRows.formfield_overrides,
        models.TextField: {
            "widget": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField"})
        },
    }


@admin.register(ArticleImage)
class ArticleImageAdmin(InstructorScopedAdmin):
    """Images for articles: upload one, then use its address in an article's ``<img src>``."""

    list_display = ["__str__", "address", "alt", "instructor", "created_at"]
    fields = ["instructor", "image", "alt", "address"]
    readonly_fields = ["address"]

    @admin.display(description=_("address for <img src>"))
    def address(self, obj):
        return obj.image.url if obj and obj.image else ""


# Live sessions and their shelf


class ShelfFormSet(OwnedInlineFormSet):
    def clean(self):
        super().clean()
        pinned = [
            form
            for form in self.forms
            if form.cleaned_data.get("is_pinned") and not self._should_delete_form(form)
        ]
        if len(pinned) > 1:
            raise ValidationError(_("Pin at most one product."), code="pinned")


class LiveShelfItemInline(InstructorScopedInline, admin.TabularInline):
    model = LiveShelfItem
    formset = ShelfFormSet
    fields = [
        "position",
        "product",
        "is_pinned",
        "flash_price",
        "flash_starts_at",
        "flash_ends_at",
    ]
    autocomplete_fields = ["product"]
    extra = 1

    def parent_choices(self, live_session):
        return {"product": live_session.instructor.products.all()}


@admin.register(LiveSession)
class LiveSessionAdmin(InstructorScopedAdmin):
    list_display = ["title", "instructor", "course", "status", "scheduled_start", "scheduled_end"]
    list_filter = ["status", "instructor"]
    list_select_related = ["instructor", "course"]
    search_fields = ["title"]
    date_hierarchy = "scheduled_start"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    fields = [
        "title",
        "slug",
        "instructor",
        "course",
        "tags",
        "description",
        "cover",
        "scheduled_start",
        "scheduled_end",
        "status",
        "stream_url",
        "replay_url",
    ]
    inlines = [LiveShelfItemInline]
    actions = ["start", "end", "regenerate_stream_key"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The shelf may have changed: the live rooms show it to every viewer.
        shelf_changed_on_commit(form.instance.pk)

    broadcast_fields = ["ingest_server", "stream_key", "recording"]

    def _broadcasts(self, request, obj):
        """The stream key is shown to the session's own instructor only (not to other staff)."""
        return obj is not None and obj.instructor.user_id == request.user.pk

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        extra = self.broadcast_fields if self._broadcasts(request, obj) else ["recording"]
        return [name for name in fields if name not in self.broadcast_fields] + extra

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.broadcast_fields]

    @admin.display(description=_("ingest server (RTMP)"))
    def ingest_server(self, obj):
        return live.ingest_server()

    @admin.action(description=_("Regenerate the stream keys"), permissions=["change"])
    def regenerate_stream_key(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda session: live.live_stream_key_regenerate(live_session=session),
            done=lambda session: True,
            message=ngettext_lazy(
                "%(count)d stream key regenerated.", "%(count)d stream keys regenerated.", "count"
            ),
        )

    @admin.action(description=_("Start the selected live sessions"), permissions=["change"])
    def start(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda live: services.live_session_start(live_session=live),
            done=lambda live: live.status == LiveSession.Status.LIVE,
            message=ngettext_lazy(
                "%(count)d live session is live.", "%(count)d live sessions are live.", "count"
            ),
        )

    @admin.action(description=_("End the selected live sessions"), permissions=["change"])
    def end(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda live: services.live_session_end(live_session=live),
            done=lambda live: live.status == LiveSession.Status.ENDED,
            message=ngettext_lazy(
                "%(count)d live session ended.", "%(count)d live sessions ended.", "count"
            ),
        )


# Short videos and products


@admin.register(ShortVideo)
class ShortVideoAdmin(InstructorScopedAdmin):
    list_display = [
        "title",
        "instructor",
        "course",
        "duration_seconds",
        "is_published",
        "published_at",
    ]
    list_filter = ["is_published", "instructor"]
    list_select_related = ["instructor", "course"]
    search_fields = ["title"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags", "products"]
    fields = [
        "title",
        "slug",
        "instructor",
        "media",
        "video_url",
        "duration_seconds",
        "cover",
        "course",
        "products",
        "tags",
        "is_published",
        "published_at",
    ]


class StockFilter(admin.SimpleListFilter):
    title = Product._meta.get_field("stock").verbose_name
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("in", _("In stock")), ("out", _("Sold out"))]

    def queryset(self, request, queryset):
        if self.value() == "in":
            return queryset.filter(stock__gt=0)
        if self.value() == "out":
            return queryset.filter(stock=0)
        return queryset


@admin.register(Product)
class ProductAdmin(InstructorScopedAdmin):
    list_display = ["title", "instructor", "kind", "price", "stock", "is_active", "created_at"]
    list_filter = ["is_active", "kind", StockFilter, "instructor"]
    list_select_related = ["instructor"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    fields = [
        "title",
        "slug",
        "instructor",
        "kind",
        "price",
        "list_price",
        "stock",
        "is_active",
        "tags",
        "cover",
        "description",
    ]
    actions = ["put_on_sale", "take_off_sale"]

    @admin.action(description=_("Put the selected products on sale"), permissions=["change"])
    def put_on_sale(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda product: services.product_set_on_sale(product=product, on_sale=True),
            done=lambda product: product.is_active,
            message=ngettext_lazy(
                "%(count)d product on sale.", "%(count)d products on sale.", "count"
            ),
        )

    @admin.action(description=_("Take the selected products off sale"), permissions=["change"])
    def take_off_sale(self, request, queryset):
        self.apply_to_selected(
            request,
            queryset,
            lambda product: services.product_set_on_sale(product=product, on_sale=False),
            done=lambda product: not product.is_active,
            message=ngettext_lazy(
                "%(count)d product off sale.", "%(count)d products off sale.", "count"
            ),
        )


# Instructors and the shared vocabulary


@admin.register(Instructor)
class InstructorAdmin(InstructorScopedAdmin):
    list_display = ["display_name", "user", "slug", "created_at"]
    list_select_related = ["user"]
    search_fields = ["display_name", "slug", "user__username"]
    prepopulated_fields = {"slug": ["display_name"]}
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # An instructor edits their profile, never which account it belongs to.
        return [] if request.user.is_superuser else ["user"]


class VocabularyAdmin(admin.ModelAdmin):
    """Categories and tags: their writes go through the catalog's services too (the courses
    carrying them are searched by their names)."""

    def save_model(self, request, obj, form, change):
        services.catalog_item_save(user=request.user, item=obj, is_new=not change)

    def delete_model(self, request, obj):
        services.catalog_items_delete(user=request.user, items=[obj])

    def delete_queryset(self, request, queryset):
        services.catalog_items_delete(user=request.user, items=queryset)


@admin.register(Category)
class CategoryAdmin(VocabularyAdmin):
    list_display = ["name", "parent", "slug", "position"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(VocabularyAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


# Video files: chunked upload (static/js/media-upload.js), then transcoding on the media queue


@admin.register(MediaAsset)
class MediaAssetAdmin(InstructorScopedAdmin):
    list_display = ["title", "instructor", "status", "duration", "failure_reason", "created_at"]
    list_filter = ["status", "instructor"]
    list_select_related = ["instructor"]
    search_fields = ["title"]
    readonly_fields = [
        "upload",
        "status",
        "failure_reason",
        "duration",
        "width",
        "height",
        "renditions",
        "lessons_using",
    ]
    fields = ["title", "instructor", *readonly_fields]

    class Media:
        js = ["js/media-upload.js"]
        css = {"all": ["css/admin.css"]}

    def delete_model(self, request, obj):
        services.media_assets_delete(user=request.user, assets=[obj])

    def delete_queryset(self, request, queryset):
        services.media_assets_delete(user=request.user, assets=queryset)

    @admin.display(description=_("duration"))
    def duration(self, obj):
        return f"{obj.duration_seconds:.1f} s" if obj.duration_seconds else "—"

    @admin.display(description=_("used by"))
    def lessons_using(self, obj):
        names = [str(item) for item in [*obj.lessons.all()[:10], *obj.short_videos.all()[:10]]]
        return ", ".join(names) or _("Choose this file on a lesson or a short video.")

    @admin.display(description=_("video file"))
    def upload(self, obj):
        if obj is None or obj.pk is None:
            return _("Save first, then upload the file here.")
        if obj.status not in (MediaAsset.Status.UPLOADING, MediaAsset.Status.FAILED):
            return _("Uploaded (%(megabytes).1f MB).") % {"megabytes": obj.size_bytes / 1024**2}
        return format_html(
            '<div class="media-upload" data-media-upload data-url="{}" data-chunk="{}" '
            'data-received="{}" data-size="{}"><input type="file" accept="video/*" '
            'data-file><button type="button" class="button" data-start>{}</button> '
            '<progress max="100" value="0" data-progress></progress> '
            '<span data-message aria-live="polite"></span></div>',
            reverse("web:studio_video_upload", args=[obj.pk]),
            settings.MEDIA_UPLOAD_CHUNK_BYTES,
            obj.received_bytes,
            obj.size_bytes,
            _("Upload"),
        )


# Campaigns -------------------------------------------------------------------------------------


class CampaignForm(forms.ModelForm):
    """A campaign's form (discount, coupon, bundle): its courses must be its instructor's."""

    owner: Instructor | None = None  # the signed-in instructor, set per request
    courses_required = True

    def clean(self):
        cleaned = super().clean()
        # Staff choose the instructor on the form; an instructor's own campaigns are theirs.
        instructor = cleaned.get("instructor") or self.owner
        if "courses" in cleaned:
            try:
                services.campaign_courses_check(
                    instructor=instructor,
                    courses=list(cleaned["courses"]),
                    required=self.courses_required,
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class CampaignAdmin(InstructorScopedAdmin):
    """What the admins of discounts, coupons and bundles share: the courses offered are the
    user's own, and the form refuses a course of another instructor than the campaign's."""

    form = CampaignForm
    autocomplete_fields = ["courses"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        owner = None if request.user.is_superuser else selectors.instructor_for(request.user)
        return type(form.__name__, (form,), {"owner": owner})

    @admin.display(description=_("state"))
    def state(self, obj):
        starts, ends = self.window(obj)
        now = timezone.now()
        if now < starts:
            return _("Upcoming")
        return _("Running") if now < ends else _("Ended")

    @staticmethod
    def window(obj):
        return obj.starts_at, obj.ends_at


@admin.register(Discount)
class DiscountAdmin(CampaignAdmin):
    list_display = ["title", "instructor", "kind", "value", "starts_at", "ends_at", "state"]
    list_filter = ["kind", "instructor"]
    list_select_related = ["instructor"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    fields = ["title", "instructor", "courses", "kind", "value", "starts_at", "ends_at"]

"""The catalog: instructors, categories, tags, courses with chapters and lessons, live sessions
with their product shelf, short videos and products.

Every row an instructor owns is reachable through ``owner_path`` on its model, and every
"may this user see or change it" question goes through ``<Model>.objects.owned_by(user)``
(see ``courses.selectors``), which the admin, the pages and the API all use. What learners may
see (published, visible, on sale) is a method of each model's queryset, defined once.

Orders, enrollments, progress and reservations are in ``commerce``.
"""

import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.constraints import ConstraintErrorsOnFields
from courses.articles import article_clean, article_reading_seconds, resized_upload
from courses.audio import AudioUploadField, upload_duration
from courses.images import ImageUploadField

money_validator = MinValueValidator(Decimal("0.00"))


def money_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=10, decimal_places=2, validators=[money_validator], **kwargs
    )


class OwnedQuerySet(models.QuerySet):
    """Rows that belong to an instructor, reachable through the model's ``owner_path``."""

    def owned_by(self, user):
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        path = self.model.owner_path
        return self.filter(**{f"{path}__user" if path else "user": user})


# What learners may see is defined once per model, here; every page, the API, the cart, the
# orders and the recommender ask these.


class CourseQuerySet(OwnedQuerySet):
    def published(self, at=None):
        """Published courses whose publication time has come."""
        return self.filter(status=Course.Status.PUBLISHED, published_at__lte=at or timezone.now())

    def publishing_after(self, at):
        """Courses set to be published at a time after ``at``."""
        return self.filter(status=Course.Status.PUBLISHED, published_at__gt=at)


class LiveSessionQuerySet(OwnedQuerySet):
    def visible(self):
        """Live sessions learners may open: scheduled, live or ended (for replays)."""
        return self.exclude(status=LiveSession.Status.CANCELLED)

    def open(self, at=None):
        """Scheduled or live and not over: what may be reserved, watched and recommended."""
        return self.filter(
            status__in=[LiveSession.Status.SCHEDULED, LiveSession.Status.LIVE],
            scheduled_end__gt=at or timezone.now(),
        )

    def with_replay(self):
        """Ended sessions with a replay: a link to one, or their own recording."""
        return self.filter(LiveSession.HAS_REPLAY)

    def findable(self, at=None):
        """What browsing and search list: visible sessions not over yet, or with a replay."""
        return self.visible().filter(
            Q(scheduled_end__gt=at or timezone.now()) | self.model.HAS_REPLAY
        )


def new_stream_key() -> str:
    """A secret stream key for a publisher (OBS, a phone app): 32 URL-safe characters, never
    a leading "-", which a command line (nginx-rtmp's ``exec_record_done``) takes for an option."""
    while (key := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return key


class ShortVideoQuerySet(OwnedQuerySet):
    def published(self, at=None):
        return self.filter(is_published=True, published_at__lte=at or timezone.now())

    def publishing_after(self, at):
        return self.filter(is_published=True, published_at__gt=at)


class ProductQuerySet(OwnedQuerySet):
    def on_sale(self):
        """Products on sale, also when sold out (they show as sold out)."""
        return self.filter(is_active=True)

    def purchasable(self):
        """On sale and in stock."""
        return self.filter(is_active=True, stock__gt=0)


def check_course_is_instructors(row) -> None:
    """A live session or short video may link only a course of its own instructor."""
    if row.course_id and row.instructor_id and row.course.instructor_id != row.instructor_id:
        raise ValidationError({"course": _("The course belongs to another instructor.")})


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class Instructor(TimeStamped):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="instructor",
    )
    display_name = models.CharField(_("display name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    headline = models.CharField(_("headline"), max_length=160, blank=True)
    bio = models.TextField(_("biography"), blank=True)
    avatar = ImageUploadField(_("avatar"), upload_to="avatars/", blank=True)
    # Kept by ``social.services`` as learners follow and unfollow.
    follower_count = models.PositiveIntegerField(_("followers"), default=0, editable=False)

    owner_path = ""
    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("instructor")
        verbose_name_plural = _("instructors")
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name


def private_media_storage():
    """Uploaded videos and their HLS renditions: never served as plain media (settings)."""
    return storages["media_private"]


class MediaAsset(ConstraintErrorsOnFields, TimeStamped):
    """An instructor's uploaded video and what it was transcoded to (``courses/media.py``).

    Uploaded in chunks (``uploading``), refused or accepted when complete (``uploaded``),
    transcoded by the ``media`` queue (``processing``) into HLS renditions with a master playlist
    and a poster in ``hls_folder`` of the private storage (``ready``), or ``failed`` with the
    reason. Lessons and short videos point at it; one asset may serve several of them.
    """

    class Status(models.TextChoices):
        UPLOADING = "uploading", _("uploading")
        UPLOADED = "uploaded", _("uploaded")
        PROCESSING = "processing", _("processing")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("instructor"),
        on_delete=models.PROTECT,
        related_name="media_assets",
    )
    title = models.CharField(_("title"), max_length=120)
    source = models.FileField(
        _("source file"), storage=private_media_storage, max_length=255, blank=True, editable=False
    )
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0, editable=False)
    received_bytes = models.PositiveBigIntegerField(
        _("received (bytes)"), default=0, editable=False
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UPLOADING
    )
    failure_reason = models.TextField(_("failure reason"), blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    renditions = models.JSONField(_("renditions"), default=list, blank=True)
    hls_folder = models.CharField(_("HLS folder"), max_length=255, blank=True)
    poster = models.CharField(_("poster"), max_length=255, blank=True)

    owner_path = "instructor"
    objects = OwnedQuerySet.as_manager()

    constraint_error_fields = {
        "received_too_much": "received_bytes",
        "ready_without_hls": "hls_folder",
    }

    class Meta:
        verbose_name = _("video file")
        verbose_name_plural = _("video files")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_bytes__lte=F("size_bytes")),
                name="media_received_le_size",
                violation_error_code="received_too_much",
                violation_error_message=_("More bytes than the file announced."),
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(hls_folder=""),
                name="media_ready_has_hls",
                violation_error_code="ready_without_hls",
                violation_error_message=_("A ready video needs its HLS folder."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_ready(self):
        return self.status == self.Status.READY


class Category(ConstraintErrorsOnFields):
    """A two-level tree: top-level topics (parent empty) and their sub-categories."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    constraint_error_fields = {
        "own_parent": "parent",
        "duplicate_name": "name",
    }

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="category_not_own_parent",
                violation_error_code="own_parent",
                violation_error_message=_("A category cannot be its own parent."),
            ),
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="category_unique_name",
                violation_error_code="duplicate_name",
                violation_error_message=_(
                    "A category of this name already exists under this parent."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError(
                {"parent": _("Categories have two levels: the parent must be a top-level one.")}
            )
        if self.pk and self.parent_id and self.children.exists():
            raise ValidationError(
                {"parent": _("A category with sub-categories must stay at the top level.")}
            )


class Tag(models.Model):
    """The shared vocabulary of the content model and the learners' interest profiles."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    slug = models.SlugField(_("slug"), max_length=40, unique=True, allow_unicode=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Course(ConstraintErrorsOnFields, TimeStamped):
    class Level(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    class Language(models.TextChoices):
        CHINESE = "zh-hans", _("Chinese")
        ENGLISH = "en", _("English")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    instructor = models.ForeignKey(
        Instructor, verbose_name=_("instructor"), on_delete=models.PROTECT, related_name="courses"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="courses"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="courses")
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    cover = ImageUploadField(_("cover image"), upload_to="covers/courses/", blank=True)
    price = money_field(_("price (CNY)"))
    list_price = money_field(
        _("list price (CNY)"), null=True, blank=True, help_text=_("The crossed-out price.")
    )
    level = models.CharField(
        _("level"), max_length=16, choices=Level.choices, default=Level.BEGINNER
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.CHINESE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Kept by ``social.services`` as reviews are written: every card shows the average without
    # a query of its own.
    rating_count = models.PositiveIntegerField(_("ratings"), default=0, editable=False)
    rating_total = models.PositiveIntegerField(_("sum of ratings"), default=0, editable=False)

    owner_path = "instructor"
    objects = CourseQuerySet.as_manager()

    constraint_error_fields = {
        "negative_price": "price",
        "list_price_below_price": "list_price",
        "published_without_time": "published_at",
    }

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="course_price_not_negative",
                violation_error_code="negative_price",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gte=F("price")),
                name="course_list_price_not_below_price",
                violation_error_code="list_price_below_price",
                violation_error_message=_("The list price cannot be below the price."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="course_published_has_time",
                violation_error_code="published_without_time",
                violation_error_message=_("A published course needs a publication time."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="course_status_published"),
            models.Index(fields=["category", "status"], name="course_category_status"),
            models.Index(fields=["instructor", "status"], name="course_instructor_status"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_free(self):
        return self.price == 0

    @property
    def rating_average(self) -> float | None:
        """The average rating of its reviews, to one decimal; None before the first."""
        if not self.rating_count:
            return None
        return round(self.rating_total / self.rating_count, 1)

    @property
    def rating_stars(self) -> int:
        """The average rounded to whole stars (0 before the first rating)."""
        return int(self.rating_average + 0.5) if self.rating_count else 0


class Chapter(ConstraintErrorsOnFields):
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="chapters"
    )
    title = models.CharField(_("title"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    owner_path = "course__instructor"
    objects = OwnedQuerySet.as_manager()

    constraint_error_fields = {"duplicate_position": "position"}

    class Meta:
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        ordering = ["course", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"],
                name="chapter_unique_position",
                violation_error_code="duplicate_position",
                violation_error_message=_("Another chapter of this course has this position."),
            )
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"


class Lesson(ConstraintErrorsOnFields):
    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")
        ARTICLE = "article", _("Article")

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="lessons"
    )
    chapter = models.ForeignKey(
        Chapter, verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="lessons"
    )
    title = models.CharField(_("title"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    video_url = models.URLField(_("video URL"), max_length=500, blank=True)
    media = models.ForeignKey(
        MediaAsset,
        verbose_name=_("video file"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lessons",
    )
    is_free_preview = models.BooleanField(_("free preview"), default=False)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.VIDEO)
    body_html = models.TextField(
        _("article (HTML)"),
        blank=True,
        help_text=_(
            "For article lessons: headings, paragraphs, lists, links, code, quotes, tables and "
            "images uploaded under “Article images”. Anything else is removed when saved."
        ),
    )
    audio = AudioUploadField(
        _("audio file"),
        upload_to="lessons/audio/",
        blank=True,
        help_text=_("For audio lessons: MP3, M4A, Ogg or WAV; its length becomes the duration."),
    )

    owner_path = "course__instructor"
    objects = OwnedQuerySet.as_manager()

    constraint_error_fields = {"duplicate_position": "position"}

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["course", "chapter__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chapter", "position"],
                name="lesson_unique_position_in_chapter",
                violation_error_code="duplicate_position",
                violation_error_message=_("Another lesson of this chapter has this position."),
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Whichever door saves it, an article is stored sanitised and timed by its length, and
        an audio lesson lasts as long as its (newly uploaded) file."""
        timed = False
        if self.kind == self.Kind.ARTICLE:
            self.body_html = article_clean(self.body_html)
            self.duration_seconds, timed = article_reading_seconds(self.body_html), True
        if self.audio and not self.audio._committed:
            self.duration_seconds, timed = upload_duration(self.audio.file), True
        fields = kwargs.get("update_fields")
        if timed and fields:
            kwargs["update_fields"] = {*fields, "duration_seconds"}
        super().save(*args, **kwargs)

    def clean(self):
        if self.chapter_id and self.course_id and self.chapter.course_id != self.course_id:
            raise ValidationError({"chapter": _("The chapter belongs to another course.")})
        if self.kind == self.Kind.AUDIO and not self.audio:
            raise ValidationError({"audio": _("An audio lesson needs an audio file.")})


class Product(ConstraintErrorsOnFields, TimeStamped):
    class Kind(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        DIGITAL = "digital", _("Digital")

    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("shop (instructor)"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="products")
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    cover = ImageUploadField(_("cover image"), upload_to="covers/products/", blank=True)
    price = money_field(_("price (CNY)"))
    list_price = money_field(_("list price (CNY)"), null=True, blank=True)
    stock = models.PositiveIntegerField(_("stock"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PHYSICAL)
    is_active = models.BooleanField(_("on sale"), default=True)

    owner_path = "instructor"
    objects = ProductQuerySet.as_manager()

    constraint_error_fields = {
        "negative_price": "price",
        "list_price_below_price": "list_price",
        "negative_stock": "stock",
    }

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="product_price_not_negative",
                violation_error_code="negative_price",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gte=F("price")),
                name="product_list_price_not_below_price",
                violation_error_code="list_price_below_price",
                violation_error_message=_("The list price cannot be below the price."),
            ),
            models.CheckConstraint(
                condition=Q(stock__gte=0),
                name="product_stock_not_negative",
                violation_error_code="negative_stock",
                violation_error_message=_("The stock cannot be negative."),
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "-created_at"], name="product_active_created"),
            models.Index(fields=["instructor", "is_active"], name="product_instructor_active"),
        ]

    def __str__(self):
        return self.title

    @property
    def in_stock(self):
        return self.stock > 0

    @property
    def ships(self) -> bool:
        """Whether the product is delivered to an address (physical) rather than online."""
        return self.kind == self.Kind.PHYSICAL


class LiveSession(ConstraintErrorsOnFields, TimeStamped):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live now")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")

    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("instructor"),
        on_delete=models.PROTECT,
        related_name="live_sessions",
    )
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="live_sessions",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="live_sessions"
    )
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    cover = ImageUploadField(_("cover image"), upload_to="covers/lives/", blank=True)
    scheduled_start = models.DateTimeField(_("scheduled start"))
    scheduled_end = models.DateTimeField(_("scheduled end"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    stream_url = models.URLField(_("stream URL"), max_length=500, blank=True)
    replay_url = models.URLField(_("replay URL"), max_length=500, blank=True)
    stream_key = models.CharField(
        _("stream key"),
        max_length=64,
        default=new_stream_key,
        editable=False,
        help_text=_("Secret: whoever has it may broadcast this live session."),
    )
    recording = models.CharField(
        _("recording"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("The replay recorded from the live stream, under the live folder."),
    )
    products = models.ManyToManyField(
        Product,
        through="LiveShelfItem",
        verbose_name=_("product shelf"),
        blank=True,
        related_name="live_sessions",
    )

    owner_path = "instructor"
    objects = LiveSessionQuerySet.as_manager()
    HAS_REPLAY = Q(status=Status.ENDED) & (~Q(replay_url="") | ~Q(recording=""))

    constraint_error_fields = {
        "end_before_start": "scheduled_end",
        "duplicate_stream_key": "stream_key",
    }

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["-scheduled_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_end__gt=F("scheduled_start")),
                name="live_end_after_start",
                violation_error_code="end_before_start",
                violation_error_message=_("The end must come after the start."),
            ),
            models.UniqueConstraint(
                fields=["stream_key"],
                name="live_stream_key_unique",
                violation_error_code="duplicate_stream_key",
                violation_error_message=_("Another live session has this stream key."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_start"], name="live_status_start"),
            models.Index(fields=["instructor", "-scheduled_start"], name="live_instructor_start"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        check_course_is_instructors(self)


class LiveShelfItem(ConstraintErrorsOnFields):
    """A product on a live session's shelf: ordered, at most one pinned, an optional flash price."""

    live_session = models.ForeignKey(
        LiveSession,
        verbose_name=_("live session"),
        on_delete=models.CASCADE,
        related_name="shelf_items",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="shelf_items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    flash_price = money_field(_("flash price (CNY)"), null=True, blank=True)
    flash_starts_at = models.DateTimeField(_("flash sale starts"), null=True, blank=True)
    flash_ends_at = models.DateTimeField(_("flash sale ends"), null=True, blank=True)

    owner_path = "live_session__instructor"
    objects = OwnedQuerySet.as_manager()

    constraint_error_fields = {
        "duplicate_product": "product",
        "pinned_twice": "is_pinned",
        "negative_flash_price": "flash_price",
    }

    class Meta:
        verbose_name = _("shelf item")
        verbose_name_plural = _("product shelf")
        ordering = ["live_session", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["live_session", "product"],
                name="shelf_product_once_per_live",
                violation_error_code="duplicate_product",
                violation_error_message=_("This product is on the shelf of this live already."),
            ),
            models.UniqueConstraint(
                fields=["live_session"],
                condition=Q(is_pinned=True),
                name="shelf_one_pinned_per_live",
                violation_error_code="pinned_twice",
                violation_error_message=_("Another product of this live is pinned already."),
            ),
            models.CheckConstraint(
                condition=Q(flash_price__isnull=True) | Q(flash_price__gte=0),
                name="shelf_flash_price_not_negative",
                violation_error_code="negative_flash_price",
                violation_error_message=_("The flash price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        flash_price__isnull=True,
                        flash_starts_at__isnull=True,
                        flash_ends_at__isnull=True,
                    )
                    | Q(
                        flash_price__isnull=False,
                        flash_starts_at__isnull=False,
                        flash_ends_at__gt=F("flash_starts_at"),
                    )
                ),
                name="shelf_flash_window_complete",
                violation_error_code="incomplete_flash_sale",
                violation_error_message=_(
                    "A flash sale needs a price, a start and an end after the start, "
                    "or none of them."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.live_session} · {self.product}"

    def clean(self):
        live = self.live_session if self.live_session_id else None
        product = self.product if self.product_id else None
        if live and product and product.instructor_id != live.instructor_id:
            raise ValidationError(
                {"product": _("Only the instructor's own products can be shelved.")}
            )
        if (
            live
            and self.flash_starts_at
            and self.flash_ends_at
            and (
                self.flash_starts_at < live.scheduled_start
                or self.flash_ends_at > live.scheduled_end
            )
        ):
            raise ValidationError(
                _("The flash sale window must lie within the live session's scheduled time.")
            )
        if product and self.flash_price is not None and self.flash_price > product.price:
            raise ValidationError({"flash_price": _("A flash price cannot exceed the price.")})

    def flash_active(self, at=None):
        if self.flash_price is None:
            return False
        at = at or timezone.now()
        return self.flash_starts_at <= at < self.flash_ends_at


class ShortVideo(ConstraintErrorsOnFields, TimeStamped):
    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("instructor"),
        on_delete=models.PROTECT,
        related_name="short_videos",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="short_videos"
    )
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    video_url = models.URLField(_("video URL"), max_length=500, blank=True)
    media = models.ForeignKey(
        MediaAsset,
        verbose_name=_("video file"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="short_videos",
    )
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"))
    cover = ImageUploadField(_("cover image"), upload_to="covers/videos/", blank=True)
    course = models.ForeignKey(
        Course,
        verbose_name=_("linked course"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="short_videos",
    )
    products = models.ManyToManyField(
        Product, verbose_name=_("linked products"), blank=True, related_name="short_videos"
    )
    is_published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    # Kept by ``social.services``: likes, visible comments and shares by signed-in learners.
    like_count = models.PositiveIntegerField(_("likes"), default=0, editable=False)
    comment_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)
    share_count = models.PositiveIntegerField(_("shares"), default=0, editable=False)

    owner_path = "instructor"
    objects = ShortVideoQuerySet.as_manager()

    constraint_error_fields = {"duration_not_positive": "duration_seconds"}

    class Meta:
        verbose_name = _("short video")
        verbose_name_plural = _("short videos")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_seconds__gt=0),
                name="video_duration_positive",
                violation_error_code="duration_not_positive",
                violation_error_message=_("The duration must be more than zero seconds."),
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "-published_at"], name="video_published"),
            models.Index(fields=["instructor", "-published_at"], name="video_instructor"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        check_course_is_instructors(self)


class ArticleImage(models.Model):
    """An image an instructor uploads to show in their article lessons: checked like covers
    (``ImageUploadField``) and stored at most ``MAX_IMAGE_WIDTH`` pixels wide."""

    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("instructor"),
        on_delete=models.CASCADE,
        related_name="article_images",
    )
    image = ImageUploadField(_("image"), upload_to="articles/")
    alt = models.CharField(_("description (alt text)"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    owner_path = "instructor"
    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("article image")
        verbose_name_plural = _("article images")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.image.name.rsplit("/", 1)[-1]

    def save(self, *args, **kwargs):
        if self.image and not self.image._committed:
            self.image.save(self.image.name, resized_upload(self.image.file), save=False)
        super().save(*args, **kwargs)


class SearchDocument(models.Model):
    """An item of the catalog (a course, live session, short video or product) as search reads
    it: each field's text segmented into terms (jieba for Chinese, lower-cased, separated by
    spaces) by ``courses.search``, which keeps it up to date.

    On PostgreSQL ``vector`` holds the weighted ``tsvector`` (title A, tags B, description C,
    context D) under a GIN index; on SQLite an FTS5 table with the same columns (its rowid this
    row's id) does that work and ``vector`` stays empty (both made by this app's migrations).
    Whether an item may be found (published, on sale, not cancelled) is asked of its own table
    at each search, never kept here.
    """

    class ItemType(models.TextChoices):
        COURSE = "course", _("course")
        LIVE = "live", _("live session")
        VIDEO = "video", _("short video")
        PRODUCT = "product", _("product")

    item_type = models.CharField(_("item type"), max_length=10, choices=ItemType.choices)
    object_id = models.PositiveBigIntegerField(_("item id"))
    title = models.TextField(_("title terms"), blank=True)
    tags = models.TextField(_("tag, category and instructor terms"), blank=True)
    description = models.TextField(_("description terms"), blank=True)
    context = models.TextField(_("lesson or linked course title terms"), blank=True)
    vector = SearchVectorField(null=True, blank=True)
    indexed_at = models.DateTimeField(_("indexed"), auto_now=True)

    constraint_error_fields = {"duplicate_document": "object_id"}

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(
                fields=["item_type", "object_id"],
                name="search_document_item",
                violation_error_code="duplicate_document",
                violation_error_message=_("This item already has a search document."),
            )
        ]

    def __str__(self):
        return f"{self.item_type} {self.object_id}: {self.title}"


class SearchTerm(models.Model):
    """A term of the indexed catalog with the number of items it was indexed for: what typos
    are corrected against and suggestions complete from."""

    term = models.CharField(_("term"), max_length=64, unique=True)
    documents = models.PositiveIntegerField(_("documents"), default=0)

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self):
        return self.term


class DiscountQuerySet(OwnedQuerySet):
    def running(self, at=None):
        """Discounts in force at ``at`` (now by default)."""
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at)

    def not_over(self, at=None):
        """Discounts running or still to come at ``at``."""
        return self.filter(ends_at__gt=at or timezone.now())


class Discount(ConstraintErrorsOnFields, TimeStamped):
    """A time-boxed discount (限时折扣) on some of an instructor's courses: a percentage or an
    amount off their price from ``starts_at`` until ``ends_at``, for everyone.

    It lives in the catalog because it changes the listed price: ``courses.pricing`` is the one
    place that applies it, to cards, pages, the cart and orders alike. When two discounts of a
    course run at once, the lower price wins. Coupons and bundles, which apply at checkout only,
    are in ``commerce.models``.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        AMOUNT = "amount", _("Amount off (CNY)")

    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("instructor"),
        on_delete=models.CASCADE,
        related_name="discounts",
    )
    title = models.CharField(
        _("title"), max_length=80, help_text=_("Shown to learners, e.g. 双十二限时折扣")
    )
    courses = models.ManyToManyField(Course, verbose_name=_("courses"), related_name="discounts")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(
        _("value"),
        max_digits=10,
        decimal_places=2,
        help_text=_("Per cent off (above 0, at most 100), or yuan off the price (above 0)."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    owner_path = "instructor"
    objects = DiscountQuerySet.as_manager()

    constraint_error_fields = {
        "discount_ends_before_start": "ends_at",
        "discount_value_positive": "value",
        "discount_percent_at_most_100": "value",
    }

    class Meta:
        verbose_name = _("time-limited discount")
        verbose_name_plural = _("time-limited discounts")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="discount_ends_after_start",
                violation_error_code="discount_ends_before_start",
                violation_error_message=_("A discount ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(value__gt=0),
                name="discount_value_positive",
                violation_error_code="discount_value_positive",
                violation_error_message=_("A discount takes something off: above 0."),
            ),
            models.CheckConstraint(
                condition=Q(kind="amount") | Q(value__lte=100),
                name="discount_percent_at_most_100",
                violation_error_code="discount_percent_at_most_100",
                violation_error_message=_("A percentage off is at most 100."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["percent", "amount"]),
                name="discount_kind_known",
                violation_error_code="discount_kind_unknown",
                violation_error_message=_("Unknown kind of discount."),
            ),
        ]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="discount_window")]

    def __str__(self):
        return self.title

    def price_of(self, price: Decimal) -> Decimal:
        """``price`` with this discount taken off, never below zero, rounded to the fen."""
        return price_after(price, kind=self.kind, value=self.value)


def price_after(price: Decimal, *, kind: str, value: Decimal) -> Decimal:
    """``price`` less ``value`` per cent (``kind`` "percent") or ``value`` yuan ("amount"),
    never below zero, rounded half up to the fen."""
    if kind == Discount.Kind.PERCENT:
        reduced = price * (Decimal(100) - value) / Decimal(100)
    else:
        reduced = price - value
    return max(Decimal("0.00"), reduced).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

"""The public catalog: courses, live sessions, short videos, products, categories, tags and
instructors, as lists and details."""

from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import ModelSerializer, Serializer
from courses.media import media_playback
from courses.models import (
    Category,
    Chapter,
    Course,
    Instructor,
    Lesson,
    LiveSession,
    Product,
    ShortVideo,
    Tag,
)
from courses.pricing import course_offer


class ImageUrlField(serializers.FileField):
    """The absolute URL of an uploaded image, or null when there is none."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, use_url=True, **kwargs)


class SelectorPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """The id of a row among those a selector returns, looked up when the request comes (so a
    selector's "published by now" is now, not when the module was imported)."""

    def __init__(self, *, selector, **kwargs):
        self.selector = selector
        super().__init__(queryset=selector().none(), **kwargs)

    def get_queryset(self):
        return self.selector()


class TagSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "slug"]


class CategoryBriefSerializer(ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class CategoryTreeSerializer(ModelSerializer):
    children = CategoryBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "children"]


class InstructorBriefSerializer(ModelSerializer):
    class Meta:
        model = Instructor
        fields = ["id", "display_name", "slug"]


class InstructorSerializer(ModelSerializer):
    avatar_url = ImageUrlField(source="avatar")

    class Meta:
        model = Instructor
        fields = ["id", "display_name", "slug", "headline", "bio", "avatar_url", "follower_count"]


class CourseBriefSerializer(ModelSerializer):
    cover_url = ImageUrlField(source="cover")

    class Meta:
        model = Course
        fields = ["id", "title", "slug", "cover_url"]


class OfferSerializer(Serializer):
    """What a course costs now, the same for everyone (``courses.pricing``)."""

    price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="The price in force now, after a running time-limited discount.",
    )
    regular_price = serializers.DecimalField(
        source="regular", max_digits=10, decimal_places=2, help_text="The price without it."
    )
    discounted = serializers.BooleanField(help_text="Whether a time-limited discount runs now.")
    discount_title = serializers.CharField(source="discount.title", allow_null=True)
    ends_at = serializers.DateTimeField(
        allow_null=True, help_text="When the discount ends (null without one)."
    )


class CourseListSerializer(ModelSerializer):
    cover_url = ImageUrlField(source="cover")
    is_free = serializers.BooleanField(read_only=True)
    offer = serializers.SerializerMethodField()
    instructor = InstructorBriefSerializer(read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)
    rating_average = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The average of its reviews' ratings (1-5)."
    )

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "slug",
            "subtitle",
            "cover_url",
            "price",
            "list_price",
            "offer",
            "is_free",
            "level",
            "language",
            "published_at",
            "instructor",
            "category",
            "tags",
            "rating_average",
            "rating_count",
        ]

    @extend_schema_field(OfferSerializer)
    def get_offer(self, course: Course) -> dict:
        return OfferSerializer(course_offer(course)).data


class PlaybackSerializer(Serializer):
    """A video file uploaded to the site, as HLS: addresses signed for the learner (paid
    lessons) or for anyone (free content), valid until ``expires``; the addresses themselves
    are the credential, so a player needs no cookie or token. Ask again after they expire."""

    ready = serializers.BooleanField(help_text="False while the file is being processed.")
    status = serializers.CharField(help_text="uploading, processing, ready or failed.")
    src = serializers.URLField(required=False, help_text="The master playlist (HLS).")
    poster = serializers.URLField(required=False)
    duration = serializers.IntegerField(required=False, help_text="Seconds.")
    paid = serializers.BooleanField(required=False)
    watermark = serializers.CharField(
        required=False, help_text="Paid video: the name to draw lightly over the picture."
    )
    expires = serializers.IntegerField(
        required=False, help_text="When the addresses stop working (Unix time)."
    )


def _playback(serializer, asset, *, paid: bool) -> dict | None:
    request = serializer.context.get("request")
    user = request.user if request is not None else AnonymousUser()
    playback = media_playback(asset=asset, user=user, paid=paid, bearer=True)
    if playback and playback["ready"] and request is not None:
        for key in ("src", "poster"):
            playback[key] = request.build_absolute_uri(playback[key])
    return playback


class LessonSerializer(ModelSerializer):
    video_url = serializers.SerializerMethodField(
        help_text="Only for learners enrolled in the course, or for free previews; else null."
    )
    playback = serializers.SerializerMethodField(
        help_text="The lesson's video uploaded to the site (HLS), for learners who may watch "
        "it; null otherwise or when it has none (then video_url may name a video host)."
    )

    audio_url = serializers.SerializerMethodField(
        help_text="Audio lessons: the address of the audio (it checks access itself), for "
        "learners who may listen; else null."
    )
    article_html = serializers.SerializerMethodField(
        help_text="Article lessons: the article as sanitised HTML, for learners who may read "
        "it; else null. duration_seconds is its estimated reading time."
    )

    class Meta:
        model = Lesson
        fields = [
            "id",
            "title",
            "position",
            "kind",
            "duration_seconds",
            "is_free_preview",
            "video_url",
            "playback",
            "audio_url",
            "article_html",
        ]

    def _playable(self, lesson: Lesson) -> bool:
        return lesson.pk in self.context.get("playable_lesson_ids", frozenset())

    @extend_schema_field(OpenApiTypes.URI)
    def get_video_url(self, lesson: Lesson) -> str | None:
        return (lesson.video_url or None) if self._playable(lesson) else None

    @extend_schema_field(PlaybackSerializer(allow_null=True))
    def get_playback(self, lesson: Lesson) -> dict | None:
        if lesson.kind != Lesson.Kind.VIDEO or not self._playable(lesson):
            return None
        return _playback(self, lesson.media, paid=not lesson.is_free_preview)

    @extend_schema_field(OpenApiTypes.URI)
    def get_audio_url(self, lesson: Lesson) -> str | None:
        if lesson.kind != Lesson.Kind.AUDIO or not lesson.audio or not self._playable(lesson):
            return None
        path = reverse("web:lesson_audio", args=[lesson.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.STR)
    def get_article_html(self, lesson: Lesson) -> str | None:
        if lesson.kind != Lesson.Kind.ARTICLE or not self._playable(lesson):
            return None
        return lesson.body_html


class ChapterSerializer(ModelSerializer):
    lessons = LessonSerializer(many=True, read_only=True)

    class Meta:
        model = Chapter
        fields = ["id", "title", "position", "lessons"]


class CourseDetailSerializer(CourseListSerializer):
    chapters = ChapterSerializer(many=True, read_only=True)
    enrolled = serializers.SerializerMethodField()

    class Meta(CourseListSerializer.Meta):
        fields = [*CourseListSerializer.Meta.fields, "description", "enrolled", "chapters"]

    def get_enrolled(self, course: Course) -> bool:
        return bool(self.context.get("enrolled", False))


class ProductBriefSerializer(ModelSerializer):
    cover_url = ImageUrlField(source="cover")
    in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "title", "slug", "cover_url", "price", "list_price", "in_stock"]


class ProductListSerializer(ProductBriefSerializer):
    instructor = InstructorBriefSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)

    class Meta(ProductBriefSerializer.Meta):
        fields = [*ProductBriefSerializer.Meta.fields, "kind", "instructor", "tags"]


class ProductDetailSerializer(ProductListSerializer):
    class Meta(ProductListSerializer.Meta):
        fields = [*ProductListSerializer.Meta.fields, "description"]


class LiveSessionBriefSerializer(ModelSerializer):
    cover_url = ImageUrlField(source="cover")

    class Meta:
        model = LiveSession
        fields = ["id", "title", "slug", "cover_url", "status", "scheduled_start", "scheduled_end"]


class LiveSessionListSerializer(ModelSerializer):
    cover_url = ImageUrlField(source="cover")
    instructor = InstructorBriefSerializer(read_only=True)
    course = CourseBriefSerializer(read_only=True, allow_null=True)
    tags = TagSerializer(many=True, read_only=True)

    class Meta:
        model = LiveSession
        fields = [
            "id",
            "title",
            "slug",
            "cover_url",
            "status",
            "scheduled_start",
            "scheduled_end",
            "instructor",
            "course",
            "tags",
        ]


class ShelfOfferSerializer(Serializer):
    """A product on the shelf and the price it sells at from this live session right now."""

    product = ProductBriefSerializer(source="item.product")
    position = serializers.IntegerField(source="item.position")
    is_pinned = serializers.BooleanField(source="item.is_pinned")
    price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="The price in force now, the same for everyone."
    )
    is_flash_price = serializers.BooleanField()
    flash_price = serializers.DecimalField(
        source="item.flash_price", max_digits=10, decimal_places=2, allow_null=True
    )
    flash_starts_at = serializers.DateTimeField(source="item.flash_starts_at", allow_null=True)
    flash_ends_at = serializers.DateTimeField(source="item.flash_ends_at", allow_null=True)


class LiveSessionDetailSerializer(LiveSessionListSerializer):
    """A live session with its current product shelf (直播带货); the shelf comes in the context."""

    shelf = serializers.SerializerMethodField()
    hls_url = serializers.SerializerMethodField(
        help_text="The live stream as HLS on this site (its state: /live/<slug>/status/)."
    )
    recording_url = serializers.SerializerMethodField(
        help_text="The replay recorded from the live stream, HLS on this site; null until then."
    )

    class Meta(LiveSessionListSerializer.Meta):
        fields = [
            *LiveSessionListSerializer.Meta.fields,
            "description",
            "stream_url",
            "replay_url",
            "hls_url",
            "recording_url",
            "shelf",
        ]

    def _site_url(self, name: str, live_session: LiveSession) -> str:
        path = reverse(name, args=[live_session.slug, "index.m3u8"])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_hls_url(self, live_session: LiveSession) -> str:
        return self._site_url("web:live_hls", live_session)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_recording_url(self, live_session: LiveSession) -> str | None:
        if not live_session.recording:
            return None
        return self._site_url("web:live_replay", live_session)

    @extend_schema_field(ShelfOfferSerializer(many=True))
    def get_shelf(self, live_session: LiveSession) -> list[dict]:
        return ShelfOfferSerializer(self.context["shelf"], many=True, context=self.context).data


class ShortVideoSerializer(ModelSerializer):
    cover_url = ImageUrlField(source="cover")
    playback = serializers.SerializerMethodField(
        help_text="The video uploaded to the site (HLS; short videos are free); null when it has "
        "none (then video_url names a video host)."
    )
    instructor = InstructorBriefSerializer(read_only=True)
    course = CourseBriefSerializer(read_only=True, allow_null=True)
    products = ProductBriefSerializer(many=True, read_only=True)
    tags = TagSerializer(many=True, read_only=True)

    class Meta:
        model = ShortVideo
        fields = [
            "id",
            "title",
            "slug",
            "cover_url",
            "video_url",
            "playback",
            "duration_seconds",
            "published_at",
            "instructor",
            "course",
            "products",
            "tags",
            "like_count",
            "comment_count",
            "share_count",
        ]

    @extend_schema_field(PlaybackSerializer(allow_null=True))
    def get_playback(self, video: ShortVideo) -> dict | None:
        return _playback(self, video.media, paid=False)

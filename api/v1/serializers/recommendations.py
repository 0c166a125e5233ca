"""Recommendation lists: items with a reason and a score, and the request id clicks carry back."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v1.serializers import Serializer
from api.v1.serializers.catalog import ImageUrlField, ShortVideoSerializer
from recommendations.services.serving import ITEM_MODELS

ITEM_TYPES = list(ITEM_MODELS)


class RecommendationQuerySerializer(Serializer):
    type = serializers.ChoiceField(choices=ITEM_TYPES, help_text="The kind of item to recommend.")
    slot = serializers.RegexField(
        r"^[a-z0-9_-]{1,40}$",
        default="home",
        help_text="The page section asking (home, course_detail, …), recorded with the clicks.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class TrendingQuerySerializer(Serializer):
    type = serializers.ChoiceField(choices=ITEM_TYPES)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class RelatedQuerySerializer(Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=20, default=6)


class ReasonSerializer(Serializer):
    kind = serializers.CharField(
        help_text="item, tag, similar, bought_together or trending: why it is shown."
    )
    text = serializers.CharField(help_text="The reason in words, for the learner.")


class RecommendedItemSerializer(Serializer):
    id = serializers.IntegerField(source="object.pk")
    type = serializers.CharField(source="item_type")
    title = serializers.CharField(source="object.title")
    cover_url = ImageUrlField(source="object.cover")
    price = serializers.SerializerMethodField(
        help_text="Courses and products: the price in force (the same for everyone); else null."
    )
    score = serializers.FloatField()
    reason = ReasonSerializer()

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True))
    def get_price(self, item) -> str | None:
        price = getattr(item.object, "price", None)
        return None if price is None else f"{price:.2f}"


class ExperimentTagSerializer(Serializer):
    key = serializers.CharField(help_text="The experiment's key.")
    variant = serializers.CharField(help_text="The name of the variant that served the list.")


class RecommendationListSerializer(Serializer):
    request_id = serializers.UUIDField(
        help_text="Send it back with the impression and click events of these items."
    )
    type = serializers.CharField(source="item_type")
    slot = serializers.CharField()
    personalised = serializers.BooleanField(
        help_text="False when signed out or when personalisation is switched off."
    )
    source = serializers.CharField(
        help_text="Where the first items came from: model, fold_in, content, trending, similar…"
    )
    items = RecommendedItemSerializer(many=True)
    experiment = ExperimentTagSerializer(
        allow_null=True,
        help_text="The experiment and variant that served this list; null outside experiments.",
    )

    def to_representation(self, result) -> dict:
        """The fields above, written out: this answers every recommended section of the apps,
        and the declared fields (which describe it in the schema) cost ten times as much to
        run. A test holds the two to the same output."""
        request = self.context.get("request")
        # What ``build_absolute_uri`` puts before a path, worked out once for the list.
        origin = request.build_absolute_uri("/")[:-1] if request else ""

        def cover_url(obj):
            cover = getattr(obj, "cover", None)
            if not cover:
                return None
            # The items are the process's copies of the catalog (``available_now``), made
            # afresh when it changes: the storage's address is worked out once for each.
            url = obj.__dict__.get("_cover_url")
            if url is None:
                url = obj.__dict__["_cover_url"] = cover.url
            return origin + url if url.startswith("/") and not url.startswith("//") else url

        def price(obj):
            value = getattr(obj, "price", None)
            return None if value is None else f"{value:.2f}"

        return {
            "request_id": str(result.request_id),
            "type": result.item_type,
            "slot": result.slot,
            "personalised": result.personalised,
            "source": result.source,
            "items": [
                {
                    "id": item.object.pk,
                    "type": item.item_type,
                    "title": item.object.title,
                    "cover_url": cover_url(item.object),
                    "price": price(item.object),
                    "score": float(item.score),
                    "reason": {"kind": item.reason.kind, "text": item.reason.text},
                }
                for item in result.items
            ],
            "experiment": (
                {"key": result.experiment.key, "variant": result.experiment.variant}
                if result.experiment is not None
                else None
            ),
        }


class VideoFeedQuerySerializer(Serializer):
    cursor = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        help_text="The `next` cursor of the page before; none (or empty) for the first page.",
    )
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=20)


class FeedVideoSerializer(ShortVideoSerializer):
    reason = ReasonSerializer(
        read_only=True,
        allow_null=True,
        help_text="Why the video was picked for the learner; null for the newest-first part.",
    )
    liked = serializers.SerializerMethodField(
        help_text="Whether the signed-in learner likes the video; false for anonymous visitors."
    )

    class Meta(ShortVideoSerializer.Meta):
        fields = [*ShortVideoSerializer.Meta.fields, "reason", "liked"]

    def get_liked(self, video) -> bool:
        return video.pk in self.context.get("liked_video_ids", ())


class VideoFeedPageSerializer(Serializer):
    next = serializers.URLField(
        allow_null=True, help_text="The next page's address; null at the end of the feed."
    )
    personalised = serializers.BooleanField(
        help_text="True when the feed starts with the learner's picks (signed in, "
        "personalisation on, and the recommender had picks); then on every page of it."
    )
    request_id = serializers.UUIDField(
        allow_null=True,
        help_text="The recommender's request id of the picks: send it back with the view, "
        "impression and click events of the videos that have a `reason`. Null without picks.",
    )
    results = FeedVideoSerializer(many=True)

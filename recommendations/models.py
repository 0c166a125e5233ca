"""Feedback events, learner profiles (用户画像) and privacy choices.

Events are the recommender's training data: one row per thing a learner (or an anonymous visitor)
did, idempotent on the client's event id. Interest tags are what the learner declared and what a
periodic task derived from their events; both are shown to the learner, who can delete any.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.constraints import ConstraintErrorsOnFields
from courses.models import Tag


class EventQuerySet(models.QuerySet):
    def credible(self):
        """Events of the kinds their writer can vouch for. Purchases, enrollments, live
        reservations, likes, comments and follows are the server's facts: they count only as
        the server recorded them when they happened (``commerce.signals``), never as a client
        claimed them (clients may not send them any more, and rows they sent before are left
        out)."""
        return self.filter(
            ~Q(event_type__in=Event.SERVER_ONLY_TYPES) | Q(client=Event.Client.SERVER)
        )


class Event(ConstraintErrorsOnFields):
    class Type(models.TextChoices):
        IMPRESSION = "impression", _("Impression")
        CLICK = "click", _("Click")
        DETAIL_VIEW = "view", _("Detail view")
        WATCH = "watch", _("Watch")
        LIKE = "like", _("Like")
        FAVOURITE = "favourite", _("Favourite")
        SHARE = "share", _("Share")
        ADD_TO_CART = "cart", _("Add to cart")
        PURCHASE = "purchase", _("Purchase")
        ENROLL = "enroll", _("Enroll")
        RATING = "rating", _("Rating")
        RESERVE = "reserve", _("Live reservation")
        SEARCH = "search", _("Search")
        NOT_INTERESTED = "not_interested", _("Not interested")
        COMMENT = "comment", _("Comment")
        FOLLOW = "follow", _("Follow")
        QUESTION = "question", _("Question")

    class ObjectType(models.TextChoices):
        COURSE = "course", _("Course")
        LESSON = "lesson", _("Lesson")
        LIVE = "live", _("Live session")
        VIDEO = "video", _("Short video")
        PRODUCT = "product", _("Product")
        INSTRUCTOR = "instructor", _("Instructor")

    class Client(models.TextChoices):
        WEB = "web", _("Web")
        IOS = "ios", _("iOS")
        ANDROID = "android", _("Android")
        SERVER = "server", _("Server")

    # What only the server records, when commerce, social or a live room announce it
    # (``commerce.signals``): a like, a comment, a follow and a question are rows of ``social`` or
    # ``liveroom`` first, so a client's claim of one would count what never happened; see
    # ``EventQuerySet.credible``.
    SERVER_ONLY_TYPES = frozenset(
        {
            Type.PURCHASE.value,
            Type.ENROLL.value,
            Type.RESERVE.value,
            Type.LIKE.value,
            Type.COMMENT.value,
            Type.FOLLOW.value,
            Type.QUESTION.value,
        }
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,  # event_user_newest leads with it
    )
    visitor_id = models.CharField(_("anonymous visitor id"), max_length=64, blank=True)
    event_type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    object_type = models.CharField(
        _("object type"), max_length=10, choices=ObjectType.choices, blank=True
    )
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    # Watch: share of the item watched (0-1) and the position reached; rating: 1-5.
    value = models.FloatField(_("value"), null=True, blank=True)
    position_seconds = models.PositiveIntegerField(_("position (seconds)"), null=True, blank=True)
    query = models.CharField(_("search query"), max_length=200, blank=True)
    page = models.CharField(_("page or slot"), max_length=64, blank=True)
    request_id = models.UUIDField(_("recommendation request id"), null=True, blank=True)
    client = models.CharField(_("client"), max_length=8, choices=Client.choices)
    client_ts = models.DateTimeField(_("client time"))
    server_ts = models.DateTimeField(_("server time"), db_index=True)
    client_event_id = models.UUIDField(_("client event id"), default=uuid.uuid4)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback events")
        constraints = [
            models.UniqueConstraint(
                fields=["client_event_id"],
                name="event_client_id_once",
                violation_error_code="duplicate_event",
                violation_error_message=_("An event with this client event id is stored already."),
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(visitor_id=""),
                name="event_has_actor",
                violation_error_code="no_actor",
                violation_error_message=_("An event needs a learner or an anonymous visitor id."),
            ),
            models.CheckConstraint(
                condition=~Q(event_type="rating") | Q(value__gte=1, value__lte=5),
                name="event_rating_1_to_5",
                violation_error_code="rating_out_of_range",
                violation_error_message=_("A rating goes from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=~Q(event_type="watch") | Q(value__gte=0, value__lte=1),
                name="event_watch_share_0_to_1",
                violation_error_code="watch_share_out_of_range",
                violation_error_message=_("The share watched goes from 0 to 1."),
            ),
            models.CheckConstraint(
                condition=Q(event_type="search") | Q(object_id__isnull=False),
                name="event_has_object",
                violation_error_code="no_object",
                violation_error_message=_("This event needs the id of what it is about."),
            ),
        ]
        indexes = [
            models.Index(fields=["user", "server_ts"], name="event_user_time"),
            # A learner's newest events, read by every recommended list (its cache stamp, and
            # the events folded in): without it the planner walks the primary key backwards.
            models.Index(fields=["user", "-id"], name="event_user_newest"),
            models.Index(fields=["object_type", "object_id"], name="event_object"),
            models.Index(
                fields=["visitor_id"], name="event_visitor", condition=Q(user__isnull=True)
            ),
            # Experiments' results join the impressions and clicks of their lists by request id.
            models.Index(
                fields=["request_id"], name="event_request", condition=Q(request_id__isnull=False)
            ),
            # What every recommended list leaves out (the learner's "not interested", purchases
            # and enrolments): a few rows among a learner's hundreds of views and clicks, which
            # the query otherwise read and filtered each time. Small: only those kinds are in it.
            models.Index(
                fields=["user", "object_type"],
                name="event_user_exclusions",
                condition=Q(event_type__in=["not_interested", "purchase", "enroll"]),
            ),
        ]

    def __str__(self):
        who = self.user_id or self.visitor_id
        what = self.get_object_type_display() if self.object_type else ""
        return f"{who} {self.get_event_type_display()} {what}:{self.object_id}"


class LearnerProfile(models.Model):
    """The learner's privacy choices. Personalisation is on by default, with a plain notice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="learner_profile",
    )
    personalization_enabled = models.BooleanField(_("personalised recommendations"), default=True)
    history_cleared_at = models.DateTimeField(_("history cleared at"), null=True, blank=True)
    interests_derived_at = models.DateTimeField(_("interests derived at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")

    def __str__(self):
        return str(self.user)


class InterestTag(ConstraintErrorsOnFields):
    """One tag on one learner's profile: declared by them, derived from events, or both.

    A tag the learner deleted stays as a ``dismissed`` row, so the periodic derivation never
    brings it back; declaring it again lifts the dismissal.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interest_tags"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    declared = models.BooleanField(_("declared by the learner"), default=False)
    derived_weight = models.FloatField(_("weight derived from activity"), default=0.0)
    dismissed = models.BooleanField(_("deleted by the learner"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    constraint_error_fields = {"duplicate_interest": "tag", "negative_weight": "derived_weight"}

    class Meta:
        verbose_name = _("interest tag")
        verbose_name_plural = _("interest tags")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "tag"],
                name="interest_tag_once",
                violation_error_code="duplicate_interest",
                violation_error_message=_("This tag is on the learner's profile already."),
            ),
            models.CheckConstraint(
                condition=Q(derived_weight__gte=0),
                name="interest_weight_not_negative",
                violation_error_code="negative_weight",
                violation_error_message=_("The weight cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(dismissed=False) | Q(declared=False, derived_weight=0),
                name="interest_dismissed_is_empty",
                violation_error_code="dismissed_not_empty",
                violation_error_message=_(
                    "A tag the learner deleted can be neither declared nor weighted."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.tag}"


class ModelVersion(ConstraintErrorsOnFields):
    """One training run of the recommender and, if it succeeded, the model it produced.

    Artefacts are stored (``artefact_path``, in the private ``artefacts`` storage) before anything
    points at the version; promotion flips ``status`` to active in one transaction, and a partial
    unique constraint guarantees there is never more than one active version.
    """

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        CANDIDATE = "candidate", _("Candidate")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no new data)")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TRAINING
    )
    kind = models.CharField(_("run"), max_length=12, default="retrain")
    data_since = models.DateTimeField(_("data from"), null=True, blank=True)
    data_until = models.DateTimeField(_("data until"), null=True, blank=True)
    last_event_id = models.BigIntegerField(_("newest event used"), null=True, blank=True)
    n_users = models.PositiveIntegerField(_("learners"), default=0)
    n_items = models.PositiveIntegerField(_("items"), default=0)
    n_interactions = models.PositiveIntegerField(_("interactions"), default=0)
    params = models.JSONField(_("hyper-parameters"), default=dict, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    baseline_metrics = models.JSONField(
        _("active model on the same holdout"), default=dict, blank=True
    )
    training_seconds = models.FloatField(_("training seconds"), null=True, blank=True)
    artefact_path = models.CharField(_("artefacts"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)

    constraint_error_fields = {"second_active_model": "status"}

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="one_active_model",
                violation_error_code="second_active_model",
                violation_error_message=_("Another model version is active already."),
            ),
        ]

    def __str__(self):
        return f"v{self.pk} ({self.get_status_display()})"


class TrendingSnapshot(models.Model):
    """The latest trending list of one item type, kept in the database so that it survives a
    cache outage (the cache holds the same list for speed)."""

    item_type = models.CharField(max_length=10, choices=Event.ObjectType.choices, unique=True)
    object_ids = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("trending list")
        verbose_name_plural = _("trending lists")

    def __str__(self):
        return f"trending {self.item_type}"


# --- experiments of the recommender ---------------------------------------------------------


class Experiment(ConstraintErrorsOnFields):
    """An A/B test of recommender configurations on some slots (the ``slot`` a section asks
    with: ``home``, ``home_products``, an app's own). Staff define it in the admin; it starts and
    stops through ``recommendations.services.experiments``. See docs/experiments.md."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        STOPPED = "stopped", _("Stopped")

    class Metric(models.TextChoices):
        CLICK_THROUGH = "click_through", _("Click-through of recommended cards")
        PURCHASE_7D = "purchase_7d", _("Purchase within 7 days of first exposure")

    key = models.SlugField(_("key"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    slots = models.CharField(
        _("slots"),
        max_length=300,
        help_text=_("The sections it applies to, separated by commas: home, home_products, …"),
    )
    primary_metric = models.CharField(
        _("primary metric"), max_length=16, choices=Metric.choices, default=Metric.CLICK_THROUGH
    )
    max_not_interested_rate = models.FloatField(
        _("guardrail: highest not-interested rate"),
        default=0.05,
        help_text=_("Share of exposed learners who marked a recommended item not interesting."),
    )
    max_latency_ms = models.FloatField(
        _("guardrail: slowest serving time (95th percentile, ms)"), default=200.0
    )
    alpha = models.FloatField(_("significance level α"), default=0.05)
    mixture_sd = models.FloatField(
        _("expected effect size τ"),
        default=0.05,
        help_text=_(
            "The spread of differences the sequential test expects (as a share, 0.05 = five "
            "points); any value keeps the test valid."
        ),
    )
    planned_learners = models.PositiveIntegerField(
        _("planned learners per variant"),
        null=True,
        blank=True,
        help_text=_("Stop without a winner once every variant has this many learners."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    constraint_error_fields = {
        "alpha_out_of_range": "alpha",
        "mixture_sd_not_positive": "mixture_sd",
        "guardrail_negative": "max_latency_ms",
    }

    class Meta:
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(alpha__gt=0, alpha__lt=0.5),
                name="experiment_alpha_in_range",
                violation_error_code="alpha_out_of_range",
                violation_error_message=_("α lies between 0 and 0.5 (0.05 is usual)."),
            ),
            models.CheckConstraint(
                condition=Q(mixture_sd__gt=0, mixture_sd__lte=1),
                name="experiment_mixture_sd_positive",
                violation_error_code="mixture_sd_not_positive",
                violation_error_message=_("τ lies above 0 and at most 1."),
            ),
            models.CheckConstraint(
                condition=Q(max_latency_ms__gte=0, max_not_interested_rate__gte=0),
                name="experiment_guardrails_not_negative",
                violation_error_code="guardrail_negative",
                violation_error_message=_("A guardrail cannot be negative."),
            ),
        ]

    def __str__(self):
        return self.key

    @property
    def slot_list(self) -> list[str]:
        return [slot.strip() for slot in self.slots.split(",") if slot.strip()]


class Variant(ConstraintErrorsOnFields):
    """One arm of an experiment: a recommender configuration and its share of the traffic."""

    class Family(models.TextChoices):
        ALS = "als", _("Matrix factorisation (ALS), then interests, then trending")
        POPULARITY = "popularity", _("Popularity only (trending)")

    class ReasonStyle(models.TextChoices):
        EXPLAINED = "explained", _("Explained (the item or tag behind each pick)")
        GENERIC = "generic", _("Generic (“recommended for you”)")

    class SourceOrder(models.TextChoices):
        MODEL_FIRST = "model_first", _("Model, interests, trending")
        CONTENT_FIRST = "content_first", _("Interests, model, trending")

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="variants", verbose_name=_("experiment")
    )
    name = models.SlugField(_("name"), max_length=40)
    is_control = models.BooleanField(_("control"), default=False)
    share = models.PositiveSmallIntegerField(_("traffic share (%)"))
    family = models.CharField(
        _("model family"), max_length=12, choices=Family.choices, default=Family.ALS
    )
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("model version"),
        help_text=_("Empty: the active version."),
    )
    diversity_weight = models.FloatField(
        _("diversity weight"),
        default=0.15,
        help_text=_("0: by score alone; 1: by novelty of tags alone (the site uses 0.15)."),
    )
    reason_style = models.CharField(
        _("reason style"), max_length=10, choices=ReasonStyle.choices, default="explained"
    )
    source_order = models.CharField(
        _("source order"), max_length=14, choices=SourceOrder.choices, default="model_first"
    )
    always_valid_p = models.FloatField(
        _("always-valid p-value"),
        default=1.0,
        help_text=_("The lowest seen so far against the control (it never rises)."),
    )

    constraint_error_fields = {
        "share_out_of_range": "share",
        "diversity_out_of_range": "diversity_weight",
        "duplicate_variant": "name",
    }

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["-is_control", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "name"],
                name="variant_name_once",
                violation_error_code="duplicate_variant",
                violation_error_message=_("The experiment has a variant of this name already."),
            ),
            models.UniqueConstraint(
                fields=["experiment"],
                condition=Q(is_control=True),
                name="variant_one_control",
                violation_error_code="second_control",
                violation_error_message=_("An experiment has exactly one control."),
            ),
            models.CheckConstraint(
                condition=Q(share__gte=1, share__lte=100),
                name="variant_share_1_to_100",
                violation_error_code="share_out_of_range",
                violation_error_message=_("A share goes from 1 to 100 percent."),
            ),
            models.CheckConstraint(
                condition=Q(diversity_weight__gte=0, diversity_weight__lte=1),
                name="variant_diversity_0_to_1",
                violation_error_code="diversity_out_of_range",
                violation_error_message=_("The diversity weight goes from 0 to 1."),
            ),
        ]

    def __str__(self):
        return f"{self.experiment.key}/{self.name}" if self.experiment_id else self.name


class Assignment(ConstraintErrorsOnFields):
    """A learner's variant in an experiment, stored at their first exposure: later changes to
    the shares do not move them."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assigned_at = models.DateTimeField(_("first exposure"), db_index=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "user"],
                name="assignment_once",
                violation_error_code="assigned_twice",
                violation_error_message=_("The learner is in this experiment already."),
            ),
        ]

    def __str__(self):
        return f"{self.user_id} → {self.variant}"


class Exposure(models.Model):
    """One list served under an experiment: the request id its cards carry back with their
    impressions and clicks, and how long serving took (the latency guardrail)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="exposures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request_id = models.UUIDField(_("recommendation request id"), unique=True)
    slot = models.CharField(_("slot"), max_length=64)
    item_type = models.CharField(_("item type"), max_length=8)
    served_at = models.DateTimeField(_("served"))
    latency_ms = models.FloatField(_("serving time (ms)"))

    class Meta:
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        indexes = [
            models.Index(fields=["experiment", "user"], name="exposure_experiment_user"),
        ]

    def __str__(self):
        return f"{self.variant} {self.request_id}"

"""What a live room keeps: its messages (chat and 弹幕, questions and their answers), who is
muted in it, the blocked words of every room, every moderator's action, and its likes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.constraints import ConstraintErrorsOnFields
from courses.models import LiveSession


class Message(ConstraintErrorsOnFields):
    class Kind(models.TextChoices):
        CHAT = "chat", _("Chat")
        DANMAKU = "danmaku", _("Danmaku (over the video)")

    live_session = models.ForeignKey(
        LiveSession,
        verbose_name=_("live session"),
        on_delete=models.CASCADE,
        related_name="room_messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="room_messages",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CHAT)
    text = models.CharField(_("text"), max_length=500)
    is_question = models.BooleanField(_("question"), default=False)
    answer = models.CharField(_("answer"), max_length=1000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)

    constraint_error_fields = {"pinned_twice": "is_pinned"}

    class Meta:
        verbose_name = _("live room message")
        verbose_name_plural = _("live room messages")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["live_session"],
                condition=Q(is_pinned=True),
                name="liveroom_one_pinned_message",
                violation_error_code="pinned_twice",
                violation_error_message=_("Another message of this live is pinned already."),
            ),
        ]
        indexes = [
            models.Index(fields=["live_session", "-id"], name="liveroom_message_newest"),
        ]

    def __str__(self):
        return self.text[:40]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Mute(models.Model):
    """A learner who may not post in one live's room."""

    live_session = models.ForeignKey(
        LiveSession, verbose_name=_("live session"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="room_mutes",
    )
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("muted by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("muted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mute")
        verbose_name_plural = _("mutes")
        constraints = [
            models.UniqueConstraint(fields=["live_session", "user"], name="liveroom_mute_once")
        ]

    def __str__(self):
        return f"{self.user} · {self.live_session}"


class BlockedWord(models.Model):
    """A word or phrase no message in any room may contain (case-insensitive)."""

    word = models.CharField(_("word or phrase"), max_length=50, unique=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blocked word")
        verbose_name_plural = _("blocked words")
        ordering = ["word"]

    def __str__(self):
        return self.word

    def save(self, *args, **kwargs):
        self.word = self.word.strip().lower()
        super().save(*args, **kwargs)


class ModerationAction(models.Model):
    """One moderator's action in a room, kept for the record."""

    class Action(models.TextChoices):
        DELETE = "delete", _("Deleted a message")
        MUTE = "mute", _("Muted a learner")
        UNMUTE = "unmute", _("Unmuted a learner")
        ANSWER = "answer", _("Answered a question")
        PIN = "pin", _("Pinned a message")
        UNPIN = "unpin", _("Unpinned a message")

    live_session = models.ForeignKey(
        LiveSession, verbose_name=_("live session"), on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_action_display()} · {self.live_session}"


class RoomLikes(models.Model):
    """How many likes a live's room has had (and, for the broadcasts, a running count in the
    cache)."""

    live_session = models.OneToOneField(
        LiveSession,
        verbose_name=_("live session"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    count = models.PositiveBigIntegerField(_("likes"), default=0)

    class Meta:
        verbose_name = _("room likes")
        verbose_name_plural = _("room likes")

    def __str__(self):
        return f"{self.live_session_id}: {self.count}"

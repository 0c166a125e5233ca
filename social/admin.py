"""Reviews (and comments) in the admin: instructors see those about their own courses and
videos only (``InstructorScopedAdmin``), and answer a review there once; only staff with the
permission (not the Instructors group) delete, as moderation. Every write is a service's."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from courses.admin import InstructorScopedAdmin
from social import services
from social.models import Review, VideoComment


@admin.register(Review)
class ReviewAdmin(InstructorScopedAdmin):
    list_display = ["course", "user", "rating", "short_text", "has_reply", "created_at"]
    list_filter = ["rating", "created_at"]
    search_fields = ["text", "course__title", "user__username"]
    list_select_related = ["course", "user"]
    readonly_fields = ["course", "user", "rating", "text", "replied_at", "anonymised_at"]
    fields = ["course", "user", "rating", "text", "reply", "replied_at", "anonymised_at"]

    @admin.display(description=_("review"))
    def short_text(self, review):
        return review.text[:60]

    @admin.display(description=_("replied"), boolean=True)
    def has_reply(self, review):
        return review.replied_at is not None

    def has_add_permission(self, request):
        return False  # reviews are written by enrolled learners, on the site or in the apps

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.replied_at is not None:
            return [*self.readonly_fields, "reply"]  # one reply, then it stands
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if "reply" not in form.changed_data:
            return
        try:
            services.review_reply(user=request.user, review_id=obj.pk, reply=obj.reply)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(getattr(error, "messages", [str(error)]))
            self.message_user(request, text, messages.ERROR)

    def delete_model(self, request, obj):
        services.review_delete(review_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for review in queryset:
            services.review_delete(review_id=review.pk)


@admin.register(VideoComment)
class VideoCommentAdmin(InstructorScopedAdmin):
    """Comments on short videos: instructors see those on their own videos and remove them
    (hidden, through ``comment_remove``, which keeps the video's count right)."""

    list_display = ["text", "video", "user", "parent", "is_hidden", "created_at"]
    list_filter = ["is_hidden", "created_at"]
    search_fields = ["text", "video__title", "user__username"]
    list_select_related = ["video", "user", "parent"]
    readonly_fields = ["video", "user", "parent", "text", "is_hidden", "created_at"]
    fields = readonly_fields
    actions = ["remove_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # removing hides (replies keep their place): the action below

    @admin.action(description=_("Remove selected comments"), permissions=["change"])
    def remove_selected(self, request, queryset):
        count = 0
        for comment in queryset.filter(is_hidden=False):
            services.comment_remove(user=request.user, comment_id=comment.pk)
            count += 1
        self.message_user(request, _("%(count)d comments removed.") % {"count": count})

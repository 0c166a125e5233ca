"""The live rooms in the admin: the blocked words (managed here), and the messages and the
moderation log to look through. Superusers only: instructors run their own rooms from their
room page (``/studio/lives/<id>/``)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_mixins import ViewOnly
from liveroom import services
from liveroom.models import BlockedWord, Message, ModerationAction


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(BlockedWord)
class BlockedWordAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["word", "created_at"]
    search_fields = ["word"]


@admin.register(Message)
class MessageAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["text", "author", "live_session", "kind", "is_question", "is_pinned"]
    list_filter = ["kind", "is_question", "is_pinned"]
    list_select_related = ["author", "live_session"]
    search_fields = ["text", "author__username"]
    readonly_fields = [f.name for f in Message._meta.fields]
    actions = ["remove_from_room"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # removed from the room (kept for the record), never erased here

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    @admin.action(description=_("Remove the selected messages from their rooms"))
    def remove_from_room(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for message_id in ids:
            services.message_delete(user=request.user, message_id=message_id)
        self.message_user(
            request,
            ngettext("%(count)d message removed.", "%(count)d messages removed.", len(ids))
            % {"count": len(ids)},
            messages.SUCCESS,
        )


@admin.register(ModerationAction)
class ModerationActionAdmin(ViewOnly, SuperuserOnly, admin.ModelAdmin):
    list_display = ["created_at", "live_session", "actor", "action", "target_user", "message"]
    list_filter = ["action"]
    list_select_related = ["live_session", "actor", "target_user", "message"]
    readonly_fields = [f.name for f in ModerationAction._meta.fields]

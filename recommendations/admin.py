"""Operators' views of the recommender: model versions (with promote and roll back), feedback
events and learner profiles. Read-only where the data is history; superusers only (the
Instructors group has no permissions here)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from recommendations.models import Event, LearnerProfile, ModelVersion
from recommendations.services import training


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "n_users",
        "n_items",
        "n_interactions",
        "ndcg",
        "training_seconds",
        "started_at",
        "activated_at",
    ]
    list_filter = ["status", "kind"]
    actions = ["make_active"]

    @admin.display(description="nDCG@10")
    def ndcg(self, version):
        value = version.metrics.get("ndcg@10")
        return "—" if value is None else f"{value:.4f}"

    @admin.action(description=_("Serve the selected version (promote or roll back)"))
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        try:
            version = training.model_promote(version=queryset.get())
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, _("%(version)s is now active.") % {"version": version})


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["server_ts", "user", "visitor_id", "event_type", "object_type", "object_id"]
    list_filter = ["event_type", "object_type", "client"]
    search_fields = ["user__username", "visitor_id", "=client_event_id", "=request_id"]
    list_select_related = ["user"]
    date_hierarchy = "server_ts"
    show_full_result_count = False


@admin.register(LearnerProfile)
class LearnerProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "personalization_enabled", "history_cleared_at", "interests_derived_at"]
    list_filter = ["personalization_enabled"]
    search_fields = ["user__username"]
    list_select_related = ["user"]

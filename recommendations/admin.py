"""Operators' views of the recommender: model versions (with promote and roll back), feedback
events and learner profiles. Read-only where the data is history; superusers only (the
Instructors group has no permissions here). Versions are deleted through
``training.model_versions_delete``, which keeps the active one unless an earlier version can
serve in its place (and promotes it first)."""

from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from recommendations import tasks
from recommendations.models import Event, LearnerProfile, ModelVersion
from recommendations.services import training


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


CHART_METRICS = [("ndcg@10", "#d4380d"), ("recall@10", "#1677ff"), ("coverage", "#389e0d")]
CHART_WIDTH, CHART_HEIGHT, CHART_VERSIONS = 640, 180, 30


def metrics_chart(versions) -> dict:
    """Polylines (SVG points) of each metric across evaluated versions, oldest first, scaled to
    the chart's box; drawn by the change list template, so nothing is loaded from elsewhere."""
    evaluated = [v for v in reversed(versions) if "ndcg@10" in v.metrics]
    if len(evaluated) < 2:
        return {}
    step = CHART_WIDTH / (len(evaluated) - 1)
    lines = []
    for name, colour in CHART_METRICS:
        values = [min(max(v.metrics.get(name, 0.0), 0.0), 1.0) for v in evaluated]
        points = " ".join(
            f"{i * step:.1f},{CHART_HEIGHT * (1 - value):.1f}" for i, value in enumerate(values)
        )
        lines.append({"name": name, "colour": colour, "points": points})
    return {
        "lines": lines,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "first": evaluated[0],
        "last": evaluated[-1],
    }


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    change_list_template = "admin/recommendations/modelversion/change_list.html"
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
    actions = ["make_active", "delete_selected"]

    def get_urls(self):
        retrain = path(
            "retrain/",
            self.admin_site.admin_view(self.retrain_view),
            name="recommendations_modelversion_retrain",
        )
        return [retrain, *super().get_urls()]

    def retrain_view(self, request):
        """Queue a retrain now (POST from the change list's button)."""
        if request.method != "POST" or not self.has_view_permission(request):
            raise PermissionDenied
        result = tasks.train_model.delay()
        self.message_user(request, _("Retraining queued (task %(id)s).") % {"id": result.id})
        return redirect("admin:recommendations_modelversion_changelist")

    def changelist_view(self, request, extra_context=None):
        versions = list(ModelVersion.objects.order_by("-id")[:CHART_VERSIONS])
        extra_context = {**(extra_context or {}), "chart": metrics_chart(versions)}
        return super().changelist_view(request, extra_context=extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        """Django's, refused (nothing deleted, nothing logged) when the version is the active one
        and no earlier version can serve in its place."""
        try:
            return super().delete_view(request, object_id, extra_context)
        except training.ActiveVersionKept as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return redirect("admin:recommendations_modelversion_changelist")

    @admin.action(
        permissions=["delete"], description=admin_actions.delete_selected.short_description
    )
    def delete_selected(self, request, queryset):
        """Django's action of the same name (which this replaces), refused as a whole like the
        delete view."""
        try:
            with transaction.atomic():  # a refusal undoes the deletions it logged
                return admin_actions.delete_selected(self, request, queryset)
        except training.ActiveVersionKept as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None

    def delete_model(self, request, obj):
        self._delete(request, [obj])

    def delete_queryset(self, request, queryset):
        self._delete(request, list(queryset))

    def _delete(self, request, versions):
        promoted = training.model_versions_delete(versions=versions)
        if promoted is not None:
            self.message_user(
                request,
                _("v%(id)s now serves in place of the deleted active version.")
                % {"id": promoted.pk},
                messages.WARNING,
            )

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

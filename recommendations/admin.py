"""Operators' views of the recommender: model versions (with promote and roll back), feedback
events, learner profiles, and experiments (defined here, started and stopped by actions, with
a results page). Read-only where the data is history; superusers only (the
Instructors group has no permissions here). Versions are deleted through
``training.model_versions_delete``, which keeps the active one unless an earlier version can
serve in its place (and promotes it first)."""

from django.contrib import admin, messages
from django.contrib.admin import actions as admin_actions
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from recommendations import tasks
from recommendations.models import Event, Experiment, LearnerProfile, ModelVersion, Variant
from recommendations.services import experiment_results, experiments, training
from recommendations.training.dataset import ordered_weights


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
    readonly_fields = ["social_weights"]
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

    @admin.display(description=_("Social feedback weights"))
    def social_weights(self, version):
        """The weights a tuning run chose on validation (a retrain reuses them), each with its
        default when it differs, and the validation scores of the choice and of the defaults."""
        choice = version.params.get("event_weight_choice")
        if not choice:
            return "—"
        weights = ", ".join(
            f"{kind} {weight:g}"
            if weight == choice["defaults"][kind]
            else _("%(kind)s %(weight)s (default %(default)s)")
            % {"kind": kind, "weight": f"{weight:g}", "default": f"{choice['defaults'][kind]:g}"}
            for kind, weight in ordered_weights(choice["chosen"])
        )
        validation = choice.get("validation")
        if not validation:
            return _("%(weights)s: the defaults, with nothing to validate on") % {
                "weights": weights
            }
        return _("%(weights)s; validation nDCG@10 %(chosen)s, with the defaults %(defaults)s") % {
            "weights": weights,
            "chosen": f"{validation['ndcg@10']:.4f}",
            "defaults": f"{validation['defaults']:.4f}",
        }

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


# --- experiments ------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _pct_interval(interval) -> str:
    return "—" if interval is None else f"[{100 * interval.low:+.1f}, {100 * interval.high:+.1f}]"


CI_WIDTH, CI_ROW = 480, 28


def results_rows(results) -> dict:
    """The results as the page shows them: formatted figures per variant, and a chart of each
    variant's difference to the control with its fixed (thin) and always-valid (thick) 95%
    intervals, drawn as SVG by the template."""
    rows, bars = [], []
    spans = [
        i
        for r in results.variants
        for i in (r.valid_interval, r.fixed_interval)
        if i is not None and i.high - i.low < 2
    ]
    reach = max([abs(v) for i in spans for v in (i.low, i.high)] + [0.01])

    def x(value: float) -> float:
        return round(CI_WIDTH / 2 + max(-1.0, min(1.0, value / reach)) * CI_WIDTH / 2, 1)

    for r in results.variants:
        rows.append(
            {
                "result": r,
                "rate": _pct(r.rate),
                "interval": f"[{100 * r.interval.low:.1f}, {100 * r.interval.high:.1f}]",
                "card_ctr": _pct(r.card_ctr),
                "not_interested": _pct(r.not_interested_rate),
                "latency": "—" if r.latency_p95_ms is None else f"{r.latency_p95_ms:.0f} ms",
                "difference": "—" if r.difference is None else f"{100 * r.difference:+.1f} pt",
                "fixed": _pct_interval(r.fixed_interval),
                "valid": _pct_interval(r.valid_interval),
                "p_value": "—" if r.p_value is None else f"{r.p_value:.4f}",
            }
        )
        if r.difference is not None:
            y = CI_ROW * len(bars) + CI_ROW // 2
            bars.append(
                {
                    "name": r.variant.name,
                    "y": y,
                    "text_y": y + 4,
                    "fixed": (x(r.fixed_interval.low), x(r.fixed_interval.high)),
                    "valid": (x(r.valid_interval.low), x(r.valid_interval.high)),
                    "point": x(r.difference),
                    "called": r.p_value < results.alpha_per_comparison,
                }
            )
    return {
        "rows": rows,
        "bars": bars,
        "width": CI_WIDTH,
        "height": CI_ROW * max(len(bars), 1),
        "zero": x(0.0),
        "reach": f"{100 * reach:.1f}",
    }


class VariantFormSet(BaseInlineFormSet):
    """The variants checked as a whole with their experiment (shares, control, overlap) by the
    same rule that starting an experiment applies."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.instance
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not self._should_delete_form(form)
        ]
        experiments.experiment_check(experiment=self.instance, variants=kept)


class VariantInline(admin.TabularInline):
    model = Variant
    formset = VariantFormSet
    extra = 0
    min_num = 2
    fields = [
        "name",
        "is_control",
        "share",
        "family",
        "model_version",
        "diversity_weight",
        "reason_style",
        "source_order",
        "always_valid_p",
    ]
    readonly_fields = ["always_valid_p"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "model_version":  # only versions with a model to serve
            kwargs["queryset"] = ModelVersion.objects.filter(
                status__in=[ModelVersion.Status.ACTIVE, ModelVersion.Status.RETIRED]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """Staff define experiments here; they start and stop through the actions (the same
    services any other door would call), and read the results on their own page."""

    inlines = [VariantInline]
    list_display = ["key", "status", "slots", "primary_metric", "started_at", "results_link"]
    list_filter = ["status"]
    search_fields = ["key", "description"]
    readonly_fields = ["status", "started_at", "stopped_at"]
    actions = ["start", "stop"]
    fieldsets = [
        (None, {"fields": ["key", "description", "status", "slots", "started_at", "stopped_at"]}),
        (_("What is measured"), {"fields": ["primary_metric"]}),
        (_("Guardrails"), {"fields": ["max_not_interested_rate", "max_latency_ms"]}),
        (
            _("Sequential test"),
            {"fields": ["alpha", "mixture_sd", "planned_learners"]},
        ),
    ]

    def get_urls(self):
        results = path(
            "<int:pk>/results/",
            self.admin_site.admin_view(self.results_view),
            name="recommendations_experiment_results",
        )
        return [results, *super().get_urls()]

    @admin.display(description=_("results"))
    def results_link(self, experiment):
        url = reverse("admin:recommendations_experiment_results", args=[experiment.pk])
        return format_html('<a href="{}">{}</a>', url, _("Results"))

    def results_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        experiment = get_object_or_404(Experiment, pk=pk)
        results = experiment_results.experiment_look(experiment=experiment)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Results of “%(key)s”") % {"key": experiment.key},
            "results": results,
            "table": results_rows(results),
            "experiment": experiment,
        }
        return TemplateResponse(request, "admin/recommendations/experiment/results.html", context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(experiments.experiments_changed)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(experiments.experiments_changed)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(experiments.experiments_changed)

    @admin.action(permissions=["change"], description=_("Start the selected experiments"))
    def start(self, request, queryset):
        for experiment in queryset:
            try:
                experiments.experiment_start(experiment=experiment)
            except ValidationError as error:
                self.message_user(
                    request, f"{experiment.key}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                self.message_user(request, _("%(key)s is running.") % {"key": experiment.key})

    @admin.action(permissions=["change"], description=_("Stop the selected experiments"))
    def stop(self, request, queryset):
        for experiment in queryset:
            experiments.experiment_stop(experiment=experiment)
            self.message_user(request, _("%(key)s is stopped.") % {"key": experiment.key})

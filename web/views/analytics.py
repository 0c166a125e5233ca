"""The instructors' dashboard and its orders export: one selector each, in ``analytics``."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.dashboard import NotAllowed, dashboard_for, orders_csv_rows
from web.forms import AnalyticsPeriodForm

CSV_COLUMNS = (
    ("number", "order"),
    ("created_at", "placed_at"),
    ("paid_at", "paid_at"),
    ("status_code", "status"),
    ("kind", "kind"),
    ("item", "item"),
    ("quantity", "quantity"),
    ("unit_price", "unit_price_cny"),
    ("amount", "amount_cny"),
    ("live", "during_live"),
    ("buyer", "buyer"),
)


def _period(request):
    form = AnalyticsPeriodForm(request.GET or None)
    return form, *form.period(timezone.localdate())


def _charts(board) -> dict:
    """What the charts draw (static/js/analytics.js), passed with json_script."""
    return {
        "money": {
            "labels": [d["day"].isoformat() for d in board.money["days"]],
            "revenue": [float(d["revenue"]) for d in board.money["days"]],
            "refunds": [float(d["refunds"]) for d in board.money["days"]],
            "earnings": [float(d["earnings"]) for d in board.money["days"]],
        },
        "lives": [
            {
                "id": live["id"],
                "labels": live["minutes"],
                "viewers": live["viewers"],
                "chat": live["chat"],
                "products": [
                    {"title": p["title"], "units": p["timeline"]} for p in live["products"]
                ],
            }
            for live in board.lives
        ],
        "watch": [
            {"id": f"{w['type']}-{w['id']}", "curve": w["curve"]}
            for w in board.watch
            if w["started"]
        ],
        "labels": {
            "revenue": _("Revenue"),
            "refunds": _("Refunds"),
            "earnings": _("Earnings"),
            "viewers": _("Viewers"),
            "chat": _("Chat messages per minute"),
            "learners": _("Learners still watching"),
            "minutes": _("Minutes from the start"),
            "units": _("Units sold"),
        },
    }


@login_required
def analytics_dashboard(request):
    form, start, end = _period(request)
    try:
        board = dashboard_for(user=request.user, start=start, end=end)
    except NotAllowed:
        raise PermissionDenied from None
    return render(
        request,
        "analytics/dashboard.html",
        {
            "form": form,
            "board": board,
            "charts": _charts(board),
            "query": request.GET.urlencode(),
            "suppress_below": settings.ANALYTICS_DP_SUPPRESS_BELOW,
        },
    )


class _Echo:
    def write(self, value):
        return value


@login_required
def analytics_orders_csv(request):
    _form, start, end = _period(request)
    try:
        rows = orders_csv_rows(user=request.user, start=start, end=end)
    except NotAllowed:
        raise PermissionDenied from None
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow([header for _key, header in CSV_COLUMNS])
        for row in rows:
            yield writer.writerow(
                [
                    row[key].isoformat() if hasattr(row[key], "isoformat") else row[key]
                    for key, _header in CSV_COLUMNS
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="orders-{start}-{end}.csv"'
    return response

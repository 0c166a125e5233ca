"""The dashboard and its CSV export, end to end: an instructor sees their own items, money and
orders only, with counts of learners through the privacy budget; a superuser sees everyone's,
exact; nobody else sees anything."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics.models import LiveBucket, Release
from analytics.rollups import rollup_run
from tests.factories import UserFactory
from tests.web.test_translations import english_in

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}
URL = reverse("web:analytics")
CSV_URL = reverse("web:analytics_orders_csv")


@pytest.fixture(autouse=True)
def exact_noise(settings):
    """A huge epsilon makes the noise nil, so released counts can be checked exactly."""
    settings.ANALYTICS_DP_EPSILON = 1e6
    settings.ANALYTICS_DP_DAILY_EPSILON = 1e7
    settings.ANALYTICS_DP_SUPPRESS_BELOW = 1


@pytest.fixture
def rolled(world):
    rollup_run()
    return world


def page(client, user, **params):
    client.force_login(user)
    return client.get(URL, {**PERIOD, **params}, HTTP_ACCEPT_LANGUAGE="en")


def export(client, user):
    client.force_login(user)
    response = client.get(CSV_URL, PERIOD)
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def row_of(board, object_type, pk):
    return next(r for r in board.funnel if r["type"] == object_type and r["id"] == pk)


def test_an_instructor_sees_their_own_items_and_money_only(client, rolled):
    response = page(client, rolled.a.user)
    assert response.status_code == 200
    board = response.context["board"]
    assert {(r["type"], r["id"]) for r in board.funnel} == {
        ("course", rolled.course.pk),
        ("product", rolled.product.pk),
        ("live", rolled.live.pk),
        ("video", rolled.video.pk),
    }
    course = row_of(board, "course", rolled.course.pk)
    assert [s["value"] for s in course["stages"]] == [3, 1, 1, 1, 2, 1]
    assert [s["rate"] for s in course["stages"]] == [None, 33.3, 100.0, 100.0, 200.0, 50.0]
    assert course["overall"] == 33.3 and course["revenue"] == Decimal("99")
    assert board.money["revenue"] == Decimal("217") and board.money["refunds"] == Decimal("118")
    assert board.money["earnings"] == Decimal("99")
    assert board.money["revenue_previous"] == 0 and board.money["earnings_change"] is None
    content = response.content.decode()
    assert "甲的课程" in content and "乙的课程" not in content and "乙老师" not in content
    sources = {s["source"]: s["stages"] for s in board.sources}
    assert sources["recommended"][:2] == [1, 1] and sources["search"][0] == 1
    assert sources["live"][4:] == [1, 1] and sources["video"][0] == 1


def test_watching_and_the_live_session_on_the_page(client, rolled):
    board = page(client, rolled.a.user).context["board"]
    lesson = next(w for w in board.watch if w["type"] == "lesson")
    assert lesson["curve"] == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1, None]  # 0 < 1: suppressed
    assert lesson["completion"] == 50.0
    # Tenths reached (2 + 8 × 1) × a tenth of ten minutes; the truth is 9.5 + 1 minutes.
    assert lesson["watch_minutes"] == 10.0
    (live,) = board.lives
    assert live["viewers"][:3] == [1, 2, None] and live["peak"] == 2
    assert live["chat_rate"] == 0 and live["chat"][:2] == [0, 0]  # counted: nobody chatted
    (shelf,) = live["products"]
    assert (shelf["pinned"], shelf["clicks"], shelf["paid"], shelf["units"]) == (True, 1, 1, 2)
    assert shelf["revenue"] == Decimal("118") and shelf["timeline"][1] == 2


@pytest.mark.parametrize("who", ["instructor", "superuser"])
def test_the_chat_rate_of_a_live_session_over_its_timeline(client, chatter, who):
    rollup_run()
    user = chatter.a.user
    if who == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True)
    response = page(client, user)
    (live,) = response.context["board"].lives
    # Four messages of the audience over two hours; per minute in each five minutes.
    assert live["chat_rate"] == round(4 / 120, 2) and live["chat_peak"] == 0.4
    assert live["chat"][:7] == [0.4, 0.2, 0, 0, 0, 0, 0.2]
    assert len(live["chat"]) == len(live["viewers"]) == 25
    (chart,) = response.context["charts"]["lives"]
    assert chart["chat"] == live["chat"] and chart["viewers"] == live["viewers"]
    content = response.content.decode()
    assert 'data-testid="chat-rate">0.03 messages/min<' in content
    assert "busiest five minutes: 0.4/min" in content and "not measured yet" not in content


def test_a_live_rolled_up_before_chat_was_counted_says_so(client, rolled):
    LiveBucket.objects.update(chat_messages=None)
    response = page(client, rolled.a.user)
    (live,) = response.context["board"].lives
    assert live["chat_rate"] is None and set(live["chat"]) == {None}
    assert "not measured yet" in response.content.decode()


def test_the_page_states_epsilon_and_passes_chart_data_without_inline_script(client, rolled):
    content = page(client, rolled.a.user).content.decode()
    assert "ε = 1000000.0 per release" in content
    assert 'data-testid="budget"' in content
    assert '<script id="analytics-data" type="application/json">' in content
    assert "vendor/chart.js/chart.umd.min.js" in content and "js/analytics.js" in content
    assert "<script>" not in content


def test_a_superuser_sees_everyone_exact(client, rolled):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    response = page(client, root)
    board = response.context["board"]
    assert board.scope.exact and board.budget is None
    assert row_of(board, "course", rolled.other_course.pk)["stages"][0]["value"] == 1
    assert board.money["revenue"] == Decimal("227")
    assert "Exact counts" in response.content.decode()
    assert not Release.objects.exists()
    assert len(export(client, root)) == 4


@pytest.mark.parametrize("who", ["learner", "staff"])
def test_nobody_else_sees_the_dashboard_or_the_export(client, rolled, who):
    user = UserFactory(username=who, is_staff=who == "staff")
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_signed_out_visitors_are_asked_to_sign_in(client):
    assert reverse("web:login") in client.get(URL)["Location"]
    assert reverse("web:login") in client.get(CSV_URL)["Location"]


def test_the_export_has_the_instructors_order_lines_with_anonymised_buyers(client, rolled):
    rows = export(client, rolled.a.user)
    assert sorted((r["item"], r["status"], r["amount_cny"]) for r in rows) == [
        ("甲的商品", "refunded", "118.00"),
        ("甲的课程", "paid", "99.00"),
        ("甲的课程", "pending", "99.00"),
    ]
    buyers = {r["buyer"] for r in rows}
    assert len(buyers) == 3 and all(b.startswith("#") and len(b) == 9 for b in buyers)
    for learner in rolled.learners:
        assert all(learner.username not in r["buyer"] for r in rows)
    assert {r["during_live"] for r in rows} == {"True", "False"}
    b_rows = export(client, rolled.b.user)
    assert [r["item"] for r in b_rows] == ["乙的课程"]
    # The same learner has another alias with another instructor.
    l1_alias_a = next(r["buyer"] for r in rows if r["status"] == "paid")
    assert b_rows[0]["buyer"] != l1_alias_a


def test_the_page_is_all_in_chinese_for_chinese_readers(client, rolled):
    client.force_login(rolled.a.user)
    response = client.get(URL, PERIOD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english_in(response.content.decode()) == set()


def test_the_page_lists_the_orders_it_exports(client, rolled):
    board = page(client, rolled.a.user).context["board"]
    assert board.orders_total == 3
    assert {o["item"] for o in board.orders} == {"甲的课程", "甲的商品"}


def test_looking_again_spends_no_budget_and_a_spent_budget_says_so(client, rolled, settings):
    settings.ANALYTICS_DP_EPSILON = settings.ANALYTICS_DP_DAILY_EPSILON = 1e6
    page(client, rolled.a.user)
    page(client, rolled.a.user)
    assert Release.objects.count() == 1
    response = page(client, rolled.a.user, start="2026-10-01", end="2026-10-31")
    assert response.context["board"].exhausted
    content = response.content.decode()
    assert 'data-testid="budget-exhausted"' in content and "no earlier release" in content
    # Money is shown whatever the budget.
    assert response.context["board"].money["revenue"] == 0


def test_a_wrong_period_says_what_is_wrong_and_shows_the_default(client, rolled):
    response = page(client, rolled.a.user, start="2026-11-30", end="2026-11-01")
    assert "The end comes before the start." in response.content.decode()
    assert response.context["board"].period.days == 30
    long = page(client, rolled.a.user, start="2020-01-01", end="2026-11-01")
    assert "A period is at most a year." in long.content.decode()


def test_the_default_period_is_the_last_thirty_days(client, rolled):
    client.force_login(rolled.a.user)
    board = client.get(URL).context["board"]
    assert board.period.days == 30 and board.previous.days == 30
    assert board.previous.end.toordinal() == board.period.start.toordinal() - 1


def test_each_figure_is_compared_with_the_period_before(client, rolled):
    board = page(client, rolled.a.user, start="2026-11-11", end="2026-11-11").context["board"]
    assert (board.previous.start.isoformat(), board.previous.end.isoformat()) == (
        "2026-11-10",
        "2026-11-10",
    )
    assert board.money["earnings"] == Decimal("-118") and board.money["earnings_previous"] == 217
    assert board.money["earnings_change"] == -154.4
    orders = row_of(board, "course", rolled.course.pk)["stages"][4]
    assert (orders["value"], orders["previous"], orders["change"]) == (0, 2, -100.0)


def test_an_anonymised_buyer_stays_anonymous_in_the_export(client, rolled):
    from commerce.models import Order

    Order.objects.filter(status="pending").update(user=None)
    rows = export(client, rolled.a.user)
    assert next(r["buyer"] for r in rows if r["status"] == "pending") == "—"


def test_long_lists_show_the_busiest_rows_and_say_how_many_there_are(client, rolled, settings):
    from analytics import dashboard

    dashboard.ROWS_SHOWN, saved = 1, dashboard.ROWS_SHOWN
    try:
        response = page(client, rolled.a.user)
        root = page(client, UserFactory(username="root", is_superuser=True, is_staff=True))
    finally:
        dashboard.ROWS_SHOWN = saved
    board = response.context["board"]
    assert [(r["type"], r["id"]) for r in board.funnel] == [("course", rolled.course.pk)]
    assert board.funnel_total == 4 and board.watch_total == 2
    assert [(w["type"], w["id"]) for w in board.watch] == [("lesson", rolled.lesson.pk)]
    assert "The 1 most seen of 4 items." in response.content.decode()
    assert "The 1 most watched of 2 lessons and videos." in response.content.decode()
    # Staff see the busiest of everyone's items that had anything happen.
    assert [(r["type"], r["id"]) for r in root.context["board"].funnel] == [
        ("course", rolled.course.pk)
    ]
    assert root.context["board"].funnel_total == 5

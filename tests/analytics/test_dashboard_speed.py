"""The staff's dashboard reads only what it shows: the busiest rows are chosen in SQL (the same
rows, figures and totals as adding up every item would give), and the page's queries do not grow
with the number of items, lessons or live sessions."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import dashboard
from analytics.dashboard import Period, _busiest, dashboard_for, exact_counts, scope_for
from analytics.models import DROP_OFF_STEPS, ItemDay, Release, SalesDay, Source, WatchDay
from analytics.rollups import rollup_run
from courses.models import Course, Product
from tests.analytics.conftest import at, event
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    LiveShelfItemFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
START, END = date(2026, 11, 1), date(2026, 11, 30)
PERIOD = Period(START, END)


def many_items(rng, instructors=3, per_instructor=6):
    """Courses and products with counts on random days of the period and the one before (ties
    on purpose: impressions from a few values), some with sales only, some only before; lessons
    with drop-off curves."""
    days = [START + timedelta(days=n) for n in range(-30, 30)]
    for _ in range(instructors):
        teacher = InstructorFactory()
        items = [("course", CourseFactory(instructor=teacher)) for _ in range(per_instructor)]
        items += [("product", ProductFactory(instructor=teacher)) for _ in range(3)]
        for object_type, item in items:
            kind = rng.choice(["seen", "seen", "seen", "sold only", "before only", "nothing"])
            for day in rng.sample(days, 4):
                if kind in ("seen", "before only") and (day < START or kind == "seen"):
                    ItemDay.objects.create(
                        day=day,
                        instructor=teacher,
                        object_type=object_type,
                        object_id=item.pk,
                        source=Source.ALL,
                        impressions=rng.choice([0, 2, 5]),
                        clicks=rng.choice([0, 1]),
                        views=1,
                    )
                if kind in ("seen", "sold only") and rng.random() < 0.5:
                    SalesDay.objects.create(
                        day=day,
                        instructor=teacher,
                        object_type=object_type,
                        object_id=item.pk,
                        source="direct",
                        orders=1,
                        paid=1,
                        units=1,
                        revenue=Decimal("9.90"),
                    )
            if object_type == "course" and kind != "nothing":
                lesson = LessonFactory(chapter__course=item)
                for day in rng.sample(days[30:], 2):
                    started = rng.choice([1, 3, 3])
                    WatchDay.objects.create(
                        day=day,
                        instructor=teacher,
                        object_type="lesson",
                        object_id=lesson.pk,
                        reached=[max(0, started - k // 4) for k in range(DROP_OFF_STEPS)],
                    )


def adding_up_everything(root):
    """What the staff's page showed before: every item's counts, then the busiest in Python."""
    scope = scope_for(root)
    figures = exact_counts(scope, PERIOD, zero_fill=False)
    both = SalesDay.objects.filter(day__gte=PERIOD.previous().start, day__lte=END)
    items = {tuple(key.split("|")[2].split(":")) for key in figures if key.startswith("f|")}
    items = {(t, int(pk)) for t, pk in items} | set(both.values_list("object_type", "object_id"))
    watched = {
        (key.split("|")[1].split(":")[0], int(key.split("|")[1].split(":")[1]))
        for key in figures
        if key.startswith("w|")
    }
    rows = dashboard.ROWS_SHOWN
    funnel = _busiest(sorted(items), lambda k: figures.get(f"f|c|{k[0]}:{k[1]}|impressions"), rows)
    watch = _busiest(sorted(watched), lambda k: figures.get(f"w|{k[0]}:{k[1]}|0"), rows)
    return funnel, len(items), watch, len(watched), figures


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_staffs_busiest_rows_are_those_of_every_item_added_up(monkeypatch, seed):
    monkeypatch.setattr(dashboard, "ROWS_SHOWN", 7)
    many_items(random.Random(seed))
    root = UserFactory(is_staff=True, is_superuser=True)
    funnel, funnel_total, watch, watch_total, figures = adding_up_everything(root)
    board = dashboard_for(user=root, start=START, end=END)
    assert [(r["type"], r["id"]) for r in board.funnel] == funnel
    assert (board.funnel_total, board.watch_total) == (funnel_total, watch_total)
    assert [(w["type"], w["id"]) for w in board.watch] == watch
    for row in board.funnel:
        key = f"{row['type']}:{row['id']}"
        assert [s["value"] for s in row["stages"][:4]] == [
            figures.get(f"f|c|{key}|{stage}") for stage in dashboard.STAGES
        ]
        assert [s["previous"] for s in row["stages"][:4]] == [
            figures.get(f"f|p|{key}|{stage}") for stage in dashboard.STAGES
        ]
    for row in board.watch:
        key = f"{row['type']}:{row['id']}"
        assert row["curve"] == [figures.get(f"w|{key}|{k}") for k in range(DROP_OFF_STEPS)]
    sold = SalesDay.objects.filter(day__gte=PERIOD.previous().start, day__lt=START)
    assert board.money["revenue_previous"] == sum(r.revenue for r in sold)


def queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("web:analytics"), {"start": START, "end": END})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["instructor", "superuser"])
def test_the_pages_queries_do_not_grow_with_items_and_lives(client, who):
    teacher = InstructorFactory()
    user = teacher.user if who == "instructor" else UserFactory(is_superuser=True, is_staff=True)

    def more(seed, lives):
        for n in range(lives):
            session = LiveSessionFactory(
                instructor=teacher,
                scheduled_start=at(20, day=START + timedelta(days=n)),
                scheduled_end=at(21, day=START + timedelta(days=n)),
            )
            LiveShelfItemFactory(live_session=session)
        many_items(random.Random(seed), instructors=1)
        if who == "instructor":  # the new items are the instructor's
            ItemDay.objects.update(instructor=teacher)
            for model in (Course, Product):
                model.objects.update(instructor=teacher)

    more(1, lives=1)
    few = queries(client, user)
    Release.objects.all().delete()  # the instructor's figures are released again
    more(2, lives=5)
    assert queries(client, user) <= few


def test_the_staffs_counts_are_kept_until_the_next_rollup_run(client, world):
    rollup_run()
    root = UserFactory(is_staff=True, is_superuser=True)
    first = queries(client, root)
    assert queries(client, root) < first  # the busiest rows and their counts from the cache
    board = dashboard_for(user=root, start=START, end=END)
    course = next(r for r in board.funnel if r["id"] == world.course.pk)
    assert course["stages"][0]["value"] == 3
    event("impression", world.course, visitor="visitor-2")
    assert dashboard_for(user=root, start=START, end=END).funnel == board.funnel  # not rolled up
    rollup_run()
    board = dashboard_for(user=root, start=START, end=END)
    assert next(r for r in board.funnel if r["id"] == world.course.pk)["stages"][0]["value"] == 4

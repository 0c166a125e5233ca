"""Serving: the right learner gets the right list, filtered, explained, and never an error."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from commerce.models import Enrollment
from courses.generations import catalog_changed
from courses.models import Course, LiveSession, Product, ShortVideo
from courses.services import course_unpublish
from recommendations.models import ModelVersion
from recommendations.services import training
from recommendations.services.events import event_record
from recommendations.services.profiles import interests_declare, personalization_set
from recommendations.services.serving import recommendations_for
from recommendations.services.trending import trending_refresh
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LessonFactory,
    LiveSessionFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def titles(result):
    return [item.object.title for item in result.items]


def topic_share(result, prefix):
    return sum(t.startswith(prefix) for t in titles(result)) / max(len(result.items), 1)


@pytest.fixture
def trained(world, fast_training, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = training.model_train(force=True)
    assert version.status == ModelVersion.Status.ACTIVE
    trending_refresh()
    return version


def test_a_learner_gets_courses_of_their_taste_with_a_reason_from_their_own_history(trained, world):
    fan = world.python_fans[0]
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.personalised and result.source == "model"
    assert topic_share(result, "Python") >= 0.75
    seen = {t for t in titles(result)} & {f"Python 课程 {i}" for i in range(4)}
    assert not seen  # fan 0 clicked courses 0-3: never recommended again
    assert all(
        "Python 课程" in item.reason.text for item in result.items if item.reason.kind == "item"
    )


def test_the_lists_come_from_the_precomputed_cache_after_promotion(trained, world):
    from recommendations.services.serving import list_cache_key

    fan = world.cooking_fans[0]
    assert cache.get(list_cache_key(trained.pk, fan.pk, "course")) is not None
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert topic_share(result, "烹饪") >= 0.75


def test_each_list_has_its_own_request_id(trained, world):
    fan = world.python_fans[0]
    first = recommendations_for(user=fan, item_type="course", k=3)
    second = recommendations_for(user=fan, item_type="course", k=3)
    assert first.request_id != second.request_id


def test_not_interested_bought_and_unpublished_items_are_never_shown(
    trained, world, django_capture_on_commit_callbacks
):
    fan = world.python_fans[0]
    shown = recommendations_for(user=fan, item_type="course", k=4).items
    dismissed, bought, withdrawn = (item.object for item in shown[:3])
    event_record(
        user=fan, event_type="not_interested", object_type="course", object_id=dismissed.pk
    )
    Enrollment.objects.create(user=fan, course=bought)
    with django_capture_on_commit_callbacks(execute=True):
        course_unpublish(course=withdrawn)
    again = {
        item.object.pk for item in recommendations_for(user=fan, item_type="course", k=10).items
    }
    assert not again & {dismissed.pk, bought.pk, withdrawn.pk}


def test_out_of_stock_products_are_not_recommended(trained):
    shop = InstructorFactory()
    ProductFactory(instructor=shop, title="卖完了", stock=0)
    ProductFactory(instructor=shop, title="有货", stock=3)
    result = recommendations_for(user=AnonymousUser(), item_type="product", k=10)
    assert "卖完了" not in titles(result)


def test_a_new_learner_gets_personal_results_after_a_few_events_without_a_retrain(trained, world):
    newcomer = UserFactory()
    for course in world.cooking_courses[:2]:
        event_record(
            user=newcomer, event_type="purchase", object_type="course", object_id=course.pk
        )
    result = recommendations_for(user=newcomer, item_type="course", k=4)
    assert result.source == "fold_in"
    assert topic_share(result, "烹饪") >= 0.75


def test_watched_lessons_count_for_their_courses_when_folding_in(trained, world):
    newcomer = UserFactory()
    for course in world.cooking_courses[:2]:
        lesson = LessonFactory(chapter__course=course)
        event_record(
            user=newcomer, event_type="watch", object_type="lesson", object_id=lesson.pk, value=1
        )
    result = recommendations_for(user=newcomer, item_type="course", k=4)
    assert result.source == "fold_in"
    assert titles(result)[0].startswith("烹饪")
    assert "“烹饪课程" in result.items[0].reason.text  # explained by a watched lesson's course


def test_a_learner_with_new_events_is_folded_in_again(trained, world):
    fan = world.python_fans[0]
    for course in world.cooking_courses:
        event_record(user=fan, event_type="purchase", object_type="course", object_id=course.pk)
    assert recommendations_for(user=fan, item_type="course", k=4).source == "fold_in"


def test_personalisation_off_gives_only_the_non_personal_list_at_once(trained, world):
    fan = world.python_fans[0]
    anonymous = recommendations_for(user=AnonymousUser(), item_type="course", k=5)
    personalization_set(user=fan, enabled=False)
    result = recommendations_for(user=fan, item_type="course", k=5)
    assert result.personalised is False and result.source == "trending"
    assert titles(result) == titles(anonymous)
    assert {item.reason.kind for item in result.items} == {"trending"}


def test_a_cleared_history_is_not_used_even_though_the_model_learnt_it(trained, world):
    from privacy.services import history_clear

    fan = world.python_fans[0]
    history_clear(user=fan)
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.source != "model"
    assert all(item.reason.kind != "item" for item in result.items)


def test_after_a_cleared_history_only_the_newer_events_are_folded_in(trained, world):
    from privacy.services import history_clear

    fan = world.python_fans[0]
    history_clear(user=fan)
    for course in world.cooking_courses[:3]:
        event_record(user=fan, event_type="click", object_type="course", object_id=course.pk)
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.source == "fold_in"
    assert topic_share(result, "烹饪") >= 0.75
    assert all("Python" not in item.reason.text for item in result.items)


def test_without_a_model_declared_interests_drive_the_list(world):
    learner = UserFactory()
    interests_declare(user=learner, tags=[world.cooking_tag])
    result = recommendations_for(user=learner, item_type="course", k=4)
    assert result.source == "content"
    assert topic_share(result, "烹饪") == 1.0
    assert result.items[0].reason.text == "Because you like #烹饪"


def test_without_a_model_or_interests_trending_answers(world):
    trending_refresh()
    result = recommendations_for(user=UserFactory(), item_type="course", k=5)
    assert result.source == "trending" and len(result.items) == 5


def test_a_brand_new_site_still_shows_something(db):
    CourseFactory.create_batch(3)
    result = recommendations_for(user=AnonymousUser(), item_type="course", k=5)
    assert len(result.items) == 3


def test_missing_model_files_never_break_a_page(trained, world, fast_training):
    from recommendations.training.artefacts import artefacts_delete, model_cache

    artefacts_delete(trained.artefact_path)
    model_cache.clear()
    cache.clear()
    fan = world.python_fans[0]
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert len(result.items) == 4  # content, then trending, answered
    assert result.source in {"content", "trending"}


def test_redis_down_falls_back_to_the_in_process_model(trained, world, cache_away):
    cache_away()
    fan = world.cooking_fans[1]
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.source == "model"
    assert topic_share(result, "烹饪") >= 0.75


def test_no_instructor_fills_more_than_two_places(trained, world):
    result = recommendations_for(user=world.python_fans[3], item_type="course", k=4)
    owners = [item.object.instructor_id for item in result.items]
    assert max(owners.count(o) for o in set(owners)) <= 2


def test_ended_live_sessions_are_not_recommended(db):
    from tests.factories import LiveSessionFactory

    now = timezone.now()
    LiveSessionFactory(
        title="已结束",
        scheduled_start=now - timedelta(hours=3),
        scheduled_end=now - timedelta(hours=1),
        status="ended",
    )
    LiveSessionFactory(title="即将开播")
    result = recommendations_for(user=AnonymousUser(), item_type="live", k=5)
    assert titles(result) == ["即将开播"]


def test_ended_live_sessions_with_a_replay_are_recommended_like_a_lesson(db):
    from tests.factories import LiveSessionFactory

    now = timezone.now()
    for title, replay in [("有回放", {"recording": "replays/1/index.m3u8"}), ("无回放", {})]:
        LiveSessionFactory(
            title=title,
            scheduled_start=now - timedelta(hours=3),
            scheduled_end=now - timedelta(hours=1),
            status="ended",
            **replay,
        )
    result = recommendations_for(user=AnonymousUser(), item_type="live", k=5)
    assert titles(result) == ["有回放"]


def test_the_number_of_queries_does_not_grow_with_the_catalog(
    trained, world, django_assert_max_num_queries
):
    fan = world.python_fans[0]
    with django_assert_max_num_queries(12):
        recommendations_for(user=fan, item_type="course", k=6)
    CourseFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        recommendations_for(user=fan, item_type="course", k=6)


@pytest.mark.parametrize("bad", [{"item_type": "planet"}, {"item_type": "course", "k": 0}])
def test_bad_arguments_are_refused_clearly(bad):
    with pytest.raises(ValueError):
        recommendations_for(user=AnonymousUser(), **({"k": 5} | bad))


def test_products_are_recommended_too(trained, world):
    ProductFactory(
        title="Python 书", tags=[world.python_tag], instructor=world.python_courses[0].instructor
    )
    assert recommendations_for(user=world.python_fans[0], item_type="product", k=3).items
    assert Product.objects.exists()


def test_a_repeated_request_reuses_the_list_and_its_items_with_a_new_request_id(
    trained, world, django_assert_num_queries
):
    fan = world.python_fans[0]
    first = recommendations_for(user=fan, item_type="course", k=4)
    with django_assert_num_queries(1):  # the learner's profile and newest event
        again = recommendations_for(user=fan, item_type="course", k=4)
    assert titles(again) == titles(first)
    assert [i.object.instructor.display_name for i in again.items] == [
        i.object.instructor.display_name for i in first.items
    ]
    assert again.request_id != first.request_id


def test_a_list_made_from_the_precomputed_list_is_not_stored_again_but_a_folded_in_one_is(
    trained, world
):
    """The precomputed list comes in the request's one cache round trip, so the list made from
    it is made again as cheaply as it would be read back: no write to the result cache. A list
    that cost more (folded in from the learner's events) is stored, and read back next time."""
    from recommendations.services import serving

    recommendations_for(user=world.python_fans[2], item_type="course", k=4)  # the version seen
    fan, newcomer = world.python_fans[1], UserFactory()
    for course in world.cooking_courses[:2]:
        event_record(
            user=newcomer, event_type="purchase", object_type="course", object_id=course.pk
        )

    def lists_written(spy):
        return [c for c in spy.call_args_list if c.args[0].startswith("recommender:list:")]

    with mock.patch.object(serving, "cache_set", wraps=serving.cache_set) as spy:
        # Two: the model fills their pool of candidates from the small catalog here.
        first = recommendations_for(user=fan, item_type="course", k=2)
        again = recommendations_for(user=fan, item_type="course", k=2)
    assert first.source == again.source == "model"
    assert titles(again) == titles(first) and len(first.items) == 2
    assert [i.reason for i in again.items] == [i.reason for i in first.items]
    assert lists_written(spy) == []

    with mock.patch.object(serving, "cache_set", wraps=serving.cache_set) as spy:
        first = recommendations_for(user=newcomer, item_type="course", k=4)
        again = recommendations_for(user=newcomer, item_type="course", k=4)
    assert first.source == "fold_in" and titles(again) == titles(first)
    assert len(lists_written(spy)) == 1


def test_any_action_of_the_learner_gets_a_fresh_list_at_once(trained, world):
    fan = world.python_fans[0]
    first = recommendations_for(user=fan, item_type="course", k=4).items[0].object
    event_record(user=fan, event_type="not_interested", object_type="course", object_id=first.pk)
    assert first.pk not in [
        i.object.pk for i in recommendations_for(user=fan, item_type="course", k=4).items
    ]


def test_a_cached_list_whose_item_was_withdrawn_is_recomputed(
    trained, world, django_capture_on_commit_callbacks
):
    fan = world.python_fans[0]
    first = recommendations_for(user=fan, item_type="course", k=4).items[0].object
    with django_capture_on_commit_callbacks(execute=True):
        course_unpublish(course=first)
    again = recommendations_for(user=fan, item_type="course", k=4)
    assert len(again.items) == 4 and first.pk not in [i.object.pk for i in again.items]


def test_a_catalog_change_shows_in_a_cached_list_at_once(
    trained, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    fan = world.python_fans[0]
    first = recommendations_for(user=fan, item_type="course", k=4).items[0].object
    with django_capture_on_commit_callbacks(execute=True):
        Course.objects.filter(pk=first.pk).update(title="改名的课")
        catalog_changed("course")
    # The learner; the available courses and when the clock next changes them; the items.
    with django_assert_num_queries(4):
        again = recommendations_for(user=fan, item_type="course", k=4)
    assert again.items[0].object.title == "改名的课"
    with django_assert_num_queries(1):  # and kept for the next request
        recommendations_for(user=fan, item_type="course", k=4)


def test_a_change_to_another_item_type_keeps_the_cached_items(
    trained, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    fan = world.python_fans[0]
    recommendations_for(user=fan, item_type="course", k=4)
    with django_capture_on_commit_callbacks(execute=True):
        catalog_changed("product", "live")
    with django_assert_num_queries(1):
        recommendations_for(user=fan, item_type="course", k=4)


def test_a_catalog_change_rolled_back_changes_nothing(trained, world, django_assert_num_queries):
    from django.db import transaction

    fan = world.python_fans[0]
    recommendations_for(user=fan, item_type="course", k=4)
    with pytest.raises(RuntimeError), transaction.atomic():
        catalog_changed("course")
        raise RuntimeError
    with django_assert_num_queries(1):
        recommendations_for(user=fan, item_type="course", k=4)


def test_a_live_session_that_ended_by_the_clock_leaves_a_cached_list(world, fast_training):
    fan = world.python_fans[0]
    now = timezone.now()
    soon = LiveSessionFactory(
        title="快结束的直播",
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(hours=1),
        scheduled_end=now + timedelta(minutes=5),
    )
    trending_refresh()
    first = recommendations_for(user=fan, item_type="live", k=5)
    assert soon.pk in [i.object.pk for i in first.items]
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(minutes=6)):
        later = recommendations_for(user=fan, item_type="live", k=5)
    assert soon.pk not in [i.object.pk for i in later.items]


def test_a_lost_generation_never_revives_items_cached_before_it(
    trained, world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from courses.generations import generation_key

    fan = world.python_fans[0]
    recommendations_for(user=fan, item_type="course", k=4)
    cache.delete(generation_key("course"))  # evicted, say
    with django_assert_num_queries(4):  # as after a change: the available courses read again
        recommendations_for(user=fan, item_type="course", k=4)


def test_precomputed_lists_equal_what_the_model_answers_for_one_learner(trained, world):
    from recommendations.services.serving import list_cache_key, model_candidates
    from recommendations.training.artefacts import model_cache

    loaded = model_cache.get(trained.pk, trained.artefact_path)
    for fan in (world.python_fans[0], world.cooking_fans[5]):
        row = loaded.row_of(fan.pk)
        for item_type in ("course", "video"):
            expected = model_candidates(
                loaded, row=row, user_items_row=None, item_type=item_type, n=100
            )
            ids, scores, reasons = cache.get(list_cache_key(trained.pk, fan.pk, item_type))
            assert ids == expected[0]
            assert scores == pytest.approx(expected[1], rel=1e-5)
            # Each reason's item comes with its title, so serving needs no look-up.
            assert [tuple(r[:2]) if r else None for r in reasons] == expected[2]
            models = {"course": Course, "video": ShortVideo}
            for item_type_, pk, title in filter(None, reasons):
                assert models[item_type_].objects.get(pk=pk).title == title


def test_a_list_served_from_the_precomputed_lists_looks_no_title_up(trained, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = recommendations_for(user=world.python_fans[0], item_type="course", k=4)
    assert result.source == "model"
    assert any("Python 课程" in item.reason.text for item in result.items)
    assert not [q for q in queries.captured_queries if '"item_type"' in q["sql"]]


def test_items_a_list_has_shown_are_not_read_again_while_the_catalog_holds(trained, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fan = world.python_fans[0]
    first = recommendations_for(user=fan, item_type="course", slot="home", k=4)
    with CaptureQueriesContext(connection) as queries:  # another slot: computed again
        again = recommendations_for(user=fan, item_type="course", slot="course_page", k=4)
    assert titles(again) == titles(first)
    assert not [q for q in queries.captured_queries if 'FROM "courses_course"' in q["sql"]]


def test_a_rollback_serves_the_earlier_version_at_once(
    trained, world, fast_training, django_capture_on_commit_callbacks
):
    from recommendations.services.serving import active_model_summary

    assert active_model_summary()["pk"] == trained.pk  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        newer = training.model_train(force=True)
    assert active_model_summary()["pk"] == newer.pk
    with django_capture_on_commit_callbacks(execute=True):
        training.model_rollback(to_version_id=trained.pk)
    assert active_model_summary()["pk"] == trained.pk


def test_the_available_items_kept_in_the_process_follow_the_clock_and_the_generation(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from recommendations.services.serving import available_now

    now = timezone.now()
    # Both change before the process would read its copy again anyway (a minute).
    later = CourseFactory(published_at=now + timedelta(seconds=20))
    soon_over = LiveSessionFactory(
        status=LiveSession.Status.LIVE,
        scheduled_start=now - timedelta(hours=1),
        scheduled_end=now + timedelta(seconds=25),
    )
    assert later.pk not in available_now("course", "g1").owners
    assert soon_over.pk in available_now("live", "g1").owners
    with django_assert_num_queries(0):  # kept
        available_now("course", "g1")
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(seconds=30)):
        assert later.pk in available_now("course", "g1").owners  # its time came
        assert soon_over.pk not in available_now("live", "g1").owners  # it ended
    course = world.python_courses[0]
    with django_capture_on_commit_callbacks(execute=True):
        course_unpublish(course=course)
    assert course.pk in available_now("course", "g1").owners  # the same generation: kept
    assert course.pk not in available_now("course", "g2").owners  # a new one: read again


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-29 13:57:49.100078",  # SQLite, as text
        datetime(2026, 11, 29, 13, 57, 49, 100078),  # SQLite, converted: naive, in UTC
        datetime(2026, 11, 29, 13, 57, 49, 100078, tzinfo=UTC),  # PostgreSQL
    ],
)
def test_datetimes_read_without_the_orm_are_aware_and_in_utc(raw):
    from recommendations.services.serving import _datetime

    assert _datetime(raw) == datetime(2026, 11, 29, 13, 57, 49, 100078, tzinfo=UTC)
    assert _datetime(raw).tzinfo is not None
    assert _datetime(None) is None


def test_only_the_codes_own_words_are_written_into_the_learners_queries():
    from recommendations.services.serving import _words

    assert _words("not_interested", "purchase") == "'not_interested', 'purchase'"
    with pytest.raises(ValueError):
        _words("course' OR '1'='1")

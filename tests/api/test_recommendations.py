"""Recommendations through the API: the site's own serving service, with reasons and a request
id; related items and trending lists, the same for everyone."""

from decimal import Decimal

import pytest

from courses.models import Course
from recommendations.services.events import event_record
from recommendations.services.profiles import interests_declare, personalization_set
from recommendations.services.trending import trending_refresh
from tests.api.conftest import client_for
from tests.factories import CourseFactory, ProductFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

RECOMMENDATIONS = "/api/v1/recommendations/"


def test_recommendations_say_why_each_item_is_shown():
    python = TagFactory(name="Python")
    liked = CourseFactory(tags=[python])
    CourseFactory(tags=[TagFactory()])
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    body = client_for(learner).get(RECOMMENDATIONS, {"type": "course", "slot": "home"}).json()
    assert body["personalised"] is True
    assert body["request_id"]
    assert body["slot"] == "home"
    first = body["items"][0]
    assert first["id"] == liked.pk
    assert first["type"] == "course"
    assert first["price"] == "99.00"
    assert first["reason"]["kind"] == "tag"
    assert "Python" in first["reason"]["text"]


def test_recommendations_leave_out_what_the_learner_owns():
    learner = UserFactory()
    owned, other = CourseFactory(), CourseFactory()
    event_record(user=learner, event_type="purchase", object_type="course", object_id=owned.pk)
    event_record(user=UserFactory(), event_type="view", object_type="course", object_id=other.pk)
    trending_refresh()
    items = client_for(learner).get(RECOMMENDATIONS, {"type": "course"}).json()["items"]
    assert [item["id"] for item in items] == [other.pk]


def test_recommendations_are_not_personalised_when_switched_off_or_signed_out():
    learner = UserFactory()
    personalization_set(user=learner, enabled=False)
    CourseFactory()
    assert (
        client_for(learner).get(RECOMMENDATIONS, {"type": "course"}).json()["personalised"] is False
    )
    assert client_for(None).get(RECOMMENDATIONS, {"type": "course"}).json()["personalised"] is False


@pytest.mark.parametrize("limit", [0, 51, "many"])
def test_recommendation_limit_must_be_1_to_50(limit):
    response = client_for(None).get(RECOMMENDATIONS, {"type": "course", "limit": limit})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["limit"]


def test_recommendations_return_at_most_the_limit():
    for _ in range(5):
        CourseFactory(instructor=CourseFactory().instructor)
    items = client_for(None).get(RECOMMENDATIONS, {"type": "course", "limit": 2}).json()["items"]
    assert len(items) == 2


def test_similar_courses_share_tags_and_exclude_the_course_itself(anon):
    tag = TagFactory()
    course, twin = CourseFactory(tags=[tag]), CourseFactory(tags=[tag])
    CourseFactory(tags=[TagFactory()])
    body = anon.get(f"/api/v1/courses/{course.pk}/similar/").json()
    assert [item["id"] for item in body["items"]] == [twin.pk]
    assert body["items"][0]["reason"]["kind"] == "similar"


def test_products_bought_together_come_from_co_purchases(anon):
    bought, together, unrelated = ProductFactory(), ProductFactory(), ProductFactory()
    for buyer in (UserFactory(), UserFactory()):
        for product in (bought, together):
            event_record(
                user=buyer, event_type="purchase", object_type="product", object_id=product.pk
            )
    body = anon.get(f"/api/v1/products/{bought.pk}/bought-together/").json()
    assert [item["id"] for item in body["items"]] == [together.pk]
    assert unrelated.pk not in [item["id"] for item in body["items"]]
    assert body["items"][0]["reason"]["kind"] == "bought_together"


def test_related_items_of_an_unpublished_course_are_404(anon):
    draft = CourseFactory(status=Course.Status.DRAFT, published_at=None)
    assert anon.get(f"/api/v1/courses/{draft.pk}/similar/").status_code == 404
    assert anon.get(f"/api/v1/courses/{draft.pk}/bought-together/").status_code == 404


def test_trending_is_the_same_for_everyone_and_never_personalised():
    free = CourseFactory(price=Decimal("0.00"))
    learner = UserFactory()
    event_record(user=learner, event_type="purchase", object_type="course", object_id=free.pk)
    mine = client_for(learner).get("/api/v1/trending/", {"type": "course"}).json()
    theirs = client_for(None).get("/api/v1/trending/", {"type": "course"}).json()
    assert mine["personalised"] is False
    assert [i["id"] for i in mine["items"]] == [i["id"] for i in theirs["items"]] == [free.pk]


def test_the_written_out_list_equals_what_its_declared_fields_give(rf, settings, tmp_path):
    """The list serializer's fast path and the fields that describe it in the schema agree, for
    every item type, with and without a cover and a price."""
    import uuid

    from django.core.files.base import ContentFile
    from rest_framework import serializers

    from api.v1.serializers.recommendations import RecommendationListSerializer
    from recommendations.services.serving import Reason, Recommendation, RecommendationList
    from tests.factories import LiveSessionFactory, ShortVideoFactory

    settings.MEDIA_ROOT = tmp_path
    with_cover = CourseFactory(price=Decimal("12.5"))
    with_cover.cover.save("c.png", ContentFile(b"png"), save=True)
    objects = [
        ("course", with_cover),
        ("course", CourseFactory(price=Decimal("0"))),
        ("product", ProductFactory(price=Decimal("59.90"))),
        ("live", LiveSessionFactory()),
        ("video", ShortVideoFactory()),
    ]
    result = RecommendationList(
        item_type="course",
        slot="home",
        request_id=uuid.uuid4(),
        personalised=True,
        source="model",
        items=[
            Recommendation(t, obj, 0.25 * i, Reason("item", f"因为 {i}"))
            for i, (t, obj) in enumerate(objects)
        ],
    )
    for request in (rf.get("/api/v1/recommendations/"), None):
        serializer = RecommendationListSerializer(result, context={"request": request})
        declared = serializers.Serializer.to_representation(serializer, result)
        assert serializer.data == declared
    assert serializer.data["items"][0]["cover_url"].endswith(".png")
    assert [i["price"] for i in serializer.data["items"]] == ["12.50", "0.00", "59.90", None, None]


def test_a_new_cover_shows_in_the_next_list(django_capture_on_commit_callbacks):
    from courses.generations import catalog_changed

    python = TagFactory(name="Python")
    course = CourseFactory(tags=[python], cover="covers/old.png")
    learner = UserFactory()
    interests_declare(user=learner, tags=[python])
    api = client_for(learner)
    first = api.get(RECOMMENDATIONS, {"type": "course"}).json()["items"][0]
    assert first["cover_url"] == "http://testserver/media/covers/old.png"
    with django_capture_on_commit_callbacks(execute=True):
        Course.objects.filter(pk=course.pk).update(cover="covers/new.png")
        catalog_changed("course")
    items = api.get(RECOMMENDATIONS, {"type": "course"}).json()["items"]  # the cached list
    assert "http://testserver/media/covers/new.png" in [item["cover_url"] for item in items]

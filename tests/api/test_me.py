"""The signed-in learner's own data: profile, interest tags, the personalisation switch, data
export, clearing history and deleting the account (PIPL; Art. 17 of the algorithmic
recommendation provisions)."""

import pytest

from accounts.models import User
from commerce.models import Order
from recommendations.models import Event, InterestTag
from recommendations.services.events import event_record
from recommendations.services.profiles import interests_declare
from tests.api.conftest import client_for, learner_with_data
from tests.factories import PASSWORD, CourseFactory, InstructorFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_and_changes_name_and_email():
    learner = UserFactory(username="ming")
    client = client_for(learner)
    assert client.get("/api/v1/me/").json()["username"] == "ming"
    changed = client.patch("/api/v1/me/", {"first_name": "明", "email": "ming@example.org"})
    assert changed.status_code == 200
    learner.refresh_from_db()
    assert (learner.first_name, learner.email) == ("明", "ming@example.org")


def test_profile_refuses_an_invalid_email_and_ignores_the_username():
    learner = UserFactory(username="ming")
    client = client_for(learner)
    assert list(client.patch("/api/v1/me/", {"email": "nope"}).json()["errors"]) == ["email"]
    client.patch("/api/v1/me/", {"username": "someone-else"})
    learner.refresh_from_db()
    assert learner.username == "ming"


def test_interest_tags_can_be_listed_added_and_deleted():
    learner, python, cooking = UserFactory(), TagFactory(name="Python"), TagFactory(name="烹饪")
    client = client_for(learner)
    added = client.post("/api/v1/me/interests/", {"tag_ids": [python.pk, cooking.pk]})
    assert {row["tag"]["name"] for row in added.json()} == {"Python", "烹饪"}
    assert client.delete(f"/api/v1/me/interests/{python.pk}/").status_code == 204
    assert [row["tag"]["name"] for row in client.get("/api/v1/me/interests/").json()] == ["烹饪"]
    assert InterestTag.objects.get(user=learner, tag=python).dismissed


def test_deleting_a_tag_not_on_the_profile_is_404():
    assert (
        client_for(UserFactory()).delete(f"/api/v1/me/interests/{TagFactory().pk}/").status_code
        == 404
    )


def test_personalisation_switch_takes_effect_at_once():
    learner = UserFactory()
    interests_declare(user=learner, tags=[TagFactory()])
    CourseFactory()
    client = client_for(learner)
    assert client.get("/api/v1/me/personalization/").json() == {"enabled": True}
    assert client.put("/api/v1/me/personalization/", {"enabled": False}).json() == {
        "enabled": False
    }
    recommendations = client.get("/api/v1/recommendations/", {"type": "course"}).json()
    assert recommendations["personalised"] is False


def test_data_export_holds_the_learners_orders_events_and_tags():
    learner = learner_with_data()
    export = client_for(learner).get("/api/v1/me/export/").json()
    assert export["account"]["username"] == learner.username
    assert len(export["orders"]) == 2
    assert export["events"]
    assert export["interest_tags"]


def test_clearing_history_deletes_events_but_keeps_declared_tags():
    learner, tag, course = UserFactory(), TagFactory(), CourseFactory()
    interests_declare(user=learner, tags=[tag])
    event_record(user=learner, event_type="view", object_type="course", object_id=course.pk)
    response = client_for(learner).delete("/api/v1/me/history/")
    assert response.json() == {"events_deleted": 1}
    assert not Event.objects.filter(user=learner).exists()
    assert InterestTag.objects.filter(user=learner, declared=True).exists()


def test_deleting_the_account_needs_the_password():
    learner = learner_with_data()
    response = client_for(learner).post("/api/v1/me/delete/", {"password": "wrong"})
    assert list(response.json()["errors"]) == ["password"]
    assert User.objects.filter(pk=learner.pk).exists()


def test_deleting_the_account_keeps_orders_anonymised():
    learner = learner_with_data()
    orders = list(Order.objects.filter(user=learner).values_list("pk", flat=True))
    response = client_for(learner).post("/api/v1/me/delete/", {"password": PASSWORD})
    assert response.status_code == 204
    assert not User.objects.filter(pk=learner.pk).exists()
    assert set(Order.objects.filter(pk__in=orders).values_list("user", flat=True)) == {None}


def test_an_instructor_account_is_closed_by_support_not_by_the_api():
    instructor = InstructorFactory().user
    response = client_for(instructor).post("/api/v1/me/delete/", {"password": PASSWORD})
    assert response.status_code == 400
    assert User.objects.filter(pk=instructor.pk).exists()

"""The live room over REST: the messages newest first in pages, posting with the same rules as
the WebSocket (a 400 naming the field, a 403 when muted), questions, answers, deletions, mutes and
likes, each only for whom may."""

import pytest
from rest_framework.test import APIClient

from liveroom import selectors, services
from liveroom.models import BlockedWord, Message
from tests.factories import InstructorFactory, LiveSessionFactory

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def url(live, rest=""):
    return f"/api/v1/lives/{live.pk}/{rest}"


def test_anyone_reads_the_messages_newest_first_in_pages(live, learner, instructor_user):
    for n in range(5):
        services.message_post(user=instructor_user, live_session=live, text=f"第{n}条")
    deleted = services.message_post(user=learner, live_session=live, text="广告")
    services.message_delete(user=instructor_user, message_id=deleted.pk)
    page = api().get(url(live, "messages/"), {"page_size": 3}).json()
    assert [m["text"] for m in page["results"]] == ["第4条", "第3条", "第2条"]
    rest = api().get(page["next"]).json()
    assert [m["text"] for m in rest["results"]] == ["第1条", "第0条"]


def test_a_learner_posts_and_gets_the_message_back(live, learner):
    response = api(learner).post(
        url(live, "messages/"), {"text": "老师好", "kind": "danmaku"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "danmaku" and body["author"] == {"id": learner.pk, "name": "小明"}
    assert Message.objects.get().text == "老师好"


def test_anonymous_visitors_cannot_post(live):
    response = api().post(url(live, "messages/"), {"text": "hi"}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 201}, "text"),
        ({"text": "加微信"}, "text"),
        ({"text": "hi", "kind": "shout"}, "kind"),
        ({"text": 5}, "text"),
        ({"text": "hi", "is_question": "yes"}, "is_question"),
    ],
)
def test_a_refused_message_is_a_400_naming_the_field(live, learner, data, field):
    BlockedWord.objects.create(word="微信")
    response = api(learner).post(url(live, "messages/"), data, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_muted_learner_is_refused_with_a_403(live, learner, instructor_user):
    response = api(instructor_user).post(
        url(live, "mutes/"), {"user_id": learner.pk}, format="json"
    )
    assert response.status_code == 201
    assert api(learner).post(url(live, "messages/"), {"text": "hi"}).status_code == 403
    assert api(instructor_user).delete(url(live, f"mutes/{learner.pk}/")).status_code == 204
    assert api(learner).post(url(live, "messages/"), {"text": "hi"}).status_code == 201


def test_an_unknown_live_is_a_404(learner):
    assert api().get("/api/v1/lives/999999/messages/").status_code == 404
    response = api(learner).post("/api/v1/lives/999999/messages/", {"text": "x"})
    assert response.status_code == 404


def test_questions_and_answers(live, learner, instructor_user):
    message = services.message_post(user=learner, live_session=live, text="怎么买")
    response = api(learner).post(url(live, f"messages/{message.pk}/question/"))
    assert response.status_code == 200 and response.json()["is_question"]
    response = api(instructor_user).post(
        url(live, f"messages/{message.pk}/answer/"), {"answer": "点购物袋"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["answer"] == "点购物袋" and response.json()["is_pinned"]
    assert response.json()["answered_by"] == instructor_user.username


def test_only_the_author_marks_a_question_and_only_the_instructor_answers(
    live, learner, other_learner
):
    message = services.message_post(user=learner, live_session=live, text="怎么买")
    assert api(other_learner).post(url(live, f"messages/{message.pk}/question/")).status_code == (
        404
    )
    stranger = InstructorFactory().user
    for user in (learner, stranger):
        response = api(user).post(
            url(live, f"messages/{message.pk}/answer/"), {"answer": "x"}, format="json"
        )
        assert response.status_code == 403
        assert api(user).delete(url(live, f"messages/{message.pk}/")).status_code == 403


def test_a_message_is_reached_only_through_its_own_live(live, learner, instructor_user):
    other = LiveSessionFactory(instructor=live.instructor)
    message = services.message_post(user=learner, live_session=live, text="x")
    assert api(instructor_user).delete(url(other, f"messages/{message.pk}/")).status_code == 404
    assert api(instructor_user).delete(url(live, f"messages/{message.pk}/")).status_code == 204
    assert selectors.room_history(live_session=live) == []


def test_another_instructor_cannot_mute_in_my_room(live, learner):
    stranger = InstructorFactory().user
    response = api(stranger).post(url(live, "mutes/"), {"user_id": learner.pk}, format="json")
    assert response.status_code == 403


def test_likes_over_rest(live, learner):
    response = api(learner).post(url(live, "likes/"), {"count": 3}, format="json")
    assert response.status_code == 200 and response.json() == {"counted": 3, "likes": 3}
    assert api().post(url(live, "likes/"), {"count": 1}, format="json").status_code == 401
    response = api(learner).post(url(live, "likes/"), {"count": 0}, format="json")
    assert response.status_code == 400


def test_the_schema_names_the_rooms_operations():
    schema = api().get("/api/schema/?format=json").json()
    assert "/api/v1/lives/{id}/messages/" in schema["paths"]
    assert "/api/v1/lives/{id}/messages/{message_id}/answer/" in schema["paths"]

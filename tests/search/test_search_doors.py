"""Search through its doors: the search page and the API search and suggestions, each search
recorded as a feedback event, ties broken by the learner's recommendations, the admin keeping
the index current."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courses.models import Tag
from courses.search import search_index_items
from recommendations.models import Event
from recommendations.services import search as search_service
from recommendations.services.profiles import personalization_set
from recommendations.services.serving import Reason, Recommendation, RecommendationList
from tests.api.conftest import client_for
from tests.factories import CourseFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    courses = [
        CourseFactory(title="Python 编程入门", price=Decimal("0"), description="<b>变量</b>与函数"),
        CourseFactory(title="Python 爬虫实战", price=Decimal("199")),
        CourseFactory(title="Excel 数据透视表", price=Decimal("59")),
    ]
    search_index_items("course", [c.pk for c in courses])
    return courses


@pytest.fixture
def learner(db):
    return UserFactory(username="xiaoming")


def _recommended(user, ids):
    """The recommender's answer for ``user``: these courses, best first."""
    from courses.models import Course

    courses = {c.pk: c for c in Course.objects.filter(pk__in=ids)}
    return RecommendationList(
        item_type="course",
        slot="search",
        request_id=None,
        personalised=True,
        source="model",
        items=[Recommendation("course", courses[pk], 1.0, Reason("item", "")) for pk in ids],
    )


# --- the page ----------------------------------------------------------------------------------


def test_the_search_page_lists_highlighted_results_with_sorts(client, catalog):
    response = client.get(reverse("web:browse"), {"q": "pyhton", "type": "course"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="search-hit"') == 2
    assert "<mark>Python</mark> 编程入门" in page
    assert "&lt;b&gt;变量&lt;/b&gt;" in page  # the description's markup is shown, never run
    assert 'data-testid="did-you-mean"' in page and "q=python" in page
    assert "sort=price" in page and "sort=newest" in page


def test_the_search_page_sorts_by_price_within_its_filters(client, catalog):
    response = client.get(reverse("web:browse"), {"q": "python", "sort": "-price"})
    page = response.content.decode()
    assert page.index("爬虫实战") < page.index("编程入门")
    free = client.get(reverse("web:browse"), {"q": "python", "price": "free"}).content.decode()
    assert free.count('data-testid="search-hit"') == 1 and "编程入门" in free


def test_an_unknown_sort_on_the_page_falls_back_to_relevance(client, catalog):
    response = client.get(reverse("web:browse"), {"q": "python", "sort": "cheapest"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="search-hit"') == 2


def test_an_empty_search_page_helps(client, catalog):
    TagFactory(name="摄影")
    page = client.get(reverse("web:browse"), {"q": "量子力学"}).content.decode()
    assert 'data-testid="search-empty"' in page
    assert "#摄影" in page


def test_the_search_page_has_pages(client):
    courses = [CourseFactory(title=f"吉他 第{n}期") for n in range(14)]
    search_index_items("course", [c.pk for c in courses])
    first = client.get(reverse("web:browse"), {"q": "吉他"}).content.decode()
    assert first.count('data-testid="search-hit"') == 12 and 'rel="next"' in first
    second = client.get(reverse("web:browse"), {"q": "吉他", "page": "2"}).content.decode()
    assert second.count('data-testid="search-hit"') == 2 and 'rel="prev"' in second
    assert client.get(reverse("web:browse"), {"q": "吉他", "page": "x"}).status_code == 200


def test_a_search_on_the_page_is_recorded_once_as_feedback(client, learner, catalog):
    client.force_login(learner)
    client.get(reverse("web:browse"), {"q": "Python 爬虫"})
    client.get(reverse("web:browse"), {"q": "Python 爬虫", "page": "2"})
    event = Event.objects.get(event_type="search")
    assert (event.user, event.query, event.page, event.client) == (
        learner,
        "Python 爬虫",
        "search",
        "server",
    )
    assert event.object_id is None


def test_a_visitors_search_is_recorded_under_the_visitor(client, catalog):
    client.get(reverse("web:home"))  # the visitor cookie
    client.get(reverse("web:browse"), {"q": "excel"})
    event = Event.objects.get(event_type="search")
    assert event.user is None and event.visitor_id


# --- ties and the recommender -------------------------------------------------------------------


@pytest.fixture
def twins():
    """Two courses equally relevant to "吉他", and one more relevant."""
    a = CourseFactory(title="吉他 甲")
    b = CourseFactory(title="吉他 乙")
    best = CourseFactory(title="吉他 吉他 弹唱 吉他")
    search_index_items("course", [a.pk, b.pk, best.pk])
    return a, b, best


def test_ties_follow_the_learners_recommendations(client, learner, twins, monkeypatch):
    a = twins[0]  # the second is newer, so it comes first without the recommender
    monkeypatch.setattr(
        search_service, "recommendations_for", lambda **kw: _recommended(kw["user"], [a.pk])
    )
    client.force_login(learner)
    page = client.get(reverse("web:browse"), {"q": "吉他"}).content.decode()
    assert page.index("弹唱") < page.index("</mark> 甲<") < page.index("</mark> 乙<")


def test_without_personalisation_the_recommender_is_not_asked(learner, twins, monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("not to be asked")

    monkeypatch.setattr(search_service, "recommendations_for", refuse)
    personalization_set(user=learner, enabled=False)
    result = search_service.catalog_search_for(user=learner, query="吉他")
    assert [h.item.title for h in result.hits][1:] == ["吉他 乙", "吉他 甲"]


def test_a_failing_recommender_leaves_the_search_as_it_is(learner, twins, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("model away")

    monkeypatch.setattr(search_service, "recommendations_for", broken)
    result = search_service.catalog_search_for(user=learner, query="吉他")
    assert [h.item.title for h in result.hits][1:] == ["吉他 乙", "吉他 甲"]


def test_the_real_recommender_answers_a_tie_break(learner, twins):
    result = search_service.catalog_search_for(user=learner, query="吉他")
    assert result.count == 3 and result.hits[0].item == twins[2]


# --- the API ------------------------------------------------------------------------------------


def test_the_api_searches_with_highlights_pages_and_corrections(learner, catalog):
    api = client_for(learner)
    response = api.get("/api/v1/search/", {"q": "pyhton", "page_size": "1"})
    body = response.json()
    assert response.status_code == 200
    assert (body["count"], body["pages"], body["page"], body["corrected_query"]) == (
        2,
        2,
        1,
        "python",
    )
    hit = body["results"][0]
    assert hit["course"]["title"].startswith("Python")
    assert "<mark>Python</mark>" in hit["highlight"]["title"]
    assert hit["relevance"] > 0
    assert Event.objects.get(event_type="search").page == "api"


def test_the_api_sorts(catalog):
    api = client_for()
    body = api.get("/api/v1/search/", {"q": "python", "sort": "price"}).json()
    assert [r["course"]["price"] for r in body["results"]] == ["0.00", "199.00"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "python", "sort": "cheapest"}, "sort"),
        ({"q": "python", "page": "0"}, "page"),
        ({"q": "python", "page": "two"}, "page"),
        ({"q": "python", "page_size": "51"}, "page_size"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(params, field):
    response = client_for().get("/api/v1/search/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_api_suggests_courses_and_words(catalog):
    body = client_for().get("/api/v1/search/suggestions/", {"q": "pyt"}).json()
    kinds = [(s["kind"], s["text"]) for s in body["suggestions"]]
    assert ("term", "python") in kinds
    course = next(s for s in body["suggestions"] if s["kind"] == "course")
    assert course["url"].startswith("/courses/") and course["course_id"]
    refused = client_for().get("/api/v1/search/suggestions/", {"q": "py", "limit": "11"})
    assert refused.status_code == 400 and "limit" in refused.json()["errors"]


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_keeps_the_index_current_when_a_tag_changes(
    client, django_capture_on_commit_callbacks
):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    tag = TagFactory(name="旧名字", slug="old")
    course = CourseFactory(title="某课程", tags=[tag])
    search_index_items("course", [course.pk])
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:courses_tag_change", args=[tag.pk]), {"name": "构图", "slug": "old"}
        )
    assert response.status_code == 302
    assert (
        client.get(reverse("web:browse"), {"q": "构图"})
        .content.decode()
        .count('data-testid="search-hit"')
        == 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:courses_tag_delete", args=[tag.pk]), {"post": "yes"})
    assert not Tag.objects.exists()
    assert (
        'data-testid="search-hit"'
        not in client.get(reverse("web:browse"), {"q": "构图"}).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:courses_tag_changelist"),
            {"action": "delete_selected", "_selected_action": [TagFactory().pk], "post": "yes"},
        )
    assert not Tag.objects.exists()

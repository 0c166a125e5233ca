"""Every tab of the search page and every ``type`` of the search API, end to end: the search
index for courses, live sessions, short videos and products alike, only what learners may see,
sorts the type offers, suggestions of every type, ties broken by the learner's recommendations
of the type searched, each search recorded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import LiveSession
from recommendations.models import Event
from recommendations.services import search as search_service
from recommendations.services.serving import Reason, Recommendation, RecommendationList
from tests.api.conftest import client_for
from tests.factories import (
    CourseFactory,
    InstructorFactory,
    LiveSessionFactory,
    ProductFactory,
    ShortVideoFactory,
    UserFactory,
)
from tests.search.support import indexed

pytestmark = pytest.mark.django_db

TYPES = ("course", "live", "video", "product")
LINKS = {"course": "/courses/", "live": "/live/", "video": "/videos/?v=", "product": "/products/"}
FACTORIES = {
    "course": CourseFactory,
    "live": LiveSessionFactory,
    "video": ShortVideoFactory,
    "product": ProductFactory,
}


@pytest.fixture
def every_type():
    """Per type: one findable item about 吉他, one hidden item about 吉他 (a draft, a cancelled
    session, a withdrawn product, another instructor's unpublished video) and one unrelated."""
    other = InstructorFactory()
    found = {
        "course": CourseFactory(title="吉他 弹唱入门", price=Decimal("99")),
        "live": LiveSessionFactory(title="吉他 直播答疑", description="今晚讲 <b>和弦</b>"),
        "video": ShortVideoFactory(title="吉他 60 秒"),
        "product": ProductFactory(title="吉他弦 Pro", description="适合民谣吉他。"),
    }
    hidden = [
        CourseFactory(title="吉他 草稿课", status="draft", published_at=None, instructor=other),
        LiveSessionFactory(title="吉他 取消", status=LiveSession.Status.CANCELLED),
        ShortVideoFactory(title="吉他 未发布", is_published=False, instructor=other),
        ShortVideoFactory(title="吉他 明天发", published_at=timezone.now() + timedelta(days=1)),
        ProductFactory(title="吉他 下架", is_active=False),
    ]
    unrelated = [
        CourseFactory(title="钢琴课"),
        LiveSessionFactory(title="钢琴直播"),
        ShortVideoFactory(title="钢琴 60 秒"),
        ProductFactory(title="钢琴凳"),
    ]
    indexed(*found.values(), *hidden, *unrelated)
    return found


def _hits(page: str) -> int:
    return page.count('data-testid="search-hit"')


@pytest.mark.parametrize("item_type", TYPES)
def test_every_tab_of_the_page_searches_its_type(client, every_type, item_type):
    response = client.get(reverse("web:browse"), {"q": "吉他", "type": item_type})
    page = response.content.decode()
    assert response.status_code == 200
    assert _hits(page) == 1 and f'data-type="{item_type}"' in page
    assert every_type[item_type].title.replace("吉他", "<mark>吉他</mark>") in page
    assert LINKS[item_type] in page
    assert "草稿" not in page and "取消" not in page and "下架" not in page
    assert "未发布" not in page and "明天发" not in page
    assert ("sort=price" in page) == (item_type in ("course", "product"))
    assert "sort=newest" in page and "sort=popular" in page


@pytest.mark.parametrize("item_type", TYPES)
def test_every_tab_corrects_typos_and_mixes_languages(client, item_type):
    factory = FACTORIES[item_type]
    indexed(factory(title="Python 爬虫"), factory(title="Python 入门"))
    page = client.get(reverse("web:browse"), {"q": "pyhton 爬虫", "type": item_type})
    page = page.content.decode()
    assert _hits(page) == 1 and "<mark>Python</mark> <mark>爬虫</mark>" in page
    assert 'data-testid="did-you-mean"' in page and f"type={item_type}&amp;q=python" in page


def test_the_page_escapes_a_live_sessions_description(client, every_type):
    page = client.get(reverse("web:browse"), {"q": "吉他 和弦", "type": "live"}).content.decode()
    assert "&lt;b&gt;<mark>和弦</mark>&lt;/b&gt;" in page


def test_a_price_sort_on_a_tab_without_prices_falls_back_to_relevance(client, every_type):
    response = client.get(reverse("web:browse"), {"q": "吉他", "type": "video", "sort": "price"})
    assert response.status_code == 200 and _hits(response.content.decode()) == 1


def test_the_product_tab_sorts_by_price_within_its_filters(client):
    indexed(
        ProductFactory(title="吉他 贵", price=Decimal("300")),
        ProductFactory(title="吉他 免费", price=Decimal("0")),
        ProductFactory(title="吉他 便宜", price=Decimal("20")),
    )
    page = client.get(
        reverse("web:browse"), {"q": "吉他", "type": "product", "sort": "-price"}
    ).content.decode()
    assert page.index("</mark> 贵") < page.index("</mark> 便宜") < page.index("</mark> 免费")
    paid = client.get(
        reverse("web:browse"), {"q": "吉他", "type": "product", "price": "paid"}
    ).content.decode()
    assert _hits(paid) == 2 and "</mark> 免费" not in paid


@pytest.mark.parametrize("item_type", TYPES)
def test_every_type_of_the_api_searches_its_type(every_type, item_type):
    body = client_for().get("/api/v1/search/", {"q": "吉他", "type": item_type}).json()
    assert (body["type"], body["count"]) == (item_type, 1)
    hit = body["results"][0]
    assert hit["type"] == item_type
    assert hit[item_type]["id"] == every_type[item_type].pk
    assert [t for t in TYPES if hit[t] is not None] == [item_type]
    assert "<mark>吉他</mark>" in hit["highlight"]["title"]


def test_the_api_refuses_a_price_sort_for_types_without_prices(every_type):
    for item_type in ("live", "video"):
        response = client_for().get(
            "/api/v1/search/", {"q": "吉他", "type": item_type, "sort": "price"}
        )
        assert response.status_code == 400 and "sort" in response.json()["errors"]
    refused = client_for().get("/api/v1/search/", {"q": "吉他", "type": "article"})
    assert refused.status_code == 400 and "type" in refused.json()["errors"]
    body = client_for().get("/api/v1/search/", {"q": "吉他", "type": "product", "sort": "price"})
    assert body.status_code == 200


def test_suggestions_offer_every_type_with_its_page(every_type):
    body = client_for().get("/api/v1/search/suggestions/", {"q": "吉"}).json()
    items = {s["kind"]: s for s in body["suggestions"] if s["kind"] != "term"}
    assert set(items) == set(TYPES)
    for item_type, suggestion in items.items():
        assert suggestion["object_id"] == every_type[item_type].pk
        assert suggestion["url"].startswith(LINKS[item_type])
        assert (suggestion["course_id"] is not None) == (item_type == "course")


def _recommended(item_type, items):
    return RecommendationList(
        item_type=item_type,
        slot="search",
        request_id=None,
        personalised=True,
        source="model",
        items=[Recommendation(item_type, item, 1.0, Reason("item", "")) for item in items],
    )


def test_ties_on_every_tab_follow_the_learners_recommendations_of_that_type(client, monkeypatch):
    a, _b = indexed(ProductFactory(title="吉他 甲"), ProductFactory(title="吉他 乙"))
    best = ProductFactory(title="吉他 吉他 吉他弦")
    indexed(best)
    asked = []

    def recommended(**kwargs):
        asked.append(kwargs["item_type"])
        return _recommended("product", [a])

    monkeypatch.setattr(search_service, "recommendations_for", recommended)
    client.force_login(UserFactory())
    page = client.get(reverse("web:browse"), {"q": "吉他", "type": "product"}).content.decode()
    assert page.index("</mark>弦") < page.index("</mark> 甲<") < page.index("</mark> 乙<")
    assert asked == ["product"]


@pytest.mark.parametrize("item_type", TYPES)
def test_a_search_of_every_type_is_recorded_as_feedback(client, every_type, item_type):
    learner = UserFactory()
    client.force_login(learner)
    client.get(reverse("web:browse"), {"q": "吉他", "type": item_type})
    client_for(learner).get("/api/v1/search/", {"q": "吉他", "type": item_type})
    events = Event.objects.filter(event_type="search", user=learner).order_by("id")
    assert [(e.query, e.page) for e in events] == [("吉他", "search"), ("吉他", "api")]


@pytest.mark.parametrize("item_type", TYPES)
def test_the_api_reads_a_page_of_any_type_in_a_fixed_number_of_queries(item_type):
    factory = FACTORIES[item_type]
    counts = []
    for n, word in ((2, "吉他"), (6, "钢琴")):
        items = indexed(*[factory(title=f"{word} {i}") for i in range(n)])
        for item in items if item_type == "video" else ():
            item.products.add(ProductFactory())
        api = client_for()
        api.get("/api/v1/search/", {"q": word, "type": item_type})  # the dictionary, caches
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/search/", {"q": word, "type": item_type}).json()["count"] == n
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]

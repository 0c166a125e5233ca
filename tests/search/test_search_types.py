"""Search over live sessions, short videos and products: the same index and query as courses —
segmentation, field weights, typos, mixed queries, highlighting, sorts — with only what learners
may see ever found, and the index kept current by the catalog's services and the admin."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commerce.models import LiveReservation, Order, OrderLine
from courses import search
from courses.models import LiveSession, Product, SearchDocument, ShortVideo
from courses.search import item_search, search_index_rebuild
from courses.services import catalog_item_save, catalog_items_delete, product_set_on_sale
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    InstructorFactory,
    LiveSessionFactory,
    ProductFactory,
    ShortVideoFactory,
    TagFactory,
    UserFactory,
)
from tests.search.support import indexed, titles

pytestmark = pytest.mark.django_db

FACTORIES = {"live": LiveSessionFactory, "video": ShortVideoFactory, "product": ProductFactory}


def make(item_type: str, **fields):
    if item_type == "video" or "description" not in fields:
        fields.pop("description", None)
    return FACTORIES[item_type](**fields)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


# --- relevance, typos, mixed queries, highlighting --------------------------------------------


@pytest.mark.parametrize("item_type", ["live", "product"])
def test_a_match_in_the_title_beats_tags_then_description(item_type):
    tag = TagFactory(name="瑜伽")
    make(item_type, title="瑜伽入门")
    make(item_type, title="身体一", tags=[tag])
    make(item_type, title="身体二", description="每天十分钟瑜伽。")
    make(item_type, title="无关")
    indexed(*FACTORIES[item_type]._meta.model.objects.all())
    result = item_search(query="瑜伽", item_type=item_type)
    assert titles(result) == ["瑜伽入门", "身体一", "身体二"]
    assert all(hit.item_type == item_type for hit in result.hits)


def test_a_videos_tags_instructor_and_linked_course_are_searched_below_its_title():
    course = CourseFactory(title="钢琴即兴伴奏", category=CategoryFactory(name="音乐"))
    ShortVideoFactory(title="钢琴 60 秒")
    ShortVideoFactory(title="今天练什么", tags=[TagFactory(name="钢琴")])
    ShortVideoFactory(title="一首曲子", course=course)
    ShortVideoFactory(title="别的", instructor=InstructorFactory(display_name="Lang Lang"))
    indexed(*ShortVideo.objects.all())
    assert titles(item_search(query="钢琴", item_type="video")) == [
        "钢琴 60 秒",
        "今天练什么",
        "一首曲子",
    ]
    assert titles(item_search(query="音乐", item_type="video")) == ["一首曲子"]  # its category
    assert titles(item_search(query="lang lang", item_type="video")) == ["别的"]


@pytest.mark.parametrize("item_type", ["live", "video", "product"])
def test_typos_are_corrected_and_mixed_queries_need_every_term(item_type):
    indexed(
        make(item_type, title="Python 爬虫实战"),
        make(item_type, title="Excel 数据透视表"),
        make(item_type, title="Excel 函数"),
    )
    typo = item_search(query="pyhton", item_type=item_type)
    assert titles(typo) == ["Python 爬虫实战"] and typo.corrected == "python"
    assert "<mark>Python</mark>" in typo.hits[0].title_html
    mixed = item_search(query="Excel 数据透视", item_type=item_type)
    assert titles(mixed) == ["Excel 数据透视表"] and mixed.all_terms
    assert titles(item_search(query="爬虫", item_type=item_type)) == ["Python 爬虫实战"]


def test_each_type_finds_only_its_own_items():
    indexed(
        CourseFactory(title="吉他课"),
        LiveSessionFactory(title="吉他直播"),
        ShortVideoFactory(title="吉他短片"),
        ProductFactory(title="吉他弦"),
    )
    found = {t: titles(item_search(query="吉他", item_type=t)) for t in search.KINDS}
    assert found == {
        "course": ["吉他课"],
        "live": ["吉他直播"],
        "video": ["吉他短片"],
        "product": ["吉他弦"],
    }


def test_a_products_snippet_marks_the_words_in_its_description():
    description = "开头的介绍。" * 10 + "适合练习数据透视表的配套手册。" + "结尾。" * 10
    indexed(ProductFactory(title="Excel 手册", description=description))
    hit = item_search(query="数据透视", item_type="product").hits[0]
    assert hit.snippet_html.startswith("…") and "<mark>数据" in hit.snippet_html


def test_a_videos_snippet_is_the_title_of_its_course():
    course = CourseFactory(title="摄影后期精修")
    indexed(ShortVideoFactory(title="修图 1 分钟", course=course))
    hit = item_search(query="修图", item_type="video").hits[0]
    assert hit.snippet_html == "摄影后期精修"


def test_search_stays_within_the_given_items():
    cheap = ProductFactory(title="吉他 A", price=Decimal("0"))
    indexed(cheap, ProductFactory(title="吉他 B"))
    result = item_search(query="吉他", item_type="product", within=Product.objects.filter(price=0))
    assert titles(result) == ["吉他 A"]


# --- only what learners may see -------------------------------------------------------------


def test_hidden_videos_lives_and_products_are_never_found():
    now = timezone.now()
    other = InstructorFactory()
    indexed(
        ShortVideoFactory(title="草稿 吉他", is_published=False, instructor=other),
        ShortVideoFactory(title="以后 吉他", published_at=now + timedelta(days=2)),
        LiveSessionFactory(title="取消 吉他", status=LiveSession.Status.CANCELLED),
        LiveSessionFactory(
            title="结束无回放 吉他",
            status=LiveSession.Status.ENDED,
            scheduled_start=now - timedelta(days=2),
            scheduled_end=now - timedelta(days=2) + timedelta(hours=1),
        ),
        ProductFactory(title="下架 吉他", is_active=False),
    )
    for item_type in ("live", "video", "product"):
        assert item_search(query="吉他", item_type=item_type).count == 0
    assert search.search_suggestions(prefix="吉他") == []


def test_an_ended_live_with_a_replay_is_found_and_a_product_put_on_sale_is(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    indexed(
        LiveSessionFactory(
            title="回放 吉他",
            status=LiveSession.Status.ENDED,
            scheduled_start=now - timedelta(days=2),
            scheduled_end=now - timedelta(days=2) + timedelta(hours=1),
            replay_url="https://media.zhibo.local/replays/1.mp4",
        )
    )
    assert titles(item_search(query="吉他", item_type="live")) == ["回放 吉他"]
    product = ProductFactory(title="吉他弦", is_active=False)
    indexed(product)
    assert item_search(query="吉他", item_type="product").count == 0
    product_set_on_sale(product=product, on_sale=True)
    assert titles(item_search(query="吉他", item_type="product")) == ["吉他弦"]


# --- sorts ----------------------------------------------------------------------------------


def _paid_order(product, quantity=1):
    user = UserFactory()
    order = Order.objects.create(
        number=f"ZB{user.pk:013d}",
        user=user,
        idempotency_key=f"key-{user.pk}",
        status="paid",
        total=product.price,
        paid_at=timezone.now(),
    )
    OrderLine.objects.create(
        order=order, product=product, title=product.title, unit_price=product.price
    )


def test_products_sort_by_newest_price_and_sales():
    old = ProductFactory(title="吉他 旧", price=Decimal("50"))
    mid = ProductFactory(title="吉他 中", price=Decimal("10"))
    new = ProductFactory(title="吉他 新", price=Decimal("90"))
    now = timezone.now()
    for days, product in ((9, old), (5, mid), (1, new)):
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=days))
    indexed(old, mid, new)
    _paid_order(mid)
    _paid_order(mid)
    _paid_order(old)

    def order(sort):
        return [h.item for h in item_search(query="吉他", item_type="product", sort=sort).hits]

    assert order("newest") == [new, mid, old]
    assert order("price") == [mid, old, new]
    assert order("-price") == [new, old, mid]
    assert order("popular") == [mid, old, new]


def test_lives_sort_by_start_and_reservations_videos_by_publication_and_likes():
    now = timezone.now()
    soon = LiveSessionFactory(title="吉他 近", scheduled_start=now + timedelta(hours=2))
    later = LiveSessionFactory(title="吉他 远", scheduled_start=now + timedelta(days=3))
    indexed(soon, later)
    LiveReservation.objects.create(user=UserFactory(), live_session=soon)
    gone = LiveReservation.objects.create(user=UserFactory(), live_session=later)
    gone.cancelled_at = now
    gone.save()

    def lives(sort):
        return [h.item for h in item_search(query="吉他", item_type="live", sort=sort).hits]

    assert lives("newest") == [later, soon]
    assert lives("popular") == [soon, later]  # a cancelled reservation does not count
    old = ShortVideoFactory(title="吉他 老", published_at=now - timedelta(days=5))
    liked = ShortVideoFactory(title="吉他 热", published_at=now - timedelta(days=9))
    ShortVideo.objects.filter(pk=liked.pk).update(like_count=7)
    indexed(old, liked)

    def videos(sort):
        return [h.item for h in item_search(query="吉他", item_type="video", sort=sort).hits]

    assert videos("newest") == [old, liked]
    assert videos("popular") == [liked, old]


def test_types_without_a_price_offer_no_price_sort():
    assert "price" not in search.KINDS["live"].sorts and "-price" not in search.KINDS["video"].sorts
    assert "price" in search.KINDS["product"].sorts
    with pytest.raises(ValueError, match="Unknown sort"):
        item_search(query="x", item_type="live", sort="-price")


def test_ties_follow_the_tie_break_for_every_type():
    a, b = indexed(ShortVideoFactory(title="吉他 甲"), ShortVideoFactory(title="吉他 乙"))
    result = item_search(query="吉他", item_type="video", tie_break=lambda ids: {a.pk: 1.0})
    assert [h.item for h in result.hits] == [a, b]
    result = item_search(query="吉他", item_type="video", tie_break=lambda ids: {b.pk: 1.0})
    assert [h.item for h in result.hits] == [b, a]


# --- the index kept current ---------------------------------------------------------------


@pytest.mark.parametrize("item_type", ["live", "video", "product"])
def test_an_item_saved_or_deleted_through_the_service_is_indexed_again(
    item_type, admin_user, django_capture_on_commit_callbacks
):
    item = make(item_type, title="旧的标题")
    indexed(item)
    item.title = "Lightroom 调色"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=item, is_new=False)
    assert titles(item_search(query="lightroom", item_type=item_type)) == ["Lightroom 调色"]
    assert item_search(query="旧的标题", item_type=item_type).count == 0
    with django_capture_on_commit_callbacks(execute=True):
        catalog_items_delete(user=admin_user, items=[item])
    assert not SearchDocument.objects.filter(item_type=item_type).exists()


def test_a_new_item_saved_through_the_service_is_found(
    admin_user, django_capture_on_commit_callbacks
):
    video = ShortVideoFactory.build(title="新视频 构图", instructor=InstructorFactory())
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=video, is_new=True)
    assert titles(item_search(query="构图", item_type="video")) == ["新视频 构图"]


def test_renaming_a_tag_an_instructor_or_a_course_reindexes_every_type_using_it(
    admin_user, django_capture_on_commit_callbacks
):
    tag = TagFactory(name="旧标签")
    teacher = InstructorFactory(display_name="某老师")
    course = CourseFactory(title="旧课名", instructor=teacher)
    live = LiveSessionFactory(title="直播", tags=[tag], instructor=teacher, course=course)
    video = ShortVideoFactory(title="短片", tags=[tag], instructor=teacher, course=course)
    product = ProductFactory(title="好物", tags=[tag], instructor=teacher)
    indexed(course, live, video, product)
    tag.name = "构图技巧"
    teacher.display_name = "Zhang Wei"
    course.title = "Lightroom 精修"
    with django_capture_on_commit_callbacks(execute=True):
        for item in (tag, teacher, course):
            catalog_item_save(user=admin_user, item=item, is_new=False)
    for item_type in ("live", "video", "product"):
        assert item_search(query="构图技巧", item_type=item_type).count == 1
        assert item_search(query="zhang wei", item_type=item_type).count == 1
    assert titles(item_search(query="lightroom", item_type="live")) == ["直播"]
    assert titles(item_search(query="lightroom", item_type="video")) == ["短片"]


def test_renaming_a_category_reindexes_the_lives_and_videos_of_its_courses(
    admin_user, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="旧分类")
    course = CourseFactory(category=category)
    indexed(LiveSessionFactory(title="直播", course=course, instructor=course.instructor))
    category.name = "摄影后期"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=category, is_new=False)
    assert titles(item_search(query="摄影后期", item_type="live")) == ["直播"]


def test_the_admin_keeps_products_and_videos_current(client, django_capture_on_commit_callbacks):
    instructor = InstructorFactory()
    client.force_login(instructor.user)
    product = ProductFactory(title="旧名字", instructor=instructor)
    video = ShortVideoFactory(title="旧视频", instructor=instructor)
    indexed(product, video)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:courses_product_change", args=[product.pk]),
            {
                "title": "三脚架 Pro",
                "slug": product.slug,
                "kind": "physical",
                "price": "199.00",
                "stock": "5",
                "is_active": "on",
                "description": "稳定的碳纤维三脚架。",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert titles(item_search(query="三脚架", item_type="product")) == ["三脚架 Pro"]
    published = timezone.localtime(video.published_at)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:courses_shortvideo_change", args=[video.pk]),
            {
                "title": "手机摄影 构图",
                "slug": video.slug,
                "video_url": video.video_url,
                "duration_seconds": "45",
                "is_published": "on",
                "published_at_0": published.strftime("%Y-%m-%d"),
                "published_at_1": published.strftime("%H:%M:%S"),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert titles(item_search(query="手机摄影", item_type="video")) == ["手机摄影 构图"]
    assert item_search(query="旧视频", item_type="video").count == 0


def test_rebuild_indexes_every_type_and_a_catalog_without_courses_gets_its_index():
    ProductFactory(title="吉他弦")
    ShortVideoFactory(title="吉他短片")
    assert search.search_index_build_if_missing() == 2
    assert search_index_rebuild() == {"course": 0, "live": 0, "video": 1, "product": 1}
    assert SearchDocument.objects.count() == 2


# --- suggestions ----------------------------------------------------------------------------


def test_suggestions_include_the_best_few_of_the_other_types():
    indexed(
        CourseFactory(title="吉他入门"),
        LiveSessionFactory(title="吉他直播"),
        *[ShortVideoFactory(title=f"吉他短片 {n}") for n in range(4)],
        ProductFactory(title="吉他弦"),
        ProductFactory(title="下架 吉他", is_active=False),
    )
    found = search.search_suggestions(prefix="吉", limit=8)
    kinds = [s.item_type for s in found if s.item]
    assert kinds.count("course") == 1 and kinds.count("live") == 1
    assert kinds.count("video") == search.SUGGESTED_PER_OTHER_TYPE
    assert [s.text for s in found if s.item_type == "product"] == ["吉他弦"]


def test_a_database_migrated_back_before_the_index_is_left_alone(monkeypatch):
    """``migrate courses 0016`` runs the post_migrate handler without the index's table."""
    ProductFactory(title="吉他弦")
    monkeypatch.setattr(search.connection.introspection, "table_names", lambda *a, **k: [])
    assert search.search_index_build_if_missing() == 0

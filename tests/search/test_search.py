"""Course search as a service: segmentation, the index kept current by the catalog's writes,
relevance by field, typos, mixed queries, sorts, tie-breaks, highlighting and suggestions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from commerce.models import Enrollment
from courses import search
from courses.models import Course, SearchDocument, SearchTerm
from courses.search import (
    analyse,
    highlight,
    item_search,
    query_terms,
    search_index_rebuild,
    search_suggestions,
    segmenter,
)
from courses.services import (
    catalog_item_save,
    catalog_items_delete,
    course_publish,
    course_unpublish,
)
from tests.factories import (
    CategoryFactory,
    ChapterFactory,
    CourseFactory,
    LessonFactory,
    TagFactory,
    UserFactory,
)
from tests.search.support import indexed, titles

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


# --- segmentation --------------------------------------------------------------------------


def test_chinese_and_english_are_cut_into_lower_case_terms():
    assert query_terms("Python 数据分析入门") == ["python", "数据分析", "入门"]
    assert query_terms("21天PowerBI训练营") == ["21", "天", "powerbi", "训练营"]


def test_stop_words_and_punctuation_are_not_terms():
    assert query_terms("Python的 and ？！ 爬虫") == ["python", "爬虫"]


def test_a_query_has_at_most_eight_distinct_terms():
    assert len(query_terms(" ".join(f"word{n}" for n in range(20)) + " word1")) == 8


def test_the_catalogs_tag_names_stay_whole():
    TagFactory(name="数据透视")
    segmenter.refresh()
    assert "数据透视" in query_terms("数据透视表")


def test_documents_also_get_the_shorter_words_inside_longer_ones():
    terms = search.document_terms("大数据分析师")
    assert {"数据", "分析", "数据分析"} <= set(terms)


def test_the_dictionary_loads_once_per_process():
    segmenter.cut("一次", for_search=False)
    loaded = segmenter._tokenizer
    segmenter.refresh()
    segmenter.cut("两次", for_search=True)
    assert segmenter._tokenizer is loaded


# --- the index kept current ----------------------------------------------------------------


def test_rebuild_indexes_every_course_and_counts_the_vocabulary():
    CourseFactory(title="Python 入门")
    CourseFactory(title="Python 进阶")
    assert search_index_rebuild() == {"course": 2, "live": 0, "video": 0, "product": 0}
    assert SearchDocument.objects.count() == 2
    assert SearchTerm.objects.get(term="python").documents == 2


def test_the_search_index_command_reports_what_it_indexed(capsys):
    CourseFactory(title="吉他弹唱")
    call_command("search_index")
    assert "Indexed 1 courses, 0 lives, 0 videos, 0 products" in capsys.readouterr().out


def test_a_course_saved_through_the_catalog_service_is_found_by_its_new_title(
    admin_user, django_capture_on_commit_callbacks
):
    course = CourseFactory(title="旧的标题")
    indexed(course)
    course.title = "Lightroom 调色"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=course, is_new=False)
    assert titles(item_search(query="lightroom")) == ["Lightroom 调色"]
    assert item_search(query="旧的标题").count == 0


def test_renaming_a_tag_reindexes_its_courses(admin_user, django_capture_on_commit_callbacks):
    tag = TagFactory(name="旧标签")
    course = CourseFactory(title="某课程", tags=[tag])
    indexed(course)
    tag.name = "构图技巧"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=tag, is_new=False)
    assert titles(item_search(query="构图技巧")) == ["某课程"]


def test_a_new_lesson_and_a_renamed_instructor_are_searchable(
    admin_user, django_capture_on_commit_callbacks
):
    course = CourseFactory(title="某课程")
    indexed(course)
    chapter = ChapterFactory(course=course)
    lesson = LessonFactory.build(chapter=chapter, course=course, title="透视表实操")
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=lesson, is_new=True)
    assert item_search(query="透视表实操").count == 1
    instructor = course.instructor
    instructor.display_name = "Zhang Wei"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=instructor, is_new=False)
    assert item_search(query="zhang wei").count == 1


def test_renaming_a_category_reindexes_the_courses_under_it(
    admin_user, django_capture_on_commit_callbacks
):
    parent = CategoryFactory(name="旧分类")
    child = CategoryFactory(name="子分类", parent=parent)
    course = CourseFactory(title="某课程", category=child)
    indexed(course)
    parent.name = "摄影后期"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_item_save(user=admin_user, item=parent, is_new=False)
    assert item_search(query="摄影后期").count == 1


def test_a_deleted_course_leaves_the_index(admin_user, django_capture_on_commit_callbacks):
    course = CourseFactory(title="要删除的课程")
    indexed(course)
    with django_capture_on_commit_callbacks(execute=True):
        catalog_items_delete(user=admin_user, items=[course])
    assert not SearchDocument.objects.exists()
    assert item_search(query="删除").count == 0


def test_only_published_courses_are_found(django_capture_on_commit_callbacks):
    draft = CourseFactory(title="草稿 Python", status=Course.Status.DRAFT, published_at=None)
    later = CourseFactory(title="以后 Python", published_at=timezone.now() + timedelta(days=3))
    indexed(draft, later)
    assert item_search(query="python").count == 0
    with django_capture_on_commit_callbacks(execute=True):
        course_publish(course=draft)
    assert titles(item_search(query="python")) == ["草稿 Python"]
    with django_capture_on_commit_callbacks(execute=True):
        course_unpublish(course=draft)
    assert item_search(query="python").count == 0


def test_objects_that_no_course_depends_on_index_nothing():
    assert search.items_affected_by(UserFactory()) == []
    assert search.search_index_items("course", []) == 0


# --- relevance ------------------------------------------------------------------------------


def test_a_match_in_the_title_beats_tags_then_description_then_lessons():
    tag = TagFactory(name="瑜伽")
    CourseFactory(title="瑜伽入门")
    CourseFactory(title="身体课一", tags=[tag])
    CourseFactory(title="身体课二", description="每天十分钟瑜伽。")
    in_lessons = CourseFactory(title="身体课三")
    LessonFactory(chapter=ChapterFactory(course=in_lessons), title="瑜伽呼吸")
    CourseFactory(title="无关课程")
    indexed(*Course.objects.all())
    result = item_search(query="瑜伽")
    assert titles(result) == ["瑜伽入门", "身体课一", "身体课二", "身体课三"]
    assert [h.relevance for h in result.hits] == sorted(
        [h.relevance for h in result.hits], reverse=True
    )


def test_a_typo_is_corrected_against_the_indexed_vocabulary():
    indexed(CourseFactory(title="Python 编程入门"), CourseFactory(title="Java 编程"))
    result = item_search(query="pyhton")
    assert titles(result) == ["Python 编程入门"]
    assert result.corrected == "python"
    assert "<mark>Python</mark>" in result.hits[0].title_html


def test_short_words_and_chinese_are_not_corrected():
    indexed(CourseFactory(title="SQL 入门"))
    assert analyse("sqk").corrected == ""
    assert item_search(query="sqk").count == 0
    assert analyse("摄景").corrected == ""


def test_a_long_word_allows_two_edits_and_the_commoner_term_wins():
    indexed(
        CourseFactory(title="Photography basics"),
        CourseFactory(title="Photography studio"),
        CourseFactory(title="Photographer life"),
    )
    assert analyse("fotography").corrected == "photography"


def test_a_mixed_query_needs_every_term():
    indexed(
        CourseFactory(title="Excel 数据透视表实战"),
        CourseFactory(title="Excel 函数"),
        CourseFactory(title="数据透视入门 (PowerBI)"),
    )
    result = item_search(query="Excel 数据透视")
    assert titles(result) == ["Excel 数据透视表实战"]
    assert result.all_terms


def test_when_no_course_has_every_term_those_with_any_are_listed():
    indexed(CourseFactory(title="吉他弹唱"), CourseFactory(title="钢琴入门"))
    result = item_search(query="吉他 钢琴")
    assert sorted(titles(result)) == ["吉他弹唱", "钢琴入门"]
    assert not result.all_terms


def test_a_chinese_word_the_index_never_cut_whole_is_found_by_its_parts():
    indexed(CourseFactory(title="数据 透视 专题"))
    assert titles(item_search(query="数据透视")) == ["数据 透视 专题"]


def test_a_query_of_no_terms_finds_nothing():
    indexed(CourseFactory(title="吉他"))
    assert item_search(query="？！").count == 0
    assert search_suggestions(prefix="！") == []


def test_search_stays_within_the_given_courses():
    kept = CourseFactory(title="Python A", price=Decimal("0"))
    indexed(kept, CourseFactory(title="Python B"))
    result = item_search(query="python", within=Course.objects.filter(price=0))
    assert titles(result) == ["Python A"]


# --- sorts, ties and pages -------------------------------------------------------------------


@pytest.fixture
def three_pythons():
    now = timezone.now()
    old = CourseFactory(title="Python 春", price=Decimal("50"), published_at=now - timedelta(9))
    mid = CourseFactory(title="Python 夏", price=Decimal("10"), published_at=now - timedelta(5))
    new = CourseFactory(title="Python 秋", price=Decimal("90"), published_at=now - timedelta(1))
    return indexed(old, mid, new)


def test_sorts_by_newest_price_and_popularity(three_pythons):
    old, mid, new = three_pythons
    for user in UserFactory.create_batch(2):
        Enrollment.objects.create(user=user, course=mid)
    Enrollment.objects.create(user=UserFactory(), course=old)

    def order(sort):
        return [hit.item for hit in item_search(query="python", sort=sort).hits]

    assert order("newest") == [new, mid, old]
    assert order("price") == [mid, old, new]
    assert order("-price") == [new, old, mid]
    assert order("popular") == [mid, old, new]


def test_an_unknown_sort_is_refused():
    with pytest.raises(ValueError, match="Unknown sort"):
        item_search(query="python", sort="cheapest")
    with pytest.raises(ValueError, match="Unknown sort"):
        item_search(query="python", item_type="video", sort="price")
    with pytest.raises(ValueError, match="Unknown item type"):
        item_search(query="python", item_type="article")


def test_ties_in_relevance_follow_the_tie_break_and_never_override_relevance(three_pythons):
    old, mid, new = three_pythons
    better = CourseFactory(title="Python Python 精讲")
    indexed(better)
    asked = []

    def tie_break(ids):
        asked.append(sorted(ids))
        return {old.pk: 3.0, mid.pk: 2.0, better.pk: -100.0}

    result = item_search(query="python", tie_break=tie_break)
    assert [h.item for h in result.hits] == [better, old, mid, new]
    assert asked  # asked once, only because some ranks were equal
    without = item_search(query="python")
    assert [h.item for h in without.hits] == [better, new, mid, old]  # then newest first


def test_the_tie_break_is_not_asked_when_nothing_ties():
    indexed(CourseFactory(title="Python"), CourseFactory(title="Python 爬虫 爬虫 实战 Python"))

    def tie_break(ids):
        raise AssertionError("no tie to break")

    assert item_search(query="python", tie_break=tie_break).count == 2


def test_pages_and_a_page_past_the_last(three_pythons):
    first = item_search(query="python", page=1, page_size=2)
    assert (first.count, first.pages, len(first.hits)) == (3, 2, 2)
    assert first.has_next and not first.has_previous
    last = item_search(query="python", page=99, page_size=2)
    assert last.number == 2 and len(last.hits) == 1
    assert last.has_previous and not last.has_next


# --- highlighting and suggestions ------------------------------------------------------------


def test_highlighting_escapes_the_text_and_marks_every_match():
    marked = highlight('<b>Python</b> & "python"', ["python"])
    assert marked == "&lt;b&gt;<mark>Python</mark>&lt;/b&gt; &amp; &quot;<mark>python</mark>&quot;"
    assert highlight("<i>x</i>", []) == "&lt;i&gt;x&lt;/i&gt;"
    assert highlight("Excel数据", ["excel", "数据"]) == "<mark>Excel数据</mark>"


def test_a_snippet_shows_the_description_around_the_match():
    description = "开头的介绍文字。" * 10 + "这里讲数据透视表的用法。" + "结尾。" * 10
    indexed(CourseFactory(title="Excel 专题", description=description))
    hit = item_search(query="数据透视").hits[0]
    assert hit.snippet_html.startswith("…")
    assert "<mark>数据</mark>" in hit.snippet_html or "<mark>数据透视</mark>" in hit.snippet_html


def test_suggestions_complete_the_last_word_with_titles_then_terms():
    indexed(
        CourseFactory(title="Python 入门"),
        CourseFactory(title="PyTorch 深度学习"),
        CourseFactory(title="草稿 Pygame", status=Course.Status.DRAFT, published_at=None),
    )
    found = search_suggestions(prefix="py", limit=8)
    courses = [s.text for s in found if s.item]
    words = [s.text for s in found if not s.item]
    assert set(courses) == {"Python 入门", "PyTorch 深度学习"}
    assert {"python", "pytorch"} <= set(words)
    assert search_suggestions(prefix="深度 py", limit=1)[0].text == "PyTorch 深度学习"


def test_the_vocabulary_keeps_counts_of_known_terms_on_an_edit():
    course = CourseFactory(title="Python")
    indexed(course)
    indexed(course)
    assert SearchTerm.objects.get(term="python").documents == 1


def test_the_edit_distance_counts_a_swap_as_one_edit_and_stops_past_its_limit():
    assert search._osa_distance("pyhton", "python", 2) == 1
    assert search._osa_distance("python", "pythonista", 2) == 3  # lengths apart: over the limit
    assert search._osa_distance("abcdef", "uvwxyz", 1) == 2  # gave up once every path passed 1


def test_the_database_queries_quote_every_term_and_mark_the_prefix():
    groups = [[["excel"]], [["数据透视"], ["数据", "透视"]]]
    assert search._tsquery(groups, any_term=False, prefix_last=True) == (
        "(('excel')) & (('数据透视':*) | ('数据':* & '透视':*))"
    )
    assert search._fts_query([[['say "hi"']], [["py"]]], any_term=True, prefix_last=True) == (
        '(("say hi")) OR (("py"*))'
    )


@pytest.mark.django_db
def test_migrating_a_database_with_courses_but_no_index_builds_it():
    """A site upgraded from before search existed: its courses are found right after
    ``migrate``, with no command to remember."""
    course = CourseFactory(title="数据分析入门")
    SearchDocument.objects.all().delete()
    SearchTerm.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert SearchDocument.objects.filter(item_type="course", object_id=course.pk).exists()
    assert search.search_index_build_if_missing() == 0  # an index that exists is left alone

"""In a real browser: a learner reviews a course they are enrolled in, and likes and comments on a
short video without the video reloading; screenshots of both pages, desktop and phone."""

from playwright.sync_api import expect

from commerce.models import Enrollment
from courses.models import ShortVideo
from social.services import comment_create, review_create, review_reply, video_like
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_journeys import sign_in
from tests.factories import CourseFactory, InstructorFactory, ShortVideoFactory, UserFactory


def test_learner_reviews_a_course_and_sees_it_with_the_average(page, shot):
    instructor = InstructorFactory(display_name="王老师")
    course = CourseFactory(
        instructor=instructor, title="Python 数据分析实战", subtitle="从表格到图表"
    )
    for name, rating, text in [
        ("amei", 5, "讲得非常清楚，案例都是工作里真会遇到的。"),
        ("bo", 4, "节奏有点快，但是练习很有用。"),
    ]:
        user = UserFactory(username=name)
        Enrollment.objects.create(user=user, course=course)
        review = review_create(user=user, course=course, rating=rating, text=text)
    review_reply(user=instructor.user, review_id=review.pk, reply="谢谢！下一版会放慢一点。")
    learner = UserFactory(username="xiaoming")
    Enrollment.objects.create(user=learner, course=course)

    sign_in(page, learner)
    page.goto(f"/courses/{course.slug}/")
    page.locator("label.star-choice", has_text="★★★★★").first.click()
    page.fill("#id_text", "跟着做完了第一个项目，推荐！")
    page.get_by_role("button", name="发布评价").click()
    page.wait_for_url("**#reviews")
    assert page.locator("[data-testid=review]").count() == 3
    assert "4.7" in page.locator("[data-testid=rating-summary]").inner_text()
    page.goto(f"/courses/{course.slug}/")
    shot(page, "social-course-reviews-desktop")
    page.set_viewport_size(PHONE)
    page.goto(f"/courses/{course.slug}/#reviews")
    shot(page, "social-course-reviews-phone")
    page.set_viewport_size(DESKTOP)


def test_learner_likes_and_comments_in_the_feed(page, shot):
    video = ShortVideoFactory(title="一分钟学会 pandas 切片", slug="pandas-tip")
    top = comment_create(user=UserFactory(username="amei"), video=video, text="太实用了")
    comment_create(user=UserFactory(username="bo"), video=video, text="同感！", parent_id=top.pk)
    video_like(user=UserFactory(), video=video)
    learner = UserFactory(username="xiaoming")

    sign_in(page, learner)
    page.goto("/videos/?v=pandas-tip")
    like = page.locator("#v-pandas-tip [data-testid=like]")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    assert like.inner_text().strip().startswith("2")
    assert page.url.endswith("/videos/?v=pandas-tip")  # no reload
    assert ShortVideo.objects.get(pk=video.pk).like_count == 2
    shot(page, "social-feed-liked-desktop", full_page=False)
    page.locator("#v-pandas-tip [data-testid=comments-open]").click()
    page.fill(f"#comment-{video.pk}", "收藏了，明天上班就用")
    page.locator(f"#comments-{video.pk} [data-testid=comment-send]").click()
    page.wait_for_url(f"**#comments-{video.pk}")
    assert page.locator(f"#comments-{video.pk} [data-testid=comment]").count() == 2
    shot(page, "social-feed-comments-desktop", full_page=False)
    page.set_viewport_size(PHONE)
    page.goto(f"/videos/?v=pandas-tip#comments-{video.pk}")
    shot(page, "social-feed-comments-phone", full_page=False)
    page.goto("/videos/?v=pandas-tip")
    shot(page, "social-feed-phone", full_page=False)

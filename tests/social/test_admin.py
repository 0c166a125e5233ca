"""Reviews in the admin: an instructor sees and answers those of their own courses only;
deleting is moderation (staff), and takes the rating out of the average."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from commerce.models import Enrollment
from courses.models import Course
from social.models import Review
from social.services import review_create
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db


def reviewed(course, rating=4, text="好"):
    learner = UserFactory()
    Enrollment.objects.create(user=learner, course=course)
    return review_create(user=learner, course=course, rating=rating, text=text)


@pytest.fixture
def mine():
    return reviewed(CourseFactory(title="我的课"))


@pytest.fixture
def theirs():
    return reviewed(CourseFactory(title="别人的课"))


def change_url(review):
    return reverse("admin:social_review_change", args=[review.pk])


def test_instructor_lists_only_reviews_of_their_own_courses(client, mine, theirs):
    client.force_login(mine.course.instructor.user)
    response = client.get(reverse("admin:social_review_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert client.get(change_url(theirs)).status_code == 404


def test_instructor_replies_once_in_the_admin(client, mine):
    client.force_login(mine.course.instructor.user)
    response = client.post(change_url(mine), {"reply": "谢谢反馈"})
    assert response.status_code == 302
    assert Review.objects.get(pk=mine.pk).reply == "谢谢反馈"
    page = client.get(change_url(mine)).content.decode()
    assert 'name="reply"' not in page  # answered: read-only now


def test_saving_without_a_reply_changes_nothing(client, mine):
    client.force_login(mine.course.instructor.user)
    client.post(change_url(mine), {"reply": ""})
    assert Review.objects.get(pk=mine.pk).replied_at is None


def test_a_refused_reply_is_reported(client, mine, monkeypatch):
    from social import services

    def refuse(**kwargs):
        from django.core.exceptions import ValidationError

        raise ValidationError("no")

    monkeypatch.setattr(services, "review_reply", refuse)
    client.force_login(mine.course.instructor.user)
    response = client.post(change_url(mine), {"reply": "x"}, follow=True)
    assert "no" in [str(m) for m in response.context["messages"]]


def test_instructor_may_neither_add_nor_delete_reviews(client, mine):
    client.force_login(mine.course.instructor.user)
    assert client.get(reverse("admin:social_review_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:social_review_delete", args=[mine.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Review.objects.filter(pk=mine.pk).exists()


def test_superuser_moderates_by_deleting_and_the_average_follows(client, mine, theirs):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(reverse("admin:social_review_delete", args=[mine.pk]), {"post": "yes"})
    assert Course.objects.get(pk=mine.course_id).rating_count == 0
    other = reviewed(theirs.course, rating=2)
    client.post(
        reverse("admin:social_review_changelist"),
        {"action": "delete_selected", "_selected_action": [theirs.pk, other.pk], "post": "yes"},
    )
    assert not Review.objects.exists()
    assert Course.objects.get(pk=theirs.course_id).rating_count == 0


def test_admin_list_shows_text_and_reply_state(client, mine):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:social_review_changelist")).content.decode()
    assert "我的课" in html


def test_permissions_migrations_reverse_and_reapply(db):
    comments = importlib.import_module("social.migrations.0004_comments_for_instructors")
    reviews = importlib.import_module("social.migrations.0002_reviews_for_instructors")
    state = ("social", "0004_comments_for_instructors")
    apps = MigrationLoader(connection).project_state(state).apps
    comments.revoke(apps, None)
    reviews.revoke(apps, None)
    group = Group.objects.get(name="Instructors")
    assert not group.permissions.filter(content_type__app_label="social").exists()
    reviews.grant(apps, None)
    comments.grant(apps, None)
    codenames = group.permissions.filter(content_type__app_label="social").values_list(
        "codename", flat=True
    )
    assert set(codenames) == {
        "view_review",
        "change_review",
        "view_videocomment",
        "change_videocomment",
    }
    group.delete()
    comments.revoke(apps, None)  # no group any more: nothing to take back


def test_instructor_sees_and_removes_comments_on_their_own_videos_only(client):
    from social.models import VideoComment
    from social.services import comment_create
    from tests.factories import ShortVideoFactory

    mine_video, their_video = ShortVideoFactory(), ShortVideoFactory()
    mine = comment_create(user=UserFactory(), video=mine_video, text="广告")
    theirs = comment_create(user=UserFactory(), video=their_video, text="别人的")
    client.force_login(mine_video.instructor.user)
    listing = client.get(reverse("admin:social_videocomment_changelist"))
    assert list(listing.context["cl"].result_list) == [mine]
    assert (
        client.get(reverse("admin:social_videocomment_change", args=[theirs.pk])).status_code == 404
    )
    assert client.get(reverse("admin:social_videocomment_add")).status_code == 403
    client.post(
        reverse("admin:social_videocomment_changelist"),
        {"action": "remove_selected", "_selected_action": [mine.pk, theirs.pk]},
    )
    assert VideoComment.objects.get(pk=mine.pk).is_hidden
    assert not VideoComment.objects.get(pk=theirs.pk).is_hidden
    assert mine_video.__class__.objects.get(pk=mine_video.pk).comment_count == 0
    assert (
        client.post(
            reverse("admin:social_videocomment_delete", args=[mine.pk]), {"post": "yes"}
        ).status_code
        == 403
    )

"""Likes, comments and shares of short videos: counted once, threaded one level, removable by
their author or the video's instructor, each recorded as feedback by the server."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from courses.models import ShortVideo
from recommendations.models import Event
from social.models import VideoComment, VideoLike
from social.selectors import (
    COMMENTS_SHOWN,
    comment_get,
    comments_for_feed,
    comments_for_video,
    video_for_social,
    videos_liked_by,
)
from social.services import (
    comment_create,
    comment_may_remove,
    comment_remove,
    video_like,
    video_share,
    video_unlike,
)
from tests.factories import InstructorFactory, ShortVideoFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def video():
    return ShortVideoFactory(slug="python-tip")


def counts(video):
    return ShortVideo.objects.filter(pk=video.pk).values_list(
        "like_count", "comment_count", "share_count"
    )[0]


def test_like_counts_once_and_unlike_takes_it_back(video, django_capture_on_commit_callbacks):
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert video_like(user=learner, video=video) == 1
        assert video_like(user=learner, video=video) == 1  # again: nothing changes
    assert video_like(user=UserFactory(), video=video) == 2
    assert video_unlike(user=learner, video=video) == 1
    assert video_unlike(user=learner, video=video) == 1  # not liked: nothing changes
    assert counts(video) == (1, 0, 0)
    events = Event.objects.filter(user=learner, event_type="like")
    assert [(e.object_type, e.object_id, e.client) for e in events] == [
        ("video", video.pk, "server")
    ]


def test_signed_out_visitor_cannot_like_or_comment(video):
    for act in (
        lambda: video_like(user=AnonymousUser(), video=video),
        lambda: video_unlike(user=None, video=video),
        lambda: comment_create(user=AnonymousUser(), video=video, text="hi"),
        lambda: comment_remove(user=AnonymousUser(), comment_id=1),
    ):
        with pytest.raises(ValidationError) as refused:
            act()
        assert refused.value.code == "sign_in"


def test_unpublished_video_cannot_be_liked_commented_or_shared():
    hidden = ShortVideoFactory(is_published=False)
    for act in (
        lambda: video_like(user=UserFactory(), video=hidden),
        lambda: comment_create(user=UserFactory(), video=hidden, text="hi"),
        lambda: video_share(user=UserFactory(), video=hidden),
    ):
        with pytest.raises(ValidationError) as refused:
            act()
        assert refused.value.error_dict["video"][0].code == "not_available"


def test_share_gives_the_feed_link_and_counts_once_per_learner(
    video, django_capture_on_commit_callbacks
):
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert video_share(user=learner, video=video) == ("/videos/?v=python-tip", 1)
        assert video_share(user=learner, video=video) == ("/videos/?v=python-tip", 1)
    assert video_share(user=AnonymousUser(), video=video) == ("/videos/?v=python-tip", 1)
    assert video_share(user=UserFactory(), video=video)[1] == 2
    assert Event.objects.filter(user=learner, event_type="share", client="server").count() == 1


def test_comment_and_reply_one_level(video, django_capture_on_commit_callbacks):
    learner = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        top = comment_create(user=learner, video=video, text=" 太有用了 ")
    reply = comment_create(user=UserFactory(), video=video, text="同意", parent_id=top.pk)
    reply_to_reply = comment_create(user=learner, video=video, text="谢谢", parent_id=reply.pk)
    assert top.text == "太有用了" and top.parent is None
    assert reply.parent == top
    assert reply_to_reply.parent == top  # attaches to the top comment
    assert counts(video) == (0, 3, 0)
    assert Event.objects.filter(user=learner, event_type="comment", object_id=video.pk).exists()


def test_reply_to_a_comment_of_another_video_is_refused(video):
    elsewhere = comment_create(user=UserFactory(), video=ShortVideoFactory(), text="别处")
    with pytest.raises(ValidationError) as refused:
        comment_create(user=UserFactory(), video=video, text="回复", parent_id=elsewhere.pk)
    assert "parent" in refused.value.message_dict
    assert counts(video) == (0, 0, 0)


@pytest.mark.parametrize("text", ["", "   ", "长" * 501])
def test_empty_or_overlong_comment_is_refused(video, text):
    with pytest.raises(ValidationError) as refused:
        comment_create(user=UserFactory(), video=video, text=text)
    assert "text" in refused.value.message_dict


def test_author_instructor_and_staff_may_remove_a_comment_others_may_not(video):
    author = UserFactory()
    comment = comment_create(user=author, video=video, text="一")
    stranger, other_instructor = UserFactory(), InstructorFactory().user
    for someone in (stranger, other_instructor):
        assert not comment_may_remove(user=someone, comment=comment)
        with pytest.raises(PermissionDenied):
            comment_remove(user=someone, comment_id=comment.pk)
    assert not comment_may_remove(user=AnonymousUser(), comment=comment)
    assert comment_may_remove(user=video.instructor.user, comment=comment)
    assert comment_may_remove(user=UserFactory(is_superuser=True), comment=comment)
    comment_remove(user=author, comment_id=comment.pk)
    comment_remove(user=video.instructor.user, comment_id=comment.pk)  # removed already
    assert VideoComment.objects.get(pk=comment.pk).is_hidden
    assert counts(video) == (0, 0, 0)
    with pytest.raises(ValidationError) as refused:
        comment_remove(user=author, comment_id=999999)
    assert refused.value.code == "not_found"


def test_removed_top_comment_keeps_its_replies_in_place(video):
    top = comment_create(user=UserFactory(), video=video, text="顶")
    comment_create(user=UserFactory(), video=video, text="回复", parent_id=top.pk)
    alone = comment_create(user=UserFactory(), video=video, text="单独")
    comment_remove(user=video.instructor.user, comment_id=top.pk)
    comment_remove(user=video.instructor.user, comment_id=alone.pk)
    listed = list(comments_for_video(video_id=video.pk))
    assert [(c.pk, c.is_hidden, [r.text for r in c.visible_replies]) for c in listed] == [
        (top.pk, True, ["回复"])
    ]
    assert counts(video) == (0, 1, 0)


def test_feed_reads_comments_of_every_video_in_two_queries(video):
    other = ShortVideoFactory()
    for n in range(COMMENTS_SHOWN + 2):
        top = comment_create(user=UserFactory(), video=video, text=f"c{n}")
    comment_create(user=UserFactory(), video=video, text="r", parent_id=top.pk)
    comment_create(user=UserFactory(), video=other, text="别的")
    with CaptureQueriesContext(connection) as queries:
        feed = comments_for_feed(video_ids=[video.pk, other.pk, 999999])
        replies = [r.text for c in feed[video.pk] for r in c.visible_replies]
    assert len(queries) == 2
    assert [c.text for c in feed[video.pk]][:2] == [f"c{COMMENTS_SHOWN + 1}", f"c{COMMENTS_SHOWN}"]
    assert len(feed[video.pk]) == COMMENTS_SHOWN
    assert replies == ["r"]
    assert [c.text for c in feed[other.pk]] == ["别的"]
    assert feed[999999] == []
    assert comments_for_feed(video_ids=[]) == {}


def test_selectors(video):
    learner = UserFactory()
    video_like(user=learner, video=video)
    assert videos_liked_by(user=learner, video_ids=[video.pk, 999]) == {video.pk}
    assert videos_liked_by(user=AnonymousUser(), video_ids=[video.pk]) == set()
    assert video_for_social(video_id=video.pk) == video
    comment = comment_create(user=learner, video=video, text="x")
    assert comment_get(comment_id=comment.pk) == comment
    with pytest.raises(Http404):
        video_for_social(video_id=ShortVideoFactory(is_published=False).pk)
    with pytest.raises(Http404):
        comment_get(comment_id=999999)
    assert VideoLike.objects.count() == 1

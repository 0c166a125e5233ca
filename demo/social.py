"""The rows the simulated social feedback leaves behind (``demo.behaviour``): likes, comments and
shares of short videos, messages, questions and likes in live rooms, follows of instructors.

The simulation records each act as the server event the site records for it
(``recommendations.receivers``: ``like``, ``comment``, ``share``, ``question``, ``follow``) and,
here, as the row the site's services write first (``social.services``, ``liveroom.services``),
with the counters every card shows (a video's likes, comments and shares, an instructor's
followers, a live's likes) recounted from the rows. Bulk inserts, at the simulated times.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from courses.models import Instructor, ShortVideo
from liveroom.models import Message, RoomLikes
from social.models import Follow, VideoComment, VideoLike, VideoShare

SOCIAL_EVENTS = frozenset({"like", "comment", "share", "question", "follow"})
MODELS = (VideoLike, VideoShare, VideoComment, Follow, Message)
INSERT_BATCH = 5000

VIDEO_COMMENTS = (
    "讲得很清楚，谢谢老师！",
    "收藏了，回头再看一遍",
    "这个技巧太实用了",
    "终于看懂了",
    "请问有完整的课程吗？",
    "干货满满",
    "节奏刚好，不拖沓",
    "第二遍才跟上，建议放慢一点",
    "已经用到工作里了",
    "求出下一期",
)
LIVE_MESSAGES = (
    "老师好！",
    "来了来了",
    "这个讲得好",
    "听懂了",
    "666",
    "能再演示一遍吗",
    "打卡",
    "笔记记好了",
    "声音很清楚",
    "学到了",
)
LIVE_QUESTIONS = (
    "老师，这个例子能再讲一遍吗？",
    "请问课件在哪里下载？",
    "零基础适合学吗？",
    "这个方法和上一种有什么区别？",
    "回放什么时候能看？",
    "有推荐的练习吗？",
    "实际项目里怎么用？",
    "下一次直播讲什么？",
)


class SocialRows:
    """Collects the simulated acts (``add``), then writes their rows (``write``)."""

    def __init__(self) -> None:
        self.likes: dict[tuple[int, int], datetime] = {}  # (learner, video) -> when
        self.shares: dict[tuple[int, int], datetime] = {}
        self.follows: dict[tuple[int, int], datetime] = {}  # (learner, instructor) -> when
        self.video_comments: list[VideoComment] = []
        self.messages: list[Message] = []
        self.room_likes: Counter[int] = Counter()  # live -> taps

    def add(self, user_id: int, kind: str, object_type: str, object_id: int, at, rng) -> None:
        def pick(texts: tuple[str, ...]) -> str:
            return texts[int(rng.integers(len(texts)))]

        pair = (user_id, object_id)
        if object_type == "video":
            if kind == "like":
                self.likes.setdefault(pair, at)
            elif kind == "share":
                self.shares.setdefault(pair, at)
            elif kind == "comment":
                self.video_comments.append(
                    VideoComment(
                        video_id=object_id,
                        user_id=user_id,
                        text=pick(VIDEO_COMMENTS),
                        created_at=at,
                    )
                )
        elif object_type == "live":
            if kind == "like":  # the first like of a live is the event; a learner taps a few
                self.room_likes[object_id] += int(rng.integers(1, 30))
            elif kind in ("comment", "question"):
                question = kind == "question"
                self.messages.append(
                    Message(
                        live_session_id=object_id,
                        author_id=user_id,
                        kind=Message.Kind.DANMAKU
                        if not question and rng.random() < 0.4
                        else Message.Kind.CHAT,
                        text=pick(LIVE_QUESTIONS if question else LIVE_MESSAGES),
                        is_question=question,
                        created_at=at,
                    )
                )
        elif object_type == "instructor" and kind == "follow":
            self.follows.setdefault(pair, at)

    def write(self) -> dict[str, int]:
        """Insert the rows (the caller keeps their simulated times: ``_times_as_simulated``) and
        recount the counters they move; returns how many of each were written."""

        def rows(model, pairs: dict, field: str) -> list:
            return [
                model(user_id=user, created_at=at, **{f"{field}_id": target})
                for (user, target), at in sorted(pairs.items())
            ]

        VideoLike.objects.bulk_create(
            rows(VideoLike, self.likes, "video"), batch_size=INSERT_BATCH, ignore_conflicts=True
        )
        VideoShare.objects.bulk_create(
            rows(VideoShare, self.shares, "video"), batch_size=INSERT_BATCH, ignore_conflicts=True
        )
        Follow.objects.bulk_create(
            rows(Follow, self.follows, "instructor"), batch_size=INSERT_BATCH, ignore_conflicts=True
        )
        VideoComment.objects.bulk_create(self.video_comments, batch_size=INSERT_BATCH)
        Message.objects.bulk_create(self.messages, batch_size=INSERT_BATCH)
        self._room_likes()
        videos = {v for _, v in self.likes} | {v for _, v in self.shares}
        videos |= {comment.video_id for comment in self.video_comments}
        ShortVideo.objects.filter(pk__in=videos).update(
            like_count=_count(VideoLike, "video"),
            share_count=_count(VideoShare, "video"),
            comment_count=_count(VideoComment.objects.filter(is_hidden=False), "video"),
        )
        Instructor.objects.filter(pk__in={i for _, i in self.follows}).update(
            follower_count=_count(Follow, "instructor")
        )
        questions = sum(message.is_question for message in self.messages)
        return {
            "video likes": len(self.likes),
            "video comments": len(self.video_comments),
            "video shares": len(self.shares),
            "live room messages": len(self.messages) - questions,
            "questions": questions,
            "live likes": sum(self.room_likes.values()),
            "follows": len(self.follows),
        }

    def _room_likes(self) -> None:
        existing = {
            row.live_session_id: row
            for row in RoomLikes.objects.filter(live_session_id__in=list(self.room_likes))
        }
        for live, row in existing.items():
            row.count += self.room_likes[live]
        RoomLikes.objects.bulk_update(list(existing.values()), ["count"])
        RoomLikes.objects.bulk_create(
            [
                RoomLikes(live_session_id=live, count=taps)
                for live, taps in sorted(self.room_likes.items())
                if live not in existing
            ]
        )


def _count(rows, field: str):
    """The number of ``rows`` (a model or a queryset) pointing at the updated row by ``field``."""
    queryset = rows.objects.all() if isinstance(rows, type) else rows
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

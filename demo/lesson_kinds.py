"""Article and audio lessons in the demo catalog: in one course of every ten the first two
lessons (a free preview and a paid one) become articles, in another one of ten audio lessons.

Articles are generated Chinese text with headings, a list, a quote and a code-free table,
sanitised like every article (``courses.articles``). All audio lessons share one clip of a few
seconds, made once with ffmpeg (a sine tone shaped to sound a little like speech) and kept in
the media storage, so seeding stays fast. Idempotent: only video lessons are converted, and the
clip is made only when it is missing.
"""

import random
import subprocess
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from courses.articles import article_clean, article_reading_seconds
from courses.audio import audio_duration
from courses.ffmpeg import ffmpeg_exe
from courses.models import Course, Lesson
from demo.catalog import DEMO_EMAIL_DOMAIN

AUDIO_NAME = "lessons/audio/demo-voice.m4a"
AUDIO_SECONDS = 6
EVERY = 10  # one course in EVERY gets articles, another one audio
LESSONS_PER_COURSE = 2

OPENINGS = [
    "这一节我们把{title}拆开来看，先弄清楚它要解决什么问题，再看具体做法。",
    "很多同学在学习{title}时会遇到相同的困惑，本节用一个完整的例子把思路讲清楚。",
    "{title}看起来复杂，其实只要抓住几个关键点，就能举一反三。",
]
POINTS = [
    "先明确目标，再决定方法，不要一上来就埋头苦干",
    "把大问题拆成可以在一天内完成的小步骤",
    "每完成一步就记录结果，方便之后复盘",
    "遇到卡点时回到基本概念，往往能找到突破口",
    "和同伴交流自己的做法，比独自摸索更快",
    "定期回顾笔记，把零散的知识连成体系",
]
QUOTES = [
    "学而不思则罔，思而不学则殆。",
    "纸上得来终觉浅，绝知此事要躬行。",
    "千里之行，始于足下。",
]
PARAGRAPHS = [
    "在实际操作中，最常见的问题不是不会做，而是不知道从哪里开始。建议先用十分钟写下你对这个"
    "主题已经知道的内容，再对照本节的要点查漏补缺。",
    "练习的关键在于反馈。每做完一次练习，都要问自己：哪里做得好，哪里还可以更好？把答案写下来，"
    "下一次练习时有针对性地改进。",
    "最后，请把本节学到的方法用在一个真实的小项目上。哪怕只花半个小时，也比只看不练收获更多。",
]


def article_html(*, course_title: str, lesson_title: str, rng: random.Random) -> str:
    points = rng.sample(POINTS, 4)
    return article_clean(
        f"<h2>{lesson_title}</h2>"
        f"<p>{rng.choice(OPENINGS).format(title=lesson_title)}"
        f"本节是《{course_title}》的一部分。</p>"
        "<h3>本节要点</h3>"
        "<ul>" + "".join(f"<li>{point}</li>" for point in points) + "</ul>"
        f"<blockquote>{rng.choice(QUOTES)}</blockquote>"
        "<h3>动手练习</h3>"
        "<ol><li>阅读本节内容并标出关键词</li><li>用自己的话复述核心方法</li>"
        "<li>完成一个小练习并记录结果</li></ol>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
        + "<h3>小结</h3>"
        "<table><thead><tr><th>步骤</th><th>做什么</th></tr></thead><tbody>"
        "<tr><td>一</td><td>明确目标</td></tr><tr><td>二</td><td>拆解任务</td></tr>"
        "<tr><td>三</td><td>练习与复盘</td></tr></tbody></table>"
    )


def demo_audio_clip() -> bytes:
    """A few seconds of a speech-like tone (AAC in M4A), made with ffmpeg's lavfi sine."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "voice.m4a"
        subprocess.run(
            [
                *(ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
                *("-f", "lavfi", "-i", f"sine=frequency=220:duration={AUDIO_SECONDS}"),
                *("-af", "vibrato=f=5:d=0.3,tremolo=f=3:d=0.8,volume=0.6"),
                *("-c:a", "aac", "-b:a", "48k", str(out)),
            ],
            check=True,
            timeout=60,
        )
        return out.read_bytes()


def _audio_file() -> tuple[str, int]:
    """The shared clip's name in the media storage (made when missing) and its duration."""
    if not default_storage.exists(AUDIO_NAME):
        default_storage.save(AUDIO_NAME, ContentFile(demo_audio_clip()))
    with default_storage.open(AUDIO_NAME, "rb") as clip:
        return AUDIO_NAME, audio_duration(name=AUDIO_NAME, data=clip.read())


def build_lesson_kinds(*, seed: int) -> dict[str, int]:
    """Turn some lessons of the demo instructors' courses into articles and audio lessons;
    returns how many lessons of each kind were converted."""
    demo_domain = f"@{DEMO_EMAIL_DOMAIN}"
    courses = list(
        Course.objects.filter(instructor__user__email__endswith=demo_domain)
        .order_by("id")
        .values_list("id", "title")
    )
    article_courses = {cid: title for i, (cid, title) in enumerate(courses) if i % EVERY == 0}
    audio_courses = {cid for i, (cid, _title) in enumerate(courses) if i % EVERY == EVERY // 2}
    chosen = (
        Lesson.objects.filter(course_id__in=[*article_courses, *audio_courses])
        .order_by("course_id", "chapter__position", "position", "id")
        .only("id", "course_id", "title", "kind")
    )
    firsts: dict[int, list[Lesson]] = {}
    for lesson in chosen:
        picked = firsts.setdefault(lesson.course_id, [])
        if len(picked) < LESSONS_PER_COURSE:
            picked.append(lesson)
    firsts = {
        cid: [lesson for lesson in picked if lesson.kind == Lesson.Kind.VIDEO]
        for cid, picked in firsts.items()
    }
    articles = [lesson for cid in article_courses for lesson in firsts.get(cid, [])]
    audio_ids = [lesson.pk for cid in audio_courses for lesson in firsts.get(cid, [])]
    for lesson in articles:
        rng = random.Random(seed * 1_000_003 + lesson.pk)
        lesson.kind = Lesson.Kind.ARTICLE
        lesson.video_url = ""
        lesson.body_html = article_html(
            course_title=article_courses[lesson.course_id], lesson_title=lesson.title, rng=rng
        )
        lesson.duration_seconds = article_reading_seconds(lesson.body_html)
    with transaction.atomic():
        Lesson.objects.bulk_update(
            articles, ["kind", "video_url", "body_html", "duration_seconds"], batch_size=500
        )
        if audio_ids:
            name, seconds = _audio_file()
            Lesson.objects.filter(pk__in=audio_ids).update(
                kind=Lesson.Kind.AUDIO, video_url="", audio=name, duration_seconds=seconds
            )
    return {"articles": len(articles), "audio": len(audio_ids)}

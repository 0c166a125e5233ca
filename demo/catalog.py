"""The demo catalog: a believable Chinese knowledge-commerce catalog generated from a seed.

``plan_catalog`` draws everything from the seed alone (titles, prices, relations, and every time
as an offset from "now"); ``build_catalog`` writes that plan at a given ``now``, one transaction
per stage, in bulk. The same seed and scale always give the same catalog, so the plan doubles as
the fingerprint that tells whether the database already holds it.

Demo accounts are recognised by their e-mail domain (``DEMO_EMAIL_DOMAIN``); the demo content is
what the demo instructors own. Categories and tags are shared reference data and are kept on reset.
The latent structure a behaviour simulation needs is in the database (a course's topic is the
parent of its category; every product, live session and short video carries its topic's tag, see
``vocabulary.topic_for_tag``) plus each course's appeal in the returned summary.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models.fields.related_descriptors import ManyToManyDescriptor

from commerce.models import Enrollment, Order
from courses.models import (
    Category,
    Chapter,
    Course,
    Instructor,
    Lesson,
    LiveSession,
    LiveShelfItem,
    Product,
    ShortVideo,
    Tag,
)
from courses.services import instructor_create, unique_slug
from demo.covers import avatar_svg, cover_svg, delete_files, save_svg
from demo.vocabulary import (
    ADVANCED_TAGS,
    ALL_TAGS,
    AUDIENCES,
    BEGINNER_TAGS,
    BOOK_VARIANTS,
    CHAPTER_SUFFIXES,
    COURSE_TEMPLATES,
    DIGITAL_VARIANTS,
    ENGLISH_LESSONS,
    ENGLISH_MODULES,
    ENGLISH_SUBTITLES,
    ENGLISH_TEMPLATES,
    ENGLISH_VARIANTS,
    FORMAT_TAGS,
    GIVEN_NAMES,
    INSTRUCTOR_STYLES,
    INTRODUCTION_LESSONS,
    LESSON_ASPECTS,
    LIVE_TEMPLATES,
    ORGANISATIONS,
    PRODUCT_BLURBS,
    PRODUCT_VARIANTS,
    SHOP_TAGS,
    SUBTITLE_TEMPLATES,
    SURNAMES,
    TITLE_VARIANTS,
    TOPICS,
    TOPICS_BY_KEY,
    VIDEO_TEMPLATES,
    SubCategory,
    Topic,
)

DEFAULT_SEED = 42
DEFAULT_ADMIN_PASSWORD = "zhibo-admin"
ADMIN_USERNAME = "admin"
DEMO_EMAIL_DOMAIN = "demo.zhibo.local"
MEDIA_BASE_URL = "https://media.zhibo.local"
BATCH_SIZE = 1000
BASE_SIZES = {
    "instructors": 40,
    "courses": 300,
    "live_sessions": 100,
    "short_videos": 500,
    "products": 200,
    "learners": 2000,
}
YEAR_MINUTES = 365 * 24 * 60

Progress = Callable[[str], None]


class DemoDataConflict(Exception):
    """The database holds data that the requested demo catalog cannot be written next to."""


@dataclass
class InstructorPlan:
    index: int
    username: str
    display_name: str
    headline: str
    bio: str
    style: str
    topics: tuple[Topic, ...]
    weight: float


@dataclass
class LessonPlan:
    title: str
    duration_seconds: int
    is_free_preview: bool


@dataclass
class ChapterPlan:
    title: str
    lessons: list[LessonPlan]


@dataclass
class CoursePlan:
    index: int
    instructor: InstructorPlan
    topic: Topic
    sub: SubCategory
    title: str
    subtitle: str
    description: str
    price: Decimal
    list_price: Decimal | None
    level: str
    language: str
    status: str
    published_ago: timedelta | None
    tags: list[str]
    chapters: list[ChapterPlan]
    appeal: float


@dataclass
class ProductPlan:
    index: int
    instructor: InstructorPlan
    topic: Topic
    title: str
    description: str
    price: Decimal
    list_price: Decimal | None
    stock: int
    digital: bool
    is_active: bool
    tags: list[str]


@dataclass
class ShelfPlan:
    product: ProductPlan
    position: int
    is_pinned: bool
    flash_price: Decimal | None
    flash_offset: timedelta | None  # from the session's start
    flash_length: timedelta | None


@dataclass
class LivePlan:
    index: int
    instructor: InstructorPlan
    course: CoursePlan | None
    topic: Topic
    title: str
    description: str
    status: str
    start: timedelta  # from now: negative in the past
    length: timedelta
    tags: list[str]
    shelf: list[ShelfPlan]


@dataclass
class VideoPlan:
    index: int
    instructor: InstructorPlan
    course: CoursePlan | None
    topic: Topic
    title: str
    duration_seconds: int
    published_ago: timedelta
    is_published: bool
    tags: list[str]
    products: list[ProductPlan]


@dataclass
class CatalogPlan:
    seed: int
    scale: float
    instructors: list[InstructorPlan] = field(default_factory=list)
    courses: list[CoursePlan] = field(default_factory=list)
    products: list[ProductPlan] = field(default_factory=list)
    live_sessions: list[LivePlan] = field(default_factory=list)
    short_videos: list[VideoPlan] = field(default_factory=list)
    learners_joined_ago: list[timedelta] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        chapters = [chapter for course in self.courses for chapter in course.chapters]
        return {
            "instructors": len(self.instructors),
            "learners": len(self.learners_joined_ago),
            "courses": len(self.courses),
            "chapters": len(chapters),
            "lessons": sum(len(chapter.lessons) for chapter in chapters),
            "products": len(self.products),
            "live_sessions": len(self.live_sessions),
            "shelf_items": sum(len(live.shelf) for live in self.live_sessions),
            "short_videos": len(self.short_videos),
        }

    @property
    def course_titles(self) -> set[tuple[str, str]]:
        return {(course.instructor.username, course.title) for course in self.courses}


@dataclass(frozen=True)
class CatalogSummary:
    """What ``build_catalog`` did. ``course_appeal`` maps course ids to their latent appeal (a
    positive weight, median 1) that is not stored in the database."""

    seed: int
    scale: float
    created: bool
    counts: dict[str, int]
    admin_username: str
    instructor_username: str
    course_appeal: dict[int, float]


def learner_username(number: int) -> str:
    return f"learner{number:04d}"


def instructor_username(number: int) -> str:
    return f"teacher{number:03d}"


def demo_email(username: str) -> str:
    return f"{username}@{DEMO_EMAIL_DOMAIN}"


# --- planning: no database, no clock -------------------------------------------------------------


def _yuan(amount: int) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _ending_in_nine(amount: float) -> int:
    return max(9, int(amount) // 10 * 10 + 9)


class _Planner:
    def __init__(self, *, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.plan = CatalogPlan(seed=seed, scale=scale)
        self.sizes = {name: max(1, round(size * scale)) for name, size in BASE_SIZES.items()}
        self.titles: set[str] = set()
        self.published_courses: dict[int, list[CoursePlan]] = {}
        self.products_of: dict[int, list[ProductPlan]] = {}

    def run(self) -> CatalogPlan:
        self._instructors()
        self._courses()
        self._products()
        self._live_sessions()
        self._short_videos()
        self.plan.learners_joined_ago = [
            timedelta(minutes=self.rng.randrange(YEAR_MINUTES))
            for _ in range(self.sizes["learners"])
        ]
        return self.plan

    def _unique_title(self, base: str, variants: Sequence[str], *, preferred: str = "") -> str:
        """A title no other item has: ``base`` with ``preferred``, else with one of the other
        ``variants``, else numbered (``base（2）``). ``base`` never carries a variant itself, so
        a title has at most one variant and never the same one twice."""
        candidates = [f"{base}{preferred}", *(f"{base}{v}" for v in variants if v != preferred)]
        for candidate in candidates:
            if candidate not in self.titles:
                break
        else:
            n = 2
            while f"{base}（{n}）" in self.titles:
                n += 1
            candidate = f"{base}（{n}）"
        self.titles.add(candidate)
        return candidate

    def _weighted_instructor(self, among: Sequence[InstructorPlan]) -> InstructorPlan:
        return self.rng.choices(among, weights=[i.weight for i in among])[0]

    def _topic_of(self, instructor: InstructorPlan) -> Topic:
        if len(instructor.topics) > 1 and self.rng.random() < 0.25:
            return instructor.topics[1]
        return instructor.topics[0]

    def _words(self, sub: SubCategory, topic: Topic) -> dict[str, str]:
        k1, k2, k3 = self.rng.sample(sub.keywords, 3)
        return {
            "s": self.rng.choice(sub.subjects),
            "k1": k1,
            "k2": k2,
            "k3": k3,
            "o": self.rng.choice(topic.outcomes),
        }

    def _instructors(self) -> None:
        rng = self.rng
        order = list(TOPICS)
        rng.shuffle(order)
        names = [surname + given for surname in SURNAMES for given in GIVEN_NAMES]
        rng.shuffle(names)
        for index in range(self.sizes["instructors"]):
            name = names[index % len(names)]
            if index >= len(names):
                name += str(index // len(names) + 1)
            primary = order[index % len(order)]
            topics = (primary,)
            if rng.random() < 0.45:
                topics += (TOPICS_BY_KEY[rng.choice(primary.related)],)
            role = rng.choice(primary.roles)
            years = rng.randint(3, 15)
            style = rng.choice(INSTRUCTOR_STYLES)
            fields = "与".join(topic.name for topic in topics)
            bio = (
                f"{name}，{role}，曾就职于{rng.choice(ORGANISATIONS)}。"
                f"{years}年来专注{fields}，授课风格{style}，"
                f"累计帮助{rng.randint(2, 300) * 100}名学员{rng.choice(primary.outcomes)}。\n\n"
                f"课程之外，{name}也常在直播间分享"
                f"{rng.choice(rng.choice(primary.subcategories).keywords)}心得和好物。"
            )
            self.plan.instructors.append(
                InstructorPlan(
                    index=index,
                    username=instructor_username(index + 1),
                    display_name=name,
                    headline=f"{role} · {years}年{primary.name}教学经验",
                    bio=bio,
                    style=style,
                    topics=topics,
                    weight=rng.lognormvariate(0, 0.6),
                )
            )

    def _courses(self) -> None:
        rng = self.rng
        instructors = self.plan.instructors
        for index in range(self.sizes["courses"]):
            if index < len(instructors):
                instructor = instructors[index]
            else:
                instructor = self._weighted_instructor(instructors)
            topic = self._topic_of(instructor)
            sub = rng.choice(topic.subcategories)
            words = self._words(sub, topic)
            english = rng.random() < 0.05
            if english:
                pattern, level = rng.choice(ENGLISH_TEMPLATES)
                title = pattern.format(s=rng.choice(topic.english_subjects))
            else:
                pattern, level = rng.choice(COURSE_TEMPLATES)
                title = pattern.format(**words)
            title = self._unique_title(title, ENGLISH_VARIANTS if english else TITLE_VARIANTS)
            level = level or rng.choices(["beginner", "intermediate", "advanced"], [5, 3, 2])[0]
            chapters = self._chapters(sub=sub, english=english, words=words)
            n_lessons = sum(len(chapter.lessons) for chapter in chapters)
            status = rng.choices(["published", "draft", "archived"], [90, 6, 4])[0]
            published_ago = (
                None if status == "draft" else timedelta(minutes=rng.randrange(60, YEAR_MINUTES))
            )
            price, list_price = self._course_price()
            course = CoursePlan(
                index=index,
                instructor=instructor,
                topic=topic,
                sub=sub,
                title=title,
                subtitle=(
                    rng.choice(ENGLISH_SUBTITLES)
                    if english
                    else rng.choice(SUBTITLE_TEMPLATES).format(n=n_lessons, **words)
                ),
                description=self._course_description(
                    instructor=instructor,
                    topic=topic,
                    words=words,
                    chapters=chapters,
                    english=english,
                ),
                price=price,
                list_price=list_price,
                level=level,
                language="en" if english else "zh-hans",
                status=status,
                published_ago=published_ago,
                tags=self._course_tags(topic=topic, sub=sub, level=level, title=title),
                chapters=chapters,
                appeal=round(rng.lognormvariate(0, 0.6), 4),
            )
            self.plan.courses.append(course)
            if status == "published":
                self.published_courses.setdefault(instructor.index, []).append(course)

    def _course_price(self) -> tuple[Decimal, Decimal | None]:
        rng = self.rng
        if rng.random() < 0.15:
            return _yuan(0), (_yuan(rng.choice([49, 99, 199])) if rng.random() < 0.3 else None)
        price = rng.choices(
            [49, 69, 99, 129, 149, 199, 249, 299, 399], [10, 12, 18, 12, 12, 12, 8, 8, 6]
        )[0]
        if rng.random() < 0.4:
            return _yuan(price), _yuan(price + rng.choice([30, 50, 100, 100, 200]))
        return _yuan(price), None

    def _chapters(
        self, *, sub: SubCategory, english: bool, words: dict[str, str]
    ) -> list[ChapterPlan]:
        rng = self.rng
        n_chapters = rng.randint(3, 6)
        keywords = rng.sample(sub.keywords, len(sub.keywords))
        chapters = []
        for number in range(1, n_chapters + 1):
            keyword = keywords[(number - 2) % len(keywords)]
            if english:
                title = f"Module {number}: {ENGLISH_MODULES[(number - 1) % len(ENGLISH_MODULES)]}"
                lesson_titles = rng.sample(ENGLISH_LESSONS, rng.randint(3, 6))
            else:
                if number == 1:
                    title = f"第1章 导学：{words['s']}全景"
                elif number == n_chapters and n_chapters >= 4:
                    title = f"第{number}章 综合实战与答疑"
                else:
                    title = f"第{number}章 {keyword}{rng.choice(CHAPTER_SUFFIXES)}"
                aspects = sorted(
                    rng.sample(LESSON_ASPECTS, rng.randint(3, 6)), key=LESSON_ASPECTS.index
                )
                lesson_titles = [f"{keyword}：{aspect}" for aspect in aspects]
                if number == 1:
                    introduction = [t.format(**words) for t in INTRODUCTION_LESSONS]
                    lesson_titles = [*introduction, *lesson_titles[2:]]
            chapters.append(
                ChapterPlan(
                    title=title,
                    lessons=[
                        LessonPlan(
                            title=lesson_title,
                            duration_seconds=rng.randint(5 * 60, 40 * 60),
                            is_free_preview=number == 1
                            and (position == 0 or (position == 1 and rng.random() < 0.5)),
                        )
                        for position, lesson_title in enumerate(lesson_titles)
                    ],
                )
            )
        return chapters

    def _course_description(
        self,
        *,
        instructor: InstructorPlan,
        topic: Topic,
        words: dict[str, str],
        chapters: list[ChapterPlan],
        english: bool,
    ) -> str:
        n_lessons = sum(len(chapter.lessons) for chapter in chapters)
        minutes = sum(lesson.duration_seconds for c in chapters for lesson in c.lessons) // 60
        if english:
            return (
                f"This course is taught in English by {instructor.display_name}. "
                f"It covers {words['k1']}, {words['k2']} and {words['k3']} "
                "with short lessons and practical exercises.\n\n"
                f"{len(chapters)} modules, {n_lessons} lessons, about {minutes // 60 + 1} hours "
                "of video. Watch at your own pace and come back any time."
            )
        return "\n\n".join(
            (
                f"{words['s']}是{topic.pitch}。本课程由{instructor.display_name}主讲，"
                f"{instructor.style}，带你{words['o']}。",
                f"你将学到：{words['k1']}、{words['k2']}、{words['k3']}等核心内容，"
                "每一章都配有练习与案例，学完就能用在实际中。",
                f"适合人群：{self.rng.choice(AUDIENCES).format(**words)}。",
                f"课程共{len(chapters)}章{n_lessons}节，总时长约{minutes // 60 + 1}小时，"
                "购买后可反复观看。",
            )
        )

    def _course_tags(self, *, topic: Topic, sub: SubCategory, level: str, title: str) -> list[str]:
        rng = self.rng
        tags = [topic.tag, sub.tags[0]]
        pool = [tag for tag in (*sub.tags[1:], *topic.extra_tags) if tag not in tags]
        tags += rng.sample(pool, min(len(pool), rng.randint(0, 2)))
        if "实战" in title or "案例" in title:
            tags.append("实战")
        elif rng.random() < 0.7:
            tags.append(rng.choice(BEGINNER_TAGS if level == "beginner" else ADVANCED_TAGS))
        if rng.random() < 0.2:
            tags.append(rng.choice(FORMAT_TAGS))
        return list(dict.fromkeys(tags))[:5]

    def _products(self) -> None:
        rng = self.rng
        instructors = self.plan.instructors
        for index in range(self.sizes["products"]):
            if index < len(instructors):
                instructor = instructors[index]
            else:
                instructor = self._weighted_instructor(instructors)
            topic = self._topic_of(instructor)
            item = rng.choice(topic.products)
            if item.digital:
                variants = DIGITAL_VARIANTS
            elif item.name.startswith("《"):
                variants = BOOK_VARIANTS
            else:
                variants = PRODUCT_VARIANTS
            price = _ending_in_nine(rng.randint(item.low, item.high))
            list_price = None
            if rng.random() < 0.45:
                list_price = _yuan(_ending_in_nine(price * rng.choice([1.2, 1.3, 1.5]) + 10))
            sub = rng.choice(topic.subcategories)
            description = rng.choice(PRODUCT_BLURBS).format(
                name=instructor.display_name, topic=topic.name
            )
            tags = [topic.tag, rng.choice(sub.tags)]
            if rng.random() < 0.4:
                tags.append(rng.choice(SHOP_TAGS))
            product = ProductPlan(
                index=index,
                instructor=instructor,
                topic=topic,
                title=self._unique_title(item.name, variants, preferred=rng.choice(variants)),
                description=description,
                price=_yuan(price),
                list_price=list_price,
                stock=0 if rng.random() < 0.06 else rng.randint(1, 500),
                digital=item.digital,
                is_active=rng.random() > 0.08,
                tags=tags,
            )
            self.plan.products.append(product)
            self.products_of.setdefault(instructor.index, []).append(product)

    def _live_sessions(self) -> None:
        rng = self.rng
        hosts = [i for i in self.plan.instructors if i.index in self.products_of]
        n = self.sizes["live_sessions"]
        statuses = ["ended", "live", "scheduled"][:n]
        statuses += rng.choices(["ended", "live", "scheduled"], [57, 8, 35], k=n - len(statuses))
        for index, status in enumerate(statuses):
            instructor = self._weighted_instructor(hosts)
            course = self._course_of(instructor, chance=0.7)
            topic = course.topic if course else self._topic_of(instructor)
            sub = course.sub if course else rng.choice(topic.subcategories)
            words = self._words(sub, topic)
            length = timedelta(minutes=rng.choice([60, 90, 120, 150, 180]))
            if status == "ended":
                start = -(length + timedelta(minutes=5 * rng.randint(2, 60 * 288)))
            elif status == "live":
                start = -timedelta(minutes=5 * rng.randint(1, 16))
                length = max(length, timedelta(minutes=120))
            else:
                start = timedelta(minutes=5 * rng.randint(12, 14 * 288))
            shelf = self._shelf(self.products_of[instructor.index], topic=topic, length=length)
            description = (
                f"{instructor.display_name}的直播间：{words['k1']}、{words['k2']}现场讲解与答疑，"
                "直播间专属福利不要错过。"
            )
            if course:
                description += f"\n\n配套课程：《{course.title}》。"
            tags = [topic.tag, sub.tags[0]]
            if any(item.flash_price is not None for item in shelf):
                tags.append("限时优惠")
            self.plan.live_sessions.append(
                LivePlan(
                    index=index,
                    instructor=instructor,
                    course=course,
                    topic=topic,
                    title=self._unique_title(
                        rng.choice(LIVE_TEMPLATES).format(name=instructor.display_name, **words),
                        TITLE_VARIANTS,
                    ),
                    description=description,
                    status=status,
                    start=start,
                    length=length,
                    tags=tags,
                    shelf=shelf,
                )
            )

    def _course_of(self, instructor: InstructorPlan, *, chance: float) -> CoursePlan | None:
        own = self.published_courses.get(instructor.index, [])
        if own and self.rng.random() < chance:
            return self.rng.choice(own)
        return None

    def _shelf(
        self, products: list[ProductPlan], *, topic: Topic, length: timedelta
    ) -> list[ShelfPlan]:
        rng = self.rng
        ranked = sorted(
            products, key=lambda p: (p.topic is not topic, not p.is_active, rng.random())
        )
        chosen = ranked[: min(len(ranked), rng.randint(2, 6))]
        pinned = rng.randrange(len(chosen))
        slots = int(length.total_seconds()) // 300
        shelf = []
        for position, product in enumerate(chosen, start=1):
            flash_price = flash_offset = flash_length = None
            if rng.random() < 0.35:
                discount = Decimal(rng.choice(["0.6", "0.7", "0.8", "0.9"]))
                flash_price = (product.price * discount).quantize(Decimal("1"), ROUND_DOWN)
                flash_price = _yuan(int(flash_price))
                first_slot = rng.randint(0, slots - 4)
                flash_offset = timedelta(minutes=5 * first_slot)
                flash_length = timedelta(minutes=5 * rng.randint(2, min(9, slots - first_slot)))
            shelf.append(
                ShelfPlan(
                    product=product,
                    position=position,
                    is_pinned=position - 1 == pinned,
                    flash_price=flash_price,
                    flash_offset=flash_offset,
                    flash_length=flash_length,
                )
            )
        return shelf

    def _short_videos(self) -> None:
        rng = self.rng
        for index in range(self.sizes["short_videos"]):
            instructor = self._weighted_instructor(self.plan.instructors)
            course = self._course_of(instructor, chance=0.6)
            topic = course.topic if course else self._topic_of(instructor)
            sub = course.sub if course else rng.choice(topic.subcategories)
            words = self._words(sub, topic)
            title = rng.choice(VIDEO_TEMPLATES).format(
                name=instructor.display_name, n=rng.randint(1, 12), **words
            )
            own = self.products_of.get(instructor.index, [])
            n_products = min(len(own), rng.choices([0, 1, 2], [50, 35, 15])[0])
            tags = [topic.tag, *rng.sample(sub.tags, 1)]
            if rng.random() < 0.4:
                tags.append(rng.choice(FORMAT_TAGS))
            self.plan.short_videos.append(
                VideoPlan(
                    index=index,
                    instructor=instructor,
                    course=course,
                    topic=topic,
                    title=self._unique_title(title, TITLE_VARIANTS),
                    duration_seconds=rng.randint(15, 180),
                    published_ago=timedelta(minutes=rng.randrange(10, YEAR_MINUTES)),
                    is_published=rng.random() > 0.04,
                    tags=list(dict.fromkeys(tags)),
                    products=rng.sample(own, n_products),
                )
            )


def plan_catalog(*, seed: int, scale: float) -> CatalogPlan:
    """The catalog of ``seed`` at ``scale`` (1 is the default size), in memory only."""
    if not scale > 0:
        raise ValueError("scale must be a positive number")
    return _Planner(seed=seed, scale=scale).run()


# --- writing ------------------------------------------------------------------------------------


def _demo_users() -> models.QuerySet:
    return get_user_model().objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}")


def _demo_instructors() -> models.QuerySet[Instructor]:
    return Instructor.objects.filter(user__in=_demo_users())


def _stored_counts() -> dict[str, int]:
    owned = _demo_instructors()
    return {
        "instructors": owned.count(),
        "learners": _demo_users().filter(username__startswith="learner").count(),
        "courses": Course.objects.filter(instructor__in=owned).count(),
        "chapters": Chapter.objects.filter(course__instructor__in=owned).count(),
        "lessons": Lesson.objects.filter(course__instructor__in=owned).count(),
        "products": Product.objects.filter(instructor__in=owned).count(),
        "live_sessions": LiveSession.objects.filter(instructor__in=owned).count(),
        "shelf_items": LiveShelfItem.objects.filter(live_session__instructor__in=owned).count(),
        "short_videos": ShortVideo.objects.filter(instructor__in=owned).count(),
    }


def _stored_course_ids() -> dict[tuple[str, str], int]:
    rows = Course.objects.filter(instructor__in=_demo_instructors()).values_list(
        "instructor__user__username", "title", "id"
    )
    return {(username, title): pk for username, title, pk in rows}


def _check_usernames_free(plan: CatalogPlan) -> None:
    planned = {
        ADMIN_USERNAME,
        *(i.username for i in plan.instructors),
        *(learner_username(n) for n in range(1, len(plan.learners_joined_ago) + 1)),
    }
    existing = get_user_model().objects.filter(
        models.Q(username=ADMIN_USERNAME)
        | models.Q(username__startswith="teacher")
        | models.Q(username__startswith="learner")
    )
    taken = sorted(planned.intersection(existing.values_list("username", flat=True)))
    if taken:
        raise DemoDataConflict(
            f"accounts the demo would create already exist ({', '.join(taken[:3])}"
            f"{', …' if len(taken) > 3 else ''}); rename or delete them first"
        )


class _Slugs:
    """Slugs through ``unique_slug``, also unique among the rows of a batch not yet saved."""

    def __init__(self) -> None:
        self.taken: set[tuple[type[models.Model], str]] = set()

    def __call__(self, model: type[models.Model], text: str, *, fallback: str) -> str:
        slug, n = unique_slug(model, text, fallback=fallback), 1
        while (model, slug) in self.taken:
            n += 1
            slug = unique_slug(model, f"{text}-{n}", fallback=f"{fallback}-{n}")
        self.taken.add((model, slug))
        return slug


def _link(relation: ManyToManyDescriptor, pairs: list[tuple[int, int]]) -> None:
    """Bulk-insert the rows of a many-to-many ``relation`` (e.g. ``Course.tags``)."""
    through = relation.through
    source = f"{relation.field.m2m_field_name()}_id"
    target = f"{relation.field.m2m_reverse_field_name()}_id"
    through.objects.bulk_create(
        [through(**{source: a, target: b}) for a, b in pairs], batch_size=BATCH_SIZE
    )


class _Writer:
    def __init__(self, *, plan: CatalogPlan, now: datetime, progress: Progress) -> None:
        self.plan = plan
        self.now = now
        self.progress = progress
        self.slugs = _Slugs()
        self.categories: dict[str, Category] = {}
        self.tags: dict[str, Tag] = {}
        self.instructors: list[Instructor] = []
        self.courses: list[Course] = []
        self.products: list[Product] = []

    def run(self, *, password_hash: str) -> None:
        with transaction.atomic():
            self._vocabulary()
        with transaction.atomic():
            self._accounts(password_hash)
        with transaction.atomic():
            self._courses()
        with transaction.atomic():
            self._products()
        with transaction.atomic():
            self._live_sessions()
        with transaction.atomic():
            self._short_videos()

    def _cover(self, folder: str, index: int, *, title: str, caption: str, topic: Topic) -> str:
        svg = cover_svg(
            title=title, caption=caption, colour=topic.colour, glyph=topic.glyph, variant=index
        )
        return save_svg(name=f"covers/{folder}/demo-{index + 1:05d}.svg", svg=svg)

    def _vocabulary(self) -> None:
        for position, topic in enumerate(TOPICS):
            parent, _ = Category.objects.get_or_create(
                slug=topic.key, defaults={"name": topic.name, "position": position}
            )
            self.categories[topic.key] = parent
            for sub_position, sub in enumerate(topic.subcategories):
                self.categories[sub.slug], _ = Category.objects.get_or_create(
                    slug=sub.slug,
                    defaults={"name": sub.name, "parent": parent, "position": sub_position},
                )
        for number, name in enumerate(ALL_TAGS, start=1):
            self.tags[name], _ = Tag.objects.get_or_create(
                name=name,
                defaults={"slug": unique_slug(Tag, name, fallback=f"tag-{number}", max_length=40)},
            )
        self.progress(
            f"vocabulary: {len(TOPICS)} topics, {len(self.categories)} categories, "
            f"{len(self.tags)} tags"
        )

    def _accounts(self, password_hash: str) -> None:
        user_model = get_user_model()
        user_model.objects.create(
            username=ADMIN_USERNAME,
            email=demo_email(ADMIN_USERNAME),
            password=password_hash,
            is_staff=True,
            is_superuser=True,
            date_joined=self.now - timedelta(days=400),
        )
        users = user_model.objects.bulk_create(
            [
                user_model(
                    username=p.username,
                    email=demo_email(p.username),
                    password=password_hash,
                    is_staff=True,
                    date_joined=self.now - timedelta(days=400 - p.index % 30),
                )
                for p in self.plan.instructors
            ]
        )
        for user, p in zip(users, self.plan.instructors, strict=True):
            instructor = instructor_create(
                user=user, display_name=p.display_name, headline=p.headline, bio=p.bio
            )
            instructor.avatar = save_svg(
                name=f"avatars/demo-{p.index + 1:04d}.svg",
                svg=avatar_svg(name=p.display_name, colour=p.topics[0].colour),
            )
            self.instructors.append(instructor)
        Instructor.objects.bulk_update(self.instructors, ["avatar"])
        user_model.objects.bulk_create(
            [
                user_model(
                    username=learner_username(number),
                    email=demo_email(learner_username(number)),
                    password=password_hash,
                    date_joined=self.now - joined_ago,
                )
                for number, joined_ago in enumerate(self.plan.learners_joined_ago, start=1)
            ],
            batch_size=BATCH_SIZE,
        )
        self.progress(
            f"accounts: 1 admin, {len(self.instructors)} instructors, "
            f"{len(self.plan.learners_joined_ago)} learners"
        )

    def _courses(self) -> None:
        for p in self.plan.courses:
            self.courses.append(
                Course(
                    instructor=self.instructors[p.instructor.index],
                    category=self.categories[p.sub.slug],
                    title=p.title,
                    slug=self.slugs(Course, p.title, fallback=f"course-{p.index + 1}"),
                    subtitle=p.subtitle,
                    description=p.description,
                    cover=self._cover(
                        "courses",
                        p.index,
                        title=p.title,
                        caption=f"{p.topic.name} · {p.sub.name}",
                        topic=p.topic,
                    ),
                    price=p.price,
                    list_price=p.list_price,
                    level=p.level,
                    language=p.language,
                    status=p.status,
                    published_at=self.now - p.published_ago if p.published_ago else None,
                )
            )
        Course.objects.bulk_create(self.courses, batch_size=BATCH_SIZE)
        _link(
            Course.tags,
            [
                (course.pk, self.tags[name].pk)
                for course, p in zip(self.courses, self.plan.courses, strict=True)
                for name in p.tags
            ],
        )
        chapters = [
            (course, f"c{p.index + 1:05d}", position, chapter)
            for course, p in zip(self.courses, self.plan.courses, strict=True)
            for position, chapter in enumerate(p.chapters, start=1)
        ]
        rows = Chapter.objects.bulk_create(
            [Chapter(course=course, title=c.title, position=pos) for course, _, pos, c in chapters],
            batch_size=BATCH_SIZE,
        )
        lessons = [
            Lesson(
                course=course,
                chapter=row,
                title=lesson.title,
                position=lesson_position,
                duration_seconds=lesson.duration_seconds,
                video_url=f"{MEDIA_BASE_URL}/lessons/{key}/{chapter_position}-{lesson_position}.mp4",
                is_free_preview=lesson.is_free_preview,
            )
            for row, (course, key, chapter_position, chapter) in zip(rows, chapters, strict=True)
            for lesson_position, lesson in enumerate(chapter.lessons, start=1)
        ]
        Lesson.objects.bulk_create(lessons, batch_size=BATCH_SIZE)
        self.progress(
            f"courses: {len(self.courses)} ({len(rows)} chapters, {len(lessons)} lessons)"
        )

    def _products(self) -> None:
        for p in self.plan.products:
            self.products.append(
                Product(
                    instructor=self.instructors[p.instructor.index],
                    title=p.title,
                    slug=self.slugs(Product, p.title, fallback=f"product-{p.index + 1}"),
                    description=p.description,
                    cover=self._cover(
                        "products",
                        p.index,
                        title=p.title,
                        caption=f"{p.topic.name} · {'数字商品' if p.digital else '好物'}",
                        topic=p.topic,
                    ),
                    price=p.price,
                    list_price=p.list_price,
                    stock=p.stock,
                    kind=Product.Kind.DIGITAL if p.digital else Product.Kind.PHYSICAL,
                    is_active=p.is_active,
                )
            )
        Product.objects.bulk_create(self.products, batch_size=BATCH_SIZE)
        _link(
            Product.tags,
            [
                (product.pk, self.tags[name].pk)
                for product, p in zip(self.products, self.plan.products, strict=True)
                for name in p.tags
            ],
        )
        self.progress(f"products: {len(self.products)}")

    def _live_sessions(self) -> None:
        lives = []
        for p in self.plan.live_sessions:
            start = self.now + p.start
            key = f"l{p.index + 1:05d}"
            lives.append(
                LiveSession(
                    instructor=self.instructors[p.instructor.index],
                    course=self.courses[p.course.index] if p.course else None,
                    title=p.title,
                    slug=self.slugs(LiveSession, p.title, fallback=f"live-{p.index + 1}"),
                    description=p.description,
                    cover=self._cover(
                        "lives",
                        p.index,
                        title=p.title,
                        caption=f"直播 · {p.topic.name}",
                        topic=p.topic,
                    ),
                    scheduled_start=start,
                    scheduled_end=start + p.length,
                    status=p.status,
                    stream_url="" if p.status == "ended" else f"{MEDIA_BASE_URL}/live/{key}.m3u8",
                    replay_url=f"{MEDIA_BASE_URL}/replays/{key}.mp4" if p.status == "ended" else "",
                )
            )
        LiveSession.objects.bulk_create(lives, batch_size=BATCH_SIZE)
        pairs = zip(lives, self.plan.live_sessions, strict=True)
        shelf = [
            LiveShelfItem(
                live_session=live,
                product=self.products[item.product.index],
                position=item.position,
                is_pinned=item.is_pinned,
                flash_price=item.flash_price,
                flash_starts_at=(
                    live.scheduled_start + item.flash_offset
                    if item.flash_offset is not None
                    else None
                ),
                flash_ends_at=(
                    live.scheduled_start + item.flash_offset + item.flash_length
                    if item.flash_offset is not None
                    else None
                ),
            )
            for live, p in pairs
            for item in p.shelf
        ]
        LiveShelfItem.objects.bulk_create(shelf, batch_size=BATCH_SIZE)
        _link(
            LiveSession.tags,
            [
                (live.pk, self.tags[name].pk)
                for live, p in zip(lives, self.plan.live_sessions, strict=True)
                for name in p.tags
            ],
        )
        states = {status: 0 for status in ("ended", "live", "scheduled")}
        for p in self.plan.live_sessions:
            states[p.status] += 1
        self.progress(
            f"live sessions: {len(lives)} ({states['ended']} ended, {states['live']} live now, "
            f"{states['scheduled']} upcoming; {len(shelf)} shelf items)"
        )

    def _short_videos(self) -> None:
        videos = [
            ShortVideo(
                instructor=self.instructors[p.instructor.index],
                title=p.title,
                slug=self.slugs(ShortVideo, p.title, fallback=f"video-{p.index + 1}"),
                video_url=f"{MEDIA_BASE_URL}/videos/v{p.index + 1:05d}.mp4",
                duration_seconds=p.duration_seconds,
                cover=self._cover(
                    "videos",
                    p.index,
                    title=p.title,
                    caption=f"{p.topic.name} · {_clock(p.duration_seconds)}",
                    topic=p.topic,
                ),
                course=self.courses[p.course.index] if p.course else None,
                is_published=p.is_published,
                published_at=self.now - p.published_ago,
            )
            for p in self.plan.short_videos
        ]
        ShortVideo.objects.bulk_create(videos, batch_size=BATCH_SIZE)
        pairs = list(zip(videos, self.plan.short_videos, strict=True))
        _link(ShortVideo.tags, [(v.pk, self.tags[name].pk) for v, p in pairs for name in p.tags])
        _link(
            ShortVideo.products,
            [(v.pk, self.products[product.index].pk) for v, p in pairs for product in p.products],
        )
        self.progress(f"short videos: {len(videos)}")


def build_catalog(
    *,
    seed: int,
    scale: float,
    now: datetime,
    admin_password: str = DEFAULT_ADMIN_PASSWORD,
    progress: Progress | None = None,
) -> CatalogSummary:
    """Write the demo catalog of ``seed`` and ``scale`` with its times relative to ``now``.

    If the database already holds exactly that catalog nothing is written (``created`` is False);
    if it holds other demo data (another seed or scale, or an interrupted run) this raises
    ``DemoDataConflict``: ``delete_demo_data`` first.
    """
    plan = plan_catalog(seed=seed, scale=scale)
    if _demo_users().exists():
        stored_ids = _stored_course_ids()
        if _stored_counts() != plan.counts or set(stored_ids) != plan.course_titles:
            raise DemoDataConflict(
                "the database holds demo data of another seed or scale, or of an interrupted "
                "run; delete it first (seed_demo --reset)"
            )
        created = False
    else:
        _check_usernames_free(plan)
        _Writer(plan=plan, now=now, progress=progress or (lambda line: None)).run(
            password_hash=make_password(admin_password)
        )
        stored_ids = _stored_course_ids()
        created = True
    return CatalogSummary(
        seed=seed,
        scale=scale,
        created=created,
        counts=plan.counts,
        admin_username=ADMIN_USERNAME,
        instructor_username=plan.instructors[0].username,
        course_appeal={
            stored_ids[(course.instructor.username, course.title)]: course.appeal
            for course in plan.courses
        },
    )


def delete_demo_data() -> int:
    """Delete the demo accounts (with their instructor profiles), everything the demo instructors
    own and its cover and avatar files; categories and tags stay. Returns the rows deleted."""
    owned = _demo_instructors()
    owned_content = [
        LiveSession.objects.filter(instructor__in=owned),
        ShortVideo.objects.filter(instructor__in=owned),
        Course.objects.filter(instructor__in=owned),
        Product.objects.filter(instructor__in=owned),
    ]
    with transaction.atomic():
        files = [name for rows in owned_content for name in rows.values_list("cover", flat=True)]
        files += owned.values_list("avatar", flat=True)
        # The demo learners' enrollments and orders protect the courses and products: they go
        # first (their delivery addresses go with the accounts).
        deleted = Enrollment.objects.filter(user__in=_demo_users()).delete()[0]
        deleted += Order.objects.filter(user__in=_demo_users()).delete()[0]
        deleted += sum(rows.delete()[0] for rows in owned_content)
        deleted += _demo_users().delete()[0]
    delete_files(names=files)
    return deleted

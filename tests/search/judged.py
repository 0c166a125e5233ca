"""The judged query set: queries a learner types over the demo catalog (``seed_demo``'s default
seed and scale), with what must come first, for courses and for live sessions, short videos and
products (``item_type``: each query searches one type, as one tab of the search page does).

An item is *relevant* (grade 2) to a judgment when its title has, for each of ``title``'s
entries, one of that entry's ``|``-separated words (any case); *related* (grade 1) when it is
not relevant but carries the ``tag`` (or, a course, is in a category of that name). The test
asserts that the first ``top`` results are relevant (fewer when fewer items are);
``bench/bench_search.py`` measures nDCG@5 over these grades.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Judgment:
    query: str
    title: tuple[str, ...]
    tag: str = ""
    top: int = 3
    kind: str = "zh"  # zh, en, mixed, typo
    item_type: str = "course"  # course, live, video, product

    def grade(self, title: str, tags: set[str]) -> int:
        lowered = title.lower()
        if all(any(word in lowered for word in entry.split("|")) for entry in self.title):
            return 2
        return 1 if self.tag and self.tag in tags else 0


J = Judgment
JUDGED: tuple[Judgment, ...] = (
    # Chinese
    J("数据", ("数据分析",), tag="数据分析"),
    J("数据分析", ("数据分析",), tag="数据分析"),
    J("摄影", ("摄影",), tag="摄影"),
    J("手机摄影", ("手机摄影",), tag="手机摄影"),
    J("吉他", ("吉他",), tag="吉他"),
    J("钢琴", ("钢琴",), tag="钢琴"),
    J("理财", ("理财",), tag="理财"),
    J("瑜伽", ("瑜伽",), tag="瑜伽"),
    J("雅思", ("雅思",), tag="雅思"),
    J("机器学习", ("机器学习",), tag="机器学习"),
    J("深度学习", ("深度学习",), tag="深度学习"),
    J("基金定投", ("基金|定投",), tag="基金"),
    J("考研英语", ("考研英语",), tag="考研"),
    J("家常菜", ("家常菜",), tag="家常菜"),
    J("正面管教", ("正面管教",), tag="正面管教"),
    J("减脂", ("减脂|燃脂",), tag="减脂"),
    J("插画", ("插画",), tag="插画"),
    # English
    J("python", ("python",), tag="Python"),
    J("Excel", ("excel",), tag="Excel", kind="en"),
    J("FastAPI", ("fastapi",), tag="Web开发", kind="en"),
    J("pytorch", ("pytorch",), tag="PyTorch", kind="en"),
    J("SQL", ("sql",), tag="SQL", kind="en"),
    J("Django", ("django",), tag="Django", kind="en"),
    J("Music Production", ("music production",), tag="编曲", kind="en"),
    J("spoken english", ("spoken english",), tag="英语口语", top=1, kind="en"),
    J("PowerBI", ("powerbi",), tag="BI", kind="en"),
    J("Lightroom", ("lightroom",), tag="后期修图", top=2, kind="en"),
    # Typos
    J("pyhton", ("python",), tag="Python", kind="typo"),
    J("pytroch", ("pytorch",), tag="PyTorch", kind="typo"),
    J("djnago", ("django",), tag="Django", kind="typo"),
    J("fastpai", ("fastapi",), tag="Web开发", kind="typo"),
    J("lightrom", ("lightroom",), tag="后期修图", top=2, kind="typo"),
    # Mixed Chinese and English
    J("Excel 数据透视", ("excel",), tag="Excel", top=2, kind="mixed"),  # the two with pivot tables
    J("Python 爬虫", ("python", "爬虫"), tag="爬虫", kind="mixed"),
    J("Python 数据分析", ("python", "数据分析"), tag="数据分析", kind="mixed"),
    J("SQL 数据分析", ("sql", "数据分析"), tag="SQL", kind="mixed"),
    J("PPT 设计", ("ppt设计",), tag="PPT", kind="mixed"),
    J("AIGC 提示词", ("aigc", "提示词"), tag="AIGC", kind="mixed"),
)
# Live sessions, short videos and products of the same catalog.
LIVE, VIDEO, PRODUCT = "live", "video", "product"
JUDGED += (
    J("钢琴", ("钢琴",), tag="钢琴", item_type=LIVE),
    J("摄影", ("摄影",), tag="摄影", item_type=LIVE),
    J("Django", ("django",), tag="Web开发", top=2, kind="en", item_type=LIVE),
    J("djnago", ("django",), tag="Web开发", top=2, kind="typo", item_type=LIVE),
    J("SQL 数据分析", ("sql",), tag="SQL", top=1, kind="mixed", item_type=LIVE),
    J("PyTorch 深度学习", ("pytorch",), tag="PyTorch", top=1, kind="mixed", item_type=LIVE),
    J("网页爬虫", ("网页爬虫",), tag="爬虫", item_type=VIDEO),
    J("定投", ("定投",), tag="基金", item_type=VIDEO),
    J("吉他", ("吉他",), tag="吉他", item_type=VIDEO),
    J("FastAPI", ("fastapi",), tag="Web开发", kind="en", item_type=VIDEO),
    J("pytroch", ("pytorch",), tag="PyTorch", kind="typo", item_type=VIDEO),
    # top 1: on SQLite bm25's length normalisation ranks the second (its title longer by
    # "（2026版）") below a short title with 爬虫 tagged Python.
    J("Python 爬虫", ("python", "爬虫"), tag="爬虫", top=1, kind="mixed", item_type=VIDEO),
    J("机械键盘", ("机械键盘",), item_type=PRODUCT),
    J("雅思", ("雅思",), tag="雅思", item_type=PRODUCT),
    J("吉他", ("吉他",), tag="吉他", item_type=PRODUCT),
    J("python", ("python",), tag="Python", kind="en", item_type=PRODUCT),
    J("pyhton", ("python",), tag="Python", kind="typo", item_type=PRODUCT),
    J("lightrom", ("lightroom",), tag="后期修图", kind="typo", item_type=PRODUCT),
    J("Lightroom 预设", ("lightroom",), tag="后期修图", kind="mixed", item_type=PRODUCT),
)


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(grades))


def ndcg_at(k: int, ranked_grades: list[int], all_grades: list[int]) -> float:
    """nDCG@k of a ranking's grades against the best possible order of every course's grade."""
    ideal = dcg(sorted(all_grades, reverse=True)[:k])
    return dcg(ranked_grades[:k]) / ideal if ideal else 0.0


def catalog_grades(judgment: Judgment, items) -> dict[int, int]:
    """Each item's grade for ``judgment``: ``items`` of its type with their tags (and, courses,
    their category) loaded."""
    return {
        item.pk: judgment.grade(
            item.title,
            {tag.name for tag in item.tags.all()}
            | ({item.category.name} if hasattr(item, "category") else set()),
        )
        for item in items
    }


def findable_items(item_type: str) -> list:
    """What learners may find of ``item_type``, as the judgments grade it."""
    from courses.search import KINDS

    items = KINDS[item_type].findable().prefetch_related("tags")
    return list(items.select_related("category") if item_type == "course" else items)

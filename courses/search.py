"""Search over the catalog — courses, live sessions, short videos and products: segmentation,
one index for every type, and ranked, highlighted results.

**Segmentation.** Text is normalised (NFKC, lower case) and cut into terms by jieba — Chinese
into words, English and numbers into words as they are — with the catalog's own vocabulary (tag,
category and sub-category names) in jieba's user dictionary, so 数据透视 or Python基础 stay whole.
Documents are cut in jieba's search mode (a long word also gives its shorter words: 数据分析 gives
数据 and 分析 too); queries in its precise mode. The dictionary loads lazily, once per process.

**The index.** ``SearchDocument`` holds an item's terms per field, the same four for every type:
title (weight A); tags, category and instructor (B); subtitle and description (C); the context
(D: a course's lesson titles, the title of the course a live session or short video belongs to).
On PostgreSQL its ``vector`` is their weighted ``tsvector`` (the ``simple`` configuration over the
segmented text, a GIN index); on SQLite an FTS5 table holds the same columns. ``SearchTerm``
counts the documents each term was indexed for: typos are corrected against it (pg_trgm's
trigram index finds the candidates on PostgreSQL, then an edit distance with transpositions
picks one; on SQLite the edit distance runs over the terms of a similar length) and suggestions
complete from it.

The catalog's writes keep it current: ``courses.services`` (and so the admin) call
``search_index_after_commit`` with what they changed, and ``search_index_rebuild`` (``manage.py
search_index``, the demo's seeding) indexes everything.

**A query** searches one type. It is cut into terms; a term the index does not know is corrected
to the nearest known one, and a Chinese word the index never cut whole is looked for as its
parts. Items matching every term come first by relevance (ts_rank over the weights on
PostgreSQL, bm25 with the same weights on SQLite); when none has every term, those with any are
listed. Only what learners may see is found — published courses, live sessions not cancelled
(upcoming, live or with a replay), published short videos, products on sale — asked of the
items' own tables at each search (``findable``), within whatever filtered queryset the caller
passes. Ties in relevance go to a caller's ``tie_break`` (the recommender's scores, passed in by
the doors through ``recommendations.services.search``), then to the newest item.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.contrib.postgres.search import SearchVector
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.utils.safestring import SafeString, mark_safe

from courses.models import (
    Category,
    Chapter,
    Course,
    Instructor,
    Lesson,
    LiveSession,
    Product,
    SearchDocument,
    SearchTerm,
    ShortVideo,
    Tag,
)

SORTS = ("relevance", "newest", "popular", "price", "-price")
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
FTS_TABLE = "courses_search_fts"
# ts_rank's weights for D, C, B, A (context, description, tags, title); the same for bm25.
WEIGHTS = (0.1, 0.2, 0.4, 1.0)
STOPWORDS = frozenset(
    [
        *"的了和与及或在是为从到把被让给对用之也就都而着个这那一",
        *("a", "an", "and", "the", "of", "to", "in", "for", "on", "with", "or", "at", "by"),
        *("is", "are", "from", "how"),
    ]
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_RUN = re.compile(r"[\u3400-\u9fff]+|[^\W_\u3400-\u9fff]+")


# --- segmentation ------------------------------------------------------------------------------


class _Segmenter:
    """jieba's tokenizer of this process, with the catalog's vocabulary added once."""

    def __init__(self):
        self._tokenizer = None
        self._words: set[str] = set()
        self._lock = threading.Lock()

    def _loaded(self):
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba  # a second or so to load its dictionary: only when first needed

                    jieba.setLogLevel(60)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    self._tokenizer = tokenizer
                    self.add_words(catalog_vocabulary())
        return self._tokenizer

    def add_words(self, words: Iterable[str]) -> None:
        tokenizer = self._loaded()
        for word in words:
            word = normalise(word).strip()
            if word and word not in self._words and len(word) <= 40:
                self._words.add(word)
                tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False) + 1000)

    def cut(self, text: str, *, for_search: bool) -> list[str]:
        """The terms of ``text``: each run of letters and digits of a Latin (or other
        non-Chinese) script is one term; each run of Chinese characters is cut by jieba, in
        search mode with every shorter dictionary word inside a longer one as well."""
        tokenizer = self._loaded()
        terms = []
        for run in _RUN.findall(normalise(text)):
            if not _CJK.match(run):
                terms.append(run[:64])
                continue
            pieces = list(tokenizer.cut_for_search(run) if for_search else tokenizer.cut(run))
            if for_search:
                pieces += _inner(tokenizer, run)
            terms += [piece[:64] for piece in pieces if piece.strip()]
        return [term for term in terms if term not in STOPWORDS]

    def refresh(self) -> None:
        """Add the catalog's words as they are now (a rebuild of the index starts with it)."""
        if self._tokenizer is not None:
            self.add_words(catalog_vocabulary())
        else:
            self._loaded()


segmenter = _Segmenter()


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _inner(tokenizer, run: str) -> list[str]:
    """The dictionary words of four characters in a run of Chinese, wherever jieba cut it (its
    search mode gives the words of two and three inside the words it cut)."""
    return [run[i : i + 4] for i in range(len(run) - 3) if tokenizer.FREQ.get(run[i : i + 4])]


def catalog_vocabulary() -> list[str]:
    """The catalog's own words that must stay whole: tag and category names."""
    names = list(Tag.objects.values_list("name", flat=True))
    names += list(Category.objects.values_list("name", flat=True))
    return [name for name in names if _CJK.search(name)]


def document_terms(text: str) -> list[str]:
    return segmenter.cut(text, for_search=True)


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, in order, at most ``MAX_TERMS``."""
    seen: list[str] = []
    for term in segmenter.cut(text[:MAX_QUERY_LENGTH], for_search=False):
        if term not in seen:
            seen.append(term)
    return seen[:MAX_TERMS]


# --- the index ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemKind:
    """What search needs of one type of item: what learners may find (``findable``), the
    columns its sorts read, its popularity, and how a page of results is loaded."""

    model: type[models.Model]
    findable: Callable[[], models.QuerySet]
    newest: str  # the column "newest" sorts by
    price: str | None  # the column the price sorts read; None: the type has no price
    popularity: Callable[[list[int]], dict[int, int]]
    related: tuple[str, ...]  # what indexing reads with each item (select_related)
    shown: tuple[str, ...]  # what a page of results reads with each item (select_related)

    @property
    def sorts(self) -> tuple[str, ...]:
        return SORTS if self.price else tuple(s for s in SORTS if "price" not in s)


def _counts(model, relation: str, **filters):
    def popularity(ids: list[int]) -> dict[int, int]:
        counted = Count(relation, filter=Q(**filters)) if filters else Count(relation)
        return dict(model.objects.filter(pk__in=ids).annotate(n=counted).values_list("pk", "n"))

    return popularity


KINDS: dict[str, ItemKind] = {
    "course": ItemKind(
        model=Course,
        findable=lambda: Course.objects.published(),
        newest="published_at",
        price="price",
        popularity=_counts(Course, "enrollments"),
        related=("instructor", "category", "category__parent"),
        shown=("instructor", "category"),
    ),
    "live": ItemKind(
        model=LiveSession,
        findable=lambda: LiveSession.objects.findable(),
        newest="scheduled_start",
        price=None,
        popularity=_counts(LiveSession, "reservations", reservations__cancelled_at__isnull=True),
        related=("instructor", "course__category__parent"),
        shown=("instructor",),
    ),
    "video": ItemKind(
        model=ShortVideo,
        findable=lambda: ShortVideo.objects.published(),
        newest="published_at",
        price=None,
        popularity=lambda ids: dict(
            ShortVideo.objects.filter(pk__in=ids).values_list("pk", "like_count")
        ),
        related=("instructor", "course__category__parent"),
        shown=("instructor", "course"),
    ),
    "product": ItemKind(
        model=Product,
        findable=lambda: Product.objects.on_sale(),
        newest="created_at",
        price="price",
        popularity=_counts(Product, "order_lines", order_lines__order__paid_at__isnull=False),
        related=("instructor",),
        shown=("instructor",),
    ),
}


def item_type_of(item) -> str:
    """The search's name for the type of ``item`` (a course, live session, short video or
    product)."""
    return next(t for t, kind in KINDS.items() if isinstance(item, kind.model))


def _kind(item_type: str) -> ItemKind:
    try:
        return KINDS[item_type]
    except KeyError:
        raise ValueError(f"Unknown item type {item_type!r}: use one of {list(KINDS)}.") from None


def _fields_of(item, context: list[str]) -> dict[str, str]:
    """The four fields of an item's document: its title; its tags, instructor and category (a
    course's own, or that of the course a live session or short video belongs to); its subtitle
    and description; ``context``, the titles around it (lessons, or its course)."""
    tags = [tag.name for tag in item.tags.all()]
    words = [*tags, item.instructor.display_name]
    course = item if isinstance(item, Course) else getattr(item, "course", None)
    category = course.category if course else None
    if category:
        words.append(category.name)
        if category.parent_id:
            words.append(category.parent.name)
    segmenter.add_words(tags)
    text = f"{getattr(item, 'subtitle', '')}\n{getattr(item, 'description', '')}"
    return {
        "title": " ".join(document_terms(item.title)),
        "tags": " ".join(term for word in words for term in document_terms(word)),
        "description": _distinct(document_terms(text)),
        "context": _distinct(term for title in context for term in document_terms(title)),
    }


def _distinct(terms: Iterable[str]) -> str:
    """Each term once, in order, for the long fields: relevance comes from the field a term is
    in, not from how often a description repeats it (and the vectors stay small enough to rank
    quickly); a title or a tag saying a word twice still counts it twice."""
    return " ".join(dict.fromkeys(terms))


def _contexts(item_type: str, items: list) -> dict[int, list[str]]:
    if item_type == "course":
        titles: dict[int, list[str]] = {}
        lessons = Lesson.objects.filter(course_id__in=[i.pk for i in items])
        for course_id, title in lessons.values_list("course_id", "title"):
            titles.setdefault(course_id, []).append(title)
        return titles
    if item_type in ("live", "video"):
        return {item.pk: [item.course.title] for item in items if item.course_id}
    return {}


def search_index_items(item_type: str, ids: Iterable[int]) -> int:
    """Index (again) the items of ``item_type`` with these ids, and drop the documents of ids no
    longer in the catalog; returns how many were indexed."""
    kind = _kind(item_type)
    ids = sorted(set(ids))
    if not ids:
        return 0
    items = list(
        kind.model.objects.filter(pk__in=ids).select_related(*kind.related).prefetch_related("tags")
    )
    context = _contexts(item_type, items)
    documents = [
        SearchDocument(
            item_type=item_type, object_id=item.pk, **_fields_of(item, context.get(item.pk, []))
        )
        for item in items
    ]
    with transaction.atomic():
        mine = SearchDocument.objects.filter(item_type=item_type, object_id__in=ids)
        replaced = list(mine.values_list("pk", flat=True))
        mine.delete()
        SearchDocument.objects.bulk_create(documents, batch_size=500)  # sets their pks
        _vectors_write([d.pk for d in documents], deleted=replaced)
        _terms_count(documents)
    return len(documents)


def _vectors_write(indexed: list[int], *, deleted: list[int]) -> None:
    """The database's own index of the documents just written (``deleted``: ids replaced)."""
    if connection.vendor == "postgresql":
        SearchDocument.objects.filter(pk__in=indexed).update(
            vector=SearchVector("title", weight="A", config="simple")
            + SearchVector("tags", weight="B", config="simple")
            + SearchVector("description", weight="C", config="simple")
            + SearchVector("context", weight="D", config="simple")
        )
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            if deleted:
                marks = ", ".join(["%s"] * len(deleted))
                cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", deleted)
            if indexed:
                marks = ", ".join(["%s"] * len(indexed))
                cursor.execute(
                    f"INSERT INTO {FTS_TABLE} (rowid, title, tags, description, context) "
                    "SELECT id, title, tags, description, context "
                    f"FROM {SearchDocument._meta.db_table} WHERE id IN ({marks})",
                    indexed,
                )


def _terms_count(documents: list[SearchDocument]) -> None:
    """Add the documents' new terms to the vocabulary with the number of documents having them.
    A term already known keeps its count (an edit indexes an item again, which would count it
    twice); ``search_index_rebuild`` counts afresh."""
    counts: dict[str, int] = {}
    for document in documents:
        text = " ".join((document.title, document.tags, document.description, document.context))
        for term in set(text.split()):
            counts[term] = counts.get(term, 0) + 1
    SearchTerm.objects.bulk_create(
        [SearchTerm(term=t, documents=n) for t, n in counts.items()],
        batch_size=1000,
        ignore_conflicts=True,
    )


def search_index_rebuild() -> dict[str, int]:
    """Index every item of every type afresh and recount the vocabulary; returns how many
    items of each type were indexed."""
    segmenter.refresh()  # the catalog's words as they are now
    counts = {}
    with transaction.atomic():
        SearchDocument.objects.all().delete()
        SearchTerm.objects.all().delete()
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")
        for item_type, kind in KINDS.items():
            ids = list(kind.model.objects.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(ids), 500):
                search_index_items(item_type, ids[start : start + 500])
            counts[item_type] = len(ids)
    return counts


def search_index_build_if_missing(**kwargs) -> int:
    """After ``migrate``: a database holding a catalog but no index at all (one made before
    search existed or before it covered every type, or loaded by other means) is indexed, so
    search never starts empty; returns how many items were indexed. A database migrated back
    to before the index has no table for it: nothing to do."""
    if SearchDocument._meta.db_table not in connection.introspection.table_names():
        return 0
    if SearchDocument.objects.exists():
        return 0
    if not any(kind.model.objects.exists() for kind in KINDS.values()):
        return 0
    return sum(search_index_rebuild().values())


def items_affected_by(item) -> list[tuple[str, int]]:
    """The (type, id) of the items whose documents a change to ``item`` touches."""
    if isinstance(item, Course):
        return [
            ("course", item.pk),
            *(("live", pk) for pk in item.live_sessions.values_list("pk", flat=True)),
            *(("video", pk) for pk in item.short_videos.values_list("pk", flat=True)),
        ]
    if isinstance(item, Lesson | Chapter):
        return [("course", item.course_id)]
    for item_type, kind in KINDS.items():
        if isinstance(item, kind.model):
            return [(item_type, item.pk)]
    if isinstance(item, Instructor | Tag):
        owner = "instructor" if isinstance(item, Instructor) else "tags"
        return [
            (item_type, pk)
            for item_type, kind in KINDS.items()
            for pk in kind.model.objects.filter(**{owner: item}).values_list("pk", flat=True)
        ]
    if isinstance(item, Category):
        courses = list(
            Course.objects.filter(
                category__in=[item.pk, *item.children.values_list("pk", flat=True)]
            ).values_list("pk", flat=True)
        )
        return [
            *(("course", pk) for pk in courses),
            *(
                ("live", pk)
                for pk in LiveSession.objects.filter(course__in=courses).values_list(
                    "pk", flat=True
                )
            ),
            *(
                ("video", pk)
                for pk in ShortVideo.objects.filter(course__in=courses).values_list("pk", flat=True)
            ),
        ]
    return []


def _index_now(keys: set[tuple[str, int]]) -> None:
    for item_type in KINDS:
        search_index_items(item_type, [pk for t, pk in keys if t == item_type])


def search_index_after_commit(items: Iterable) -> None:
    """Index the items that ``items`` (rows just saved or about to be deleted) touch, once the
    current transaction commits (so an item's tags, saved after it by the admin, are in), at
    once outside one."""
    keys = {key for item in items for key in items_affected_by(item)}
    if keys:
        transaction.on_commit(partial(_index_now, keys))


# --- queries -----------------------------------------------------------------------------------


@dataclass
class Analysis:
    """A query as searched: each term with what it may match (itself, its correction or its
    parts); ``corrected`` is the query with corrections applied, when there were any."""

    terms: list[str]
    alternatives: list[list[list[str]]]  # per term: options, each an AND of terms
    corrected: str = ""

    @property
    def matched_words(self) -> list[str]:
        words = {w for options in self.alternatives for option in options for w in option}
        return sorted(words, key=len, reverse=True)


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Edit distance counting a swap of neighbours as one edit; ``limit + 1`` once above it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_edits(term: str) -> int:
    return 0 if len(term) < 4 else 1 if len(term) < 7 else 2


def _correction(term: str) -> str | None:
    """The known term nearest to an unknown one, or None: fewest edits, then most documents."""
    limit = _allowed_edits(term)
    if not limit or _CJK.search(term):
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_limit(0.2)")
            cursor.execute(
                f"SELECT term, documents FROM {SearchTerm._meta.db_table} WHERE term %% %s",
                [term],
            )
            candidates = cursor.fetchall()
    else:
        candidates = SearchTerm.objects.filter(
            term__regex=r"^[a-z0-9]+$",
        ).values_list("term", "documents")
        candidates = [(t, n) for t, n in candidates if abs(len(t) - len(term)) <= limit]
    scored = [
        (distance, -documents, candidate)
        for candidate, documents in candidates
        if (distance := _osa_distance(term, candidate, limit)) <= limit
    ]
    return min(scored)[2] if scored else None


def analyse(query: str) -> Analysis:
    """The query's terms and what each may match (one query for the known terms)."""
    terms = query_terms(query)
    known = set(SearchTerm.objects.filter(term__in=terms).values_list("term", flat=True))
    alternatives, corrected, changed = [], [], False
    for term in terms:
        if term in known:
            alternatives.append([[term]])
            corrected.append(term)
            continue
        parts = [p for p in segmenter.cut(term, for_search=True) if p != term]
        if _CJK.search(term) and parts:
            part_known = set(
                SearchTerm.objects.filter(term__in=parts).values_list("term", flat=True)
            )
            if part_known:
                alternatives.append([[term], sorted(part_known)])
                corrected.append(term)
                continue
        fixed = _correction(term)
        if fixed:
            alternatives.append([[term], [fixed]])
            corrected.append(fixed)
            changed = True
        else:
            alternatives.append([[term]])
            corrected.append(term)
    return Analysis(terms, alternatives, " ".join(corrected) if changed else "")


def _tsquery(groups: list[list[list[str]]], *, any_term: bool, prefix_last: bool) -> str:
    def lexeme(word: str, prefix: bool) -> str:
        return "'" + word.replace("'", "") + "'" + (":*" if prefix else "")

    parts = []
    for n, options in enumerate(groups):
        prefix = prefix_last and n == len(groups) - 1
        ors = [" & ".join(lexeme(w, prefix) for w in option) for option in options]
        parts.append("(" + " | ".join(f"({o})" for o in ors) + ")")
    return (" | " if any_term else " & ").join(parts)


def _fts_query(groups: list[list[list[str]]], *, any_term: bool, prefix_last: bool) -> str:
    def phrase(word: str, prefix: bool) -> str:
        return '"' + word.replace('"', "") + '"' + ("*" if prefix else "")

    parts = []
    for n, options in enumerate(groups):
        prefix = prefix_last and n == len(groups) - 1
        ors = [" AND ".join(phrase(w, prefix) for w in option) for option in options]
        parts.append("(" + " OR ".join(f"({o})" for o in ors) + ")")
    return (" OR " if any_term else " AND ").join(parts)


@dataclass(frozen=True)
class Match:
    item_type: str
    object_id: int
    relevance: float
    published: float  # the time "newest" sorts by, as a timestamp (0 when not read)
    price: float


def _matches(
    groups,
    scopes: dict[str, models.QuerySet | None],
    *,
    any_term: bool,
    prefix_last: bool = False,
    limit: int | None = None,
) -> list[Match]:
    """The findable items of the types in ``scopes`` (each within its queryset; all, for None)
    that match, best first, with what sorts them (read for one type only). One query, written
    out: it runs on every search and keystroke, and its ORM form costs more to build than to
    run."""
    if not groups:
        return []
    conditions, params = [], []
    for item_type, within in scopes.items():
        findable = _kind(item_type).findable()
        if within is not None:
            findable = findable.filter(pk__in=within.order_by().values("pk"))
        scope, scope_params = findable.order_by().values("pk").query.sql_with_params()
        conditions.append(f"(d.item_type = %s AND d.object_id IN ({scope}))")
        params += [item_type, *scope_params]
    documents = SearchDocument._meta.db_table
    sorted_by, joined = "NULL, NULL", ""
    if len(scopes) == 1:  # one type: its columns for the sorts
        kind = _kind(next(iter(scopes)))
        sorted_by = f"o.{kind.newest}, {'o.' + kind.price if kind.price else 'NULL'}"
        joined = f" JOIN {kind.model._meta.db_table} o ON o.id = d.object_id"
    where = " OR ".join(conditions)
    tail = f" LIMIT {int(limit)}" if limit else ""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT d.item_type, d.object_id, ts_rank(%s::float4[], d.vector, q.q) AS rank, "
            f"{sorted_by} FROM {documents} d{joined}, to_tsquery('simple', %s) AS q(q) "
            f"WHERE d.vector @@ q.q AND ({where}) ORDER BY rank DESC, d.id{tail}"
        )
        query = _tsquery(groups, any_term=any_term, prefix_last=prefix_last)
        params = [list(WEIGHTS), query, *params]
    else:
        weights = ", ".join(str(w) for w in reversed(WEIGHTS))  # title, tags, desc, context
        sql = (
            f"SELECT d.item_type, d.object_id, -bm25({FTS_TABLE}, {weights}) AS rank, "
            f"{sorted_by} FROM {FTS_TABLE} f JOIN {documents} d ON d.id = f.rowid{joined} "
            f"WHERE {FTS_TABLE} MATCH %s AND ({where}) ORDER BY rank DESC, d.id{tail}"
        )
        params = [_fts_query(groups, any_term=any_term, prefix_last=prefix_last), *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Match(item_type, pk, float(rank), _timestamp(at), float(price or 0))
        for item_type, pk, rank, at, price in rows
    ]


def _timestamp(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # SQLite read without the ORM
        value = datetime.fromisoformat(value)
    return value.timestamp()


@dataclass
class SearchHit:
    item: Course | LiveSession | ShortVideo | Product
    item_type: str
    relevance: float
    title_html: SafeString
    snippet_html: SafeString


@dataclass
class SearchPage:
    query: str
    sort: str
    count: int
    number: int
    page_size: int
    item_type: str = "course"
    hits: list[SearchHit] = field(default_factory=list)
    corrected: str = ""  # "did you mean": the query with its typos corrected, if any
    all_terms: bool = True  # False when no item had every term and any term was enough

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def sorts(self) -> tuple[str, ...]:
        """The sorts this type offers (no price for live sessions and short videos)."""
        return _kind(self.item_type).sorts


def highlight(text: str, words: list[str]) -> SafeString:
    """``text`` escaped, with each occurrence of ``words`` (any case) marked."""
    words = [w for w in words if len(w) > 1 or _CJK.search(w)]
    if not words or not text:
        return mark_safe(html.escape(text or ""))  # escaped
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    normal = normalise(text)
    same_length = len(normal) == len(text)
    for found in pattern.finditer(normal if same_length else text):
        out.append(html.escape(text[last : found.start()]))
        out.append(f"<mark>{html.escape(text[found.start() : found.end()])}</mark>")
        last = found.end()
    out.append(html.escape(text[last:]))
    return mark_safe("".join(out).replace("</mark><mark>", ""))  # every piece escaped


def _snippet(text: str, words: list[str], width: int = 60) -> str:
    text = " ".join((text or "").split())
    lowered = normalise(text)
    positions = [p for w in words if (p := lowered.find(w)) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def _order(
    matches: list[Match],
    sort: str,
    popularity: Callable[[list[int]], dict[int, int]],
    tie_break: Callable[[list[int]], dict[int, float]] | None,
) -> list[int]:
    """The matched ids in the order ``sort`` asks; relevance (to six significant digits, so
    equal ranks tie) breaks the other sorts' ties, and ``tie_break``'s scores relevance's."""
    relevance = {m.object_id: float(f"{m.relevance:.6g}") for m in matches}
    if sort == "newest":
        key = lambda m: (-m.published, -relevance[m.object_id], -m.object_id)  # noqa: E731
    elif sort in ("price", "-price"):
        sign = 1 if sort == "price" else -1
        key = lambda m: (sign * m.price, -relevance[m.object_id], -m.object_id)  # noqa: E731
    elif sort == "popular":
        counts = popularity(list(relevance))
        key = lambda m: (  # noqa: E731
            -counts.get(m.object_id, 0),
            -relevance[m.object_id],
            -m.published,
            -m.object_id,
        )
    else:
        scores: dict[int, float] = {}
        if tie_break is not None and len(set(relevance.values())) < len(relevance):
            scores = tie_break(list(relevance))
        key = lambda m: (  # noqa: E731
            -relevance[m.object_id],
            -scores.get(m.object_id, float("-inf")),
            -m.published,
            -m.object_id,
        )
    return [m.object_id for m in sorted(matches, key=key)]


def item_search(
    *,
    query: str,
    item_type: str = "course",
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 12,
    within=None,
    tie_break: Callable[[list[int]], dict[int, float]] | None = None,
) -> SearchPage:
    """One page of the findable items of ``item_type`` (course, live, video or product)
    matching ``query`` (within ``within``, a queryset of that type, if given), ordered by
    ``sort`` (one of the type's ``sorts``); a page past the last gives the last."""
    kind = _kind(item_type)
    if sort not in kind.sorts:
        raise ValueError(f"Unknown sort {sort!r} for {item_type}: use one of {list(kind.sorts)}.")
    analysis = analyse(query)
    scope = {item_type: within}
    ranked = _matches(analysis.alternatives, scope, any_term=False)
    all_terms = True
    if not ranked and len(analysis.alternatives) > 1:
        ranked, all_terms = _matches(analysis.alternatives, scope, any_term=True), False
    result = SearchPage(
        query=query,
        sort=sort,
        count=len(ranked),
        number=1,
        page_size=page_size,
        item_type=item_type,
        corrected=analysis.corrected,
        all_terms=all_terms,
    )
    result.number = min(max(1, page), result.pages)
    order = _order(ranked, sort, kind.popularity, tie_break)
    shown = order[(result.number - 1) * page_size : result.number * page_size]
    relevance = {m.object_id: m.relevance for m in ranked}
    items = kind.model.objects.filter(pk__in=shown).select_related(*kind.shown)
    by_id = {item.pk: item for item in items}
    words = analysis.matched_words
    result.hits = [
        SearchHit(
            item=by_id[pk],
            item_type=item_type,
            relevance=relevance[pk],
            title_html=highlight(by_id[pk].title, words),
            snippet_html=highlight(_snippet(_snippet_text(by_id[pk]), words), words),
        )
        for pk in shown
        if pk in by_id
    ]
    return result


def _snippet_text(item) -> str:
    """What a result's snippet is cut from: a subtitle, else a description (a short video has
    neither: the title of its course)."""
    text = getattr(item, "subtitle", "") or getattr(item, "description", "")
    if not text and isinstance(item, ShortVideo) and item.course_id:
        return item.course.title
    return text


@dataclass
class Suggestion:
    text: str
    item: Course | LiveSession | ShortVideo | Product | None = None  # its title completes
    item_type: str = ""


SUGGESTED_PER_OTHER_TYPE = 2  # the titles of live sessions, videos and products among courses'


def search_suggestions(*, prefix: str, limit: int = 8) -> list[Suggestion]:
    """What the search box offers while the learner types ``prefix``: titles of the best
    findable items matching it (its last term as a prefix; of any type, at most
    ``SUGGESTED_PER_OTHER_TYPE`` of each type but courses, each title once), then known terms
    completing it."""
    terms = query_terms(prefix)
    if not terms:
        return []
    groups = [[[term]] for term in terms]
    scopes = dict.fromkeys(KINDS)
    ranked = _matches(groups, scopes, any_term=False, prefix_last=True, limit=limit * 3)
    taken: list[Match] = []
    for match in ranked:
        same = sum(1 for m in taken if m.item_type == match.item_type)
        if match.item_type == "course" or same < SUGGESTED_PER_OTHER_TYPE:
            taken.append(match)
    by_key = {}
    for item_type, kind in KINDS.items():
        ids = [m.object_id for m in taken if m.item_type == item_type]
        if ids:
            for item in kind.model.objects.filter(pk__in=ids).only("pk", "title", "slug"):
                by_key[item_type, item.pk] = item
    found, titles = [], set()
    for match in taken:
        item = by_key.get((match.item_type, match.object_id))
        if item is not None and item.title not in titles:
            titles.add(item.title)
            found.append(Suggestion(text=item.title, item=item, item_type=match.item_type))
    found = found[:limit]
    head = " ".join(terms[:-1])
    completions = (
        SearchTerm.objects.filter(term__startswith=terms[-1])
        .exclude(term=terms[-1])
        .order_by("-documents", "term")
        .values_list("term", flat=True)[: max(0, limit - len(found))]
    )
    found += [Suggestion(text=f"{head} {term}".strip()) for term in completions]
    return found[:limit]

"""The home page, rendered once and served from the cache.

The recommender is never on the request path of a warm home page. Sections are rendered to HTML
and cached:

- **shared** (offers, live now and upcoming, short videos, trending): the same for everyone, one
  entry per language and active model version, for ``SHARED_SECONDS``; except 即将开播 for a
  learner who follows an instructor with an upcoming session: theirs come first, in the
  learner's own entry (below; a follow or an unfollow changes the learner's version);
- **anonymous recommendations** (what signed-out visitors see, labelled non-personalised): one
  entry per language and model version, for ``SHARED_SECONDS``;
- **a learner's own sections** ("continue learning" with progress, and the courses, products,
  short videos and live sessions recommended to them, or the non-personalised lists when they
  switched personalisation off; the video and live rails are shown only when personalised):
  one entry per learner, language, model version and *learner version*, for
  ``PERSONAL_SECONDS``. The learner version (``accounts.versions``) changes whenever a service
  changes what the learner is shown (saved lesson progress, enrolling, buying, declared
  interests, the personalisation switch, a deleted tag, cleared history, "not interested"),
  through whichever door: the next home page shows the change at once.

The whole page around them (header, footer) is cached too, one entry per learner (or one for
signed-out visitors) and language, until the first of its sections goes stale. The entry
remembers what of the request it was rendered for (the account's name, staff flag and whether it
is new, the learner's version, the number of items in the cart, the path), and a request that
differs, or that has messages to show, renders the page again. A warm home page costs one cache
round trip for the session, the signed-in account, the learner's version and the page together
(``accounts.backends.request_user_and``; two when the browser does not hold the account hint
cookie the home page sets), and no database query.

Keys carry the active model version, so promoting a new model retires every cached list at once.
Every section goes stale at the latest when a course's price next changes by the clock (a
time-limited discount starts or ends: ``courses.pricing.price_changes_after``), so a cached page
shows the price in force.
Cache faults are logged and the page is rendered directly (``config.cache``).
The page is cached encoded, in pieces cut at the placeholder where each visitor's CSRF token goes;
``home_page`` joins them with the request's token.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language

from accounts.backends import request_user_and
from accounts.versions import learner_version_from, learner_version_key
from commerce.campaigns import campaigns_running
from commerce.cart import cart_count
from commerce.selectors import continue_learning_for, live_reserved_ids
from config.cache import cache_get_many, cache_set, cache_set_many
from courses import selectors
from courses.pricing import price_changes_after
from recommendations.services.experiments import running_experiments
from recommendations.services.serving import active_model_summary, recommendations_for
from social.selectors import upcoming_lives_followed_first

SHARED_SECONDS = 120
PERSONAL_SECONDS = 300
RECOMMENDED_COURSES = 8
RECOMMENDED_PRODUCTS = 6
TRENDING = 10
CONTINUE_LEARNING = 4
OFFERS = 8
# Where each visitor's CSRF token goes in the cached page. It holds NUL characters, which no
# content can: Django's and DRF's text fields refuse them, and PostgreSQL cannot store them.
CSRF_PLACEHOLDER = "\x00csrf-token\x00"
SHORT_VIDEOS = 8
RECOMMENDED_LIVES = 4


@dataclass(frozen=True)
class HomeSections:
    """Rendered HTML of the cached sections, and when the first of them goes stale."""

    personal: str
    shared: str
    live: str  # 正在直播 / 即将开播: the learner's own when they follow someone, else everyone's
    expires_at: float  # time.time()


VERSION_MEMO_SECONDS = 5.0
_version_memo: list = [0.0, "0"]  # [read at (monotonic), version]


def _version() -> str:
    """The active model version and the running experiments' token, remembered in the process
    for a few seconds: they change once per training run or experiment change, and reading
    them costs a cache round trip on every home page otherwise. A learner's sections are cached
    under them, so the variant of an experiment that starts or stops shows within seconds."""
    now = time.monotonic()
    if now - _version_memo[0] > VERSION_MEMO_SECONDS:
        active = active_model_summary()
        running = running_experiments()
        stamp = f"{active['pk'] if active else 0}"
        _version_memo[:] = [now, f"{stamp}x{running.token}" if running.experiments else stamp]
    return _version_memo[1]


KEY_PREFIX = "home:7"  # the seventh form: offers, and the rails picked per learner


def _personal_key(user_id: int, learner_version: str, version: str, language: str) -> str:
    return f"{KEY_PREFIX}:v{version}:u{user_id}:{learner_version}:{language}"


def _shared_key(version: str, language: str) -> str:
    return f"{KEY_PREFIX}:v{version}:shared:{language}"


def _anonymous_key(version: str, language: str) -> str:
    return f"{KEY_PREFIX}:v{version}:anonymous:{language}"


def _page_key(user_id: int | None, version: str, language: str) -> str:
    owner = "anonymous" if user_id is None else f"u{user_id}"
    return f"{KEY_PREFIX}:v{version}:page:{owner}:{language}"


def _render_live(live_now, upcoming) -> str:
    return render_to_string(
        "courses/home/_live.html",
        {
            "live_now": live_now,
            "upcoming": upcoming,
            "back": reverse("web:home"),  # where "remind me" comes back to
            "csrf_token": CSRF_PLACEHOLDER,
        },
    )


def _render_personal_live(user) -> str:
    """The live rail with the instructors the learner follows first; "" when they follow
    nobody with an upcoming session (everyone's rail applies)."""
    upcoming = upcoming_lives_followed_first(user=user)
    if upcoming is None:
        return ""
    live_now, _upcoming = selectors.live_now_and_upcoming()
    return _render_live(live_now, upcoming)


def _render_personal(user) -> tuple[str, str]:
    courses = recommendations_for(user=user, item_type="course", slot="home", k=RECOMMENDED_COURSES)
    products = recommendations_for(
        user=user, item_type="product", slot="home_products", k=RECOMMENDED_PRODUCTS
    )
    # Short videos and live sessions picked by the model chosen for each type; shown only when
    # picked for the learner (otherwise the shared trending rails are the same lists).
    videos = recommendations_for(user=user, item_type="video", slot="home_videos", k=SHORT_VIDEOS)
    lives = recommendations_for(user=user, item_type="live", slot="home_live", k=RECOMMENDED_LIVES)
    html = render_to_string(
        "courses/home/_personal.html",
        {
            "continue_learning": continue_learning_for(user=user, limit=CONTINUE_LEARNING),
            "courses": courses,
            "products": products,
            "videos": videos if _personal(videos) else None,
            "lives": lives if _personal(lives) else None,
            "back": reverse("web:home"),  # where "remind me" comes back to
            # The learner's reserved sessions, for the live cards of the whole page (those in
            # the shared sections too); reserving changes their version, so this is re-rendered.
            "reserved_lives": live_reserved_ids(user=user),
            "csrf_token": CSRF_PLACEHOLDER,
        },
    )
    return html, _render_personal_live(user)


def _personal(result) -> bool:
    """Picked for this learner (by the model, a fold-in or their declared interests), not the
    trending list every visitor sees in the shared rails."""
    return result.personalised and result.source != "trending"


def _render_shared() -> tuple[str, str]:
    live, upcoming = selectors.live_now_and_upcoming()
    trending = recommendations_for(
        user=AnonymousUser(), item_type="course", slot="trending", k=TRENDING
    )
    html = render_to_string(
        "courses/home/_shared.html",
        {
            "videos": selectors.short_video_feed(limit=SHORT_VIDEOS),
            "trending": trending,
            "campaigns": campaigns_running(limit=OFFERS),
            "csrf_token": CSRF_PLACEHOLDER,
        },
    )
    return html, _render_live(live, upcoming)


def _fresh_until(now: float, seconds: int) -> float:
    """When a section rendered at ``now`` goes stale: after ``seconds``, or when a course's
    price next changes by the clock (a discount starts or ends), whichever comes first, so the
    cached page never shows a price that is no longer the one in force."""
    change = price_changes_after()
    return min(now + seconds, change.timestamp()) if change else now + seconds


def home_sections(*, user, learner_version: str | None = None) -> HomeSections:
    """The cached sections of the home page for ``user``, rendering what the cache lacks; their
    forms hold ``CSRF_PLACEHOLDER``. ``learner_version`` is the signed-in learner's version when
    the caller read it already; without one (the cache away) their sections are not cached."""
    version, language = _version(), get_language()
    if user.is_authenticated:
        if learner_version is None:
            learner_version = learner_version_from(
                cache_get_many([learner_version_key(user.pk)]), user.pk
            )
        rec_key = (
            _personal_key(user.pk, learner_version, version, language)
            if learner_version is not None
            else None
        )
        rec_seconds = PERSONAL_SECONDS
    else:
        rec_key, rec_seconds = _anonymous_key(version, language), SHARED_SECONDS
    shared_key = _shared_key(version, language)
    now = time.time()
    cached = {
        key: entry
        for key, entry in cache_get_many([k for k in (rec_key, shared_key) if k]).items()
        if entry[0] > now  # the cache's own expiry counts whole seconds
    }
    if rec_key not in cached:
        cached[rec_key] = (_fresh_until(now, rec_seconds), *_render_personal(user))
        if rec_key is not None:
            cache_set_many({rec_key: cached[rec_key]}, rec_seconds)
    if shared_key not in cached:
        cached[shared_key] = (_fresh_until(now, SHARED_SECONDS), *_render_shared())
        cache_set_many({shared_key: cached[shared_key]}, SHARED_SECONDS)
    personal_expiry, personal, personal_live = cached[rec_key]
    shared_expiry, shared, shared_live = cached[shared_key]
    return HomeSections(
        personal,
        shared,
        live=personal_live or shared_live,
        expires_at=min(personal_expiry, shared_expiry),
    )


def _keys_for(user_id: int | None, version: str, language: str, cacheable: bool) -> list[str]:
    keys = [_page_key(user_id, version, language)] if cacheable else []
    if user_id is not None:
        keys.append(learner_version_key(user_id))
    return keys


def home_page(request) -> bytes:
    """The home page for ``request``, encoded: from the cache when it was rendered for the same
    learner version, language, cart and path and is still fresh, else rendered (and cached)."""
    version, language = _version(), get_language()
    cacheable = not get_messages(request)  # messages are shown once: never from the cache
    # The page's entry and the learner's version come in the round trip that reads the session
    # and the account.
    user, found = request_user_and(
        request, lambda user_id: _keys_for(user_id, version, language, cacheable)
    )
    learner_version = learner_version_from(found, user.pk) if user.is_authenticated else ""
    key = _page_key(user.pk, version, language)
    cached = found.get(key)
    seen = (
        user.get_username(),
        user.is_staff,
        user.is_authenticated and user.is_first_visit,  # the greeting
        learner_version,
        cart_count(request.session),
        request.get_full_path(),
    )
    if cached is not None and cached[1] == seen and cached[0] > time.time():
        pieces = cached[2]
    else:
        sections = home_sections(user=user, learner_version=learner_version)
        # The context's token overrides the context processor's.
        context = {"sections": sections, "csrf_token": CSRF_PLACEHOLDER}
        html = render_to_string("courses/home.html", context, request)
        pieces = html.encode(settings.DEFAULT_CHARSET).split(CSRF_PLACEHOLDER.encode())
        seconds = int(sections.expires_at - time.time())
        if cacheable and seconds > 0 and learner_version is not None:
            cache_set(key, (sections.expires_at, seen, pieces), seconds)
    return get_token(request).encode().join(pieces)

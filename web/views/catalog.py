"""The pages of the catalog: home, browse and search, courses and their lessons, live sessions,
short videos, products and instructors.

Each view parses the request, calls the selectors it needs and renders; the rules live in
``courses.selectors``, ``commerce.selectors`` and the recommender's services, which the API
calls too.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import render

from accounts.backends import account_hint_keep
from commerce import selectors as commerce_selectors
from courses import live as live_streams
from courses import selectors
from courses.audio import AUDIO_TYPES
from courses.media import media_playback
from recommendations.services.events import event_record
from recommendations.services.feed import InvalidFeedCursor, video_feed_page
from recommendations.services.related import bought_together_for, similar_items_for
from recommendations.services.search import catalog_search_for
from social import selectors as social_selectors
from web.forms import BrowseForm, CheckoutForm, CheckoutItemsForm, ReviewForm, ReviewReplyForm
from web.home import home_page
from web.media import ranged_file_response
from web.views.live import stream_urls

PAGE_SIZE = 12
FEED_PAGE_SIZE = 20
REVIEWS_SHOWN = 20


def _record_view(request, object_type: str, object_id: int) -> None:
    event_record(
        user=request.user,
        visitor_id=getattr(request, "visitor_id", ""),
        event_type="view",
        object_type=object_type,
        object_id=object_id,
        page=request.resolver_match.url_name,
    )


def _with_instructors(*lists):
    """Load the instructors of recommended items (shown on their cards) in one query."""
    prefetch_related_objects([rec.object for found in lists for rec in found.items], "instructor")
    return lists


def home(request):
    response = HttpResponse(home_page(request))
    account_hint_keep(request, response)  # the next home page reads ahead for this account
    return response


def _page_number(raw) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1


def browse(request):
    form = BrowseForm(request.GET)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "filters": filters, "query_string": query.urlencode()}
    if filters["query"]:
        # Every type is searched by relevance over the search index, within the other filters.
        item_type = filters["item_type"]
        context["search"] = catalog_search_for(
            user=request.user,
            visitor_id=getattr(request, "visitor_id", ""),
            query=filters["query"],
            item_type=item_type,
            sort=form.sort_choice(item_type),
            page=_page_number(request.GET.get("page")),
            page_size=PAGE_SIZE,
            within=selectors.catalog_search(**{**filters, "query": ""}),
        )
        query.pop("sort", None)
        context["sortless_query_string"] = query.urlencode()
    else:
        context["page"] = Paginator(selectors.catalog_search(**filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    if filters["item_type"] == "live":
        context["reserved_lives"] = commerce_selectors.live_reserved_ids(user=request.user)
    return render(request, "courses/browse.html", {**context, **selectors.catalog_facets()})


def course_detail(request, slug):
    course = selectors.course_page(slug=slug)
    _record_view(request, "course", course.pk)
    return course_page_render(request, course)


def course_page_render(request, course, *, review_form=None, status=200):
    """The course page; with ``review_form``, a review the learner sent back with its errors."""
    owned = commerce_selectors.course_enrolled(user=request.user, course_id=course.pk)
    own_review = social_selectors.review_of(user=request.user, course_id=course.pk)
    if review_form is None and owned:
        initial = {"rating": own_review.rating, "text": own_review.text} if own_review else None
        review_form = ReviewForm(initial=initial)
    similar, also_courses, also_products = _with_instructors(
        similar_items_for(item_type="course", object_id=course.pk, k=4),
        bought_together_for(item_type="course", object_id=course.pk, k=4),
        bought_together_for(item_type="course", object_id=course.pk, target_type="product", k=4),
    )
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "owned": owned,
            "reviews": social_selectors.reviews_for_course(course_id=course.pk)[:REVIEWS_SHOWN],
            "own_review": own_review,
            "review_form": review_form,
            "reply_form": ReviewReplyForm(),
            "is_course_instructor": request.user.is_authenticated
            and course.instructor.user_id == request.user.pk,
            "following": social_selectors.instructor_followed_by(
                user=request.user, instructor_id=course.instructor_id
            ),
            "similar": similar,
            "also_courses": also_courses,
            "also_products": also_products,
            "products": selectors.products_for_course(course=course),
            "checkout": CheckoutForm.for_items([("course", course.pk, 1)]),
            "coupon_url": CheckoutItemsForm.confirm_url(
                [("course", course.pk, 1)], back=request.path
            ),
        },
        status=status,
    )


def lesson_player(request, lesson_id):
    lesson = selectors.lesson_for_player(lesson_id=lesson_id)
    lessons = list(lesson.course.lessons.all())
    progress_by_lesson = commerce_selectors.lesson_progress_by_lesson(
        user=request.user, lessons=lessons
    )
    can_watch = commerce_selectors.lesson_access_for(user=request.user, lesson=lesson)
    return render(
        request,
        "courses/lesson.html",
        {
            "lesson": lesson,
            "course": lesson.course,
            "can_watch": can_watch,
            "playback": can_watch
            and media_playback(
                asset=lesson.media, user=request.user, paid=not lesson.is_free_preview
            ),
            "lessons": [(item, progress_by_lesson.get(item.pk)) for item in lessons],
            "progress": progress_by_lesson.get(lesson.pk),
        },
    )


def lesson_audio(request, lesson_id):
    """The audio of an audio lesson, for learners who may listen to it (403 for the others):
    the files are not public media."""
    lesson = selectors.lesson_for_player(lesson_id=lesson_id)
    if lesson.kind != lesson.Kind.AUDIO or not lesson.audio:
        raise Http404("No audio.")
    if not commerce_selectors.lesson_access_for(user=request.user, lesson=lesson):
        return HttpResponse(status=403)
    extension = lesson.audio.name.rsplit(".", 1)[-1].lower()
    content_type = AUDIO_TYPES.get(extension, "application/octet-stream")
    return ranged_file_response(request, lesson.audio, content_type=content_type)


def live_detail(request, slug):
    detail = selectors.live_session_detail(slug=slug)
    live = detail.live_session
    _record_view(request, "live", live.pk)
    stream = live_streams.live_stream_state(live_session=live)
    # The site's own stream (from the ingest server or the demo broadcaster) once it has one;
    # until then a stream on a video host, if the session names one.
    external = bool(live.stream_url) and not stream.playlist and live.status == "live"
    is_instructor = request.user.is_authenticated and live.instructor.user_id == request.user.pk
    return render(
        request,
        "courses/live.html",
        {
            "live": live,
            # Digital products are bought in one tap (the price is on the button); physical
            # ones go to the confirmation page, which asks where to deliver them.
            "stream": stream,
            "stream_state": "live" if external else stream.state,
            "external_stream": external,
            **stream_urls(live),
            "ingest_server": live_streams.ingest_server() if is_instructor else "",
            "shelf": [
                (
                    offer,
                    CheckoutForm.for_items(
                        [("product", offer.item.product_id, 1)], live_id=live.pk
                    ),
                    CheckoutItemsForm.confirm_url(
                        [("product", offer.item.product_id, 1)],
                        live_id=live.pk,
                        back=request.get_full_path(),
                    ),
                )
                for offer in detail.shelf
            ],
            "reserved": commerce_selectors.live_reserved_by(user=request.user, live_session=live),
            # The live room (chat, danmaku, likes, viewers) over WebSocket: static/js/live-room.js
            "room_url": f"/ws/lives/{live.pk}/",
            "message_max_length": settings.LIVEROOM_MESSAGE_MAX_LENGTH,
            "runs_room": is_instructor or request.user.is_superuser,
        },
    )


def video_feed(request):
    # A signed-in learner's feed starts with the videos the model picked for them (with the
    # reason); everyone else, and anyone with personalisation off, gets the newest first. The
    # page ends with a link to the next one, which static/js/feed.js follows as the learner
    # scrolls near it, appending its videos.
    try:
        page = video_feed_page(
            user=request.user,
            cursor=request.GET.get("cursor", ""),
            size=FEED_PAGE_SIZE,
            first_slug=request.GET.get("v", ""),
        )
    except InvalidFeedCursor:
        raise Http404("No such page of the feed.") from None
    videos = page.videos
    ids = [video.pk for video in videos]
    liked = social_selectors.videos_liked_by(user=request.user, video_ids=ids)
    comments = social_selectors.comments_for_feed(video_ids=ids)
    for video in videos:  # short videos are free: addresses for anyone
        video.playback = media_playback(asset=video.media, user=request.user, paid=False)
        video.liked = video.pk in liked
        video.top_comments = comments[video.pk]
    return render(
        request,
        "courses/videos.html",
        {
            "videos": videos,
            "next_url": f"?{urlencode({'cursor': page.next_cursor})}" if page.next_cursor else "",
            "request_id": page.request_id or "",
        },
    )


def product_detail(request, slug):
    product = selectors.product_page(slug=slug)
    _record_view(request, "product", product.pk)
    return render(
        request,
        "courses/product.html",
        {
            "product": product,
            "also": _with_instructors(
                bought_together_for(item_type="product", object_id=product.pk, k=4)
            )[0],
            "checkout": CheckoutForm.for_items([("product", product.pk, 1)]),
            "confirm_url": CheckoutItemsForm.confirm_url(
                [("product", product.pk, 1)], back=request.get_full_path()
            ),
        },
    )


def instructor_detail(request, slug):
    instructor, courses, products, lives = selectors.instructor_page(slug=slug)
    following = social_selectors.instructor_followed_by(
        user=request.user, instructor_id=instructor.pk
    )
    return render(
        request,
        "courses/instructor.html",
        {
            "instructor": instructor,
            "courses": courses,
            "products": products,
            "lives": lives,
            "following": following,
            "reserved_lives": (
                commerce_selectors.live_reserved_ids(user=request.user) if lives else []
            ),
        },
    )

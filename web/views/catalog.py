"""The pages of the catalog: home, browse and search, courses and their lessons, live sessions,
short videos, products and instructors.

Each view parses the request, calls the selectors it needs and renders; the rules live in
``courses.selectors``, ``commerce.selectors`` and the recommender's services, which the API
calls too.
"""

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
from recommendations.services.events import event_record
from recommendations.services.related import bought_together_for, similar_items_for
from web.forms import BrowseForm, CheckoutForm, CheckoutItemsForm
from web.home import home_page
from web.media import ranged_file_response
from web.views.live import stream_urls
from web.views.media import playback_for

PAGE_SIZE = 12


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


def browse(request):
    form = BrowseForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.catalog_search(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "courses/browse.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "query_string": query.urlencode(),
            **selectors.catalog_facets(),
        },
    )


def course_detail(request, slug):
    course = selectors.course_page(slug=slug)
    _record_view(request, "course", course.pk)
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
            "owned": commerce_selectors.course_enrolled(user=request.user, course_id=course.pk),
            "similar": similar,
            "also_courses": also_courses,
            "also_products": also_products,
            "products": selectors.products_for_course(course=course),
            "checkout": CheckoutForm.for_items([("course", course.pk, 1)]),
        },
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
            and playback_for(request, lesson.media, paid=not lesson.is_free_preview),
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
    videos = selectors.short_video_feed(start_slug=request.GET.get("v", ""))
    for video in videos:  # short videos are free: addresses for anyone
        video.playback = playback_for(request, video.media, paid=False)
    return render(request, "courses/videos.html", {"videos": videos})


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
    return render(
        request,
        "courses/instructor.html",
        {"instructor": instructor, "courses": courses, "products": products, "lives": lives},
    )

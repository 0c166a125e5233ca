"""The learner-facing pages of the catalog and commerce.

Each view parses the request, calls the selectors or services it needs and renders; the rules
live in ``courses.selectors``, ``courses.commerce_selectors`` and ``courses.commerce``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.backends import account_hint_keep
from courses import cart, selectors
from courses.commerce import (
    course_enroll_free,
    lesson_progress_record,
    live_reservation_create,
    order_create,
    order_pay,
)
from courses.commerce_selectors import (
    continue_learning_for,
    lesson_progress_by_lesson,
    order_get_for_user,
    orders_for,
)
from courses.forms import BrowseForm, CartAddForm, CheckoutForm, ProgressForm
from courses.home import home_forget, home_page
from courses.models import Order
from recommendations.services.events import event_record
from recommendations.services.related import bought_together_for, similar_items_for

PAGE_SIZE = 12


def _back(request, fallback: str):
    """Where to return after a form: the page's ``next`` field when it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


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
            "owned": selectors.course_owned_by(user=request.user, course=course),
            "similar": similar,
            "also_courses": also_courses,
            "also_products": also_products,
            "products": selectors.products_for_course(course=course),
            "checkout": CheckoutForm.for_items([("course", course.pk, 1)]),
        },
    )


@require_POST
@login_required
def course_enroll(request, slug):
    course = selectors.course_page(slug=slug)
    try:
        course_enroll_free(user=request.user, course=course)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        home_forget(user=request.user)
        messages.success(request, _("You are enrolled. Enjoy the course!"))
    return redirect("courses:course", slug=course.slug)


def lesson_player(request, lesson_id):
    lesson = selectors.lesson_for_player(lesson_id=lesson_id)
    can_watch = selectors.lesson_access_for(user=request.user, lesson=lesson)
    lessons = list(lesson.course.lessons.all())
    progress_by_lesson = lesson_progress_by_lesson(user=request.user, lessons=lessons)
    return render(
        request,
        "courses/lesson.html",
        {
            "lesson": lesson,
            "course": lesson.course,
            "can_watch": can_watch,
            "lessons": [(item, progress_by_lesson.get(item.pk)) for item in lessons],
            "progress": progress_by_lesson.get(lesson.pk),
        },
    )


@require_POST
def lesson_progress(request, lesson_id):
    """The player's progress reports (JSON answer): where the learner is in the lesson."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in to save your progress.")}, status=401)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    lesson = selectors.lesson_for_player(lesson_id=lesson_id)
    try:
        progress = lesson_progress_record(
            user=request.user,
            lesson=lesson,
            position_seconds=form.cleaned_data["position_seconds"],
            duration_seconds=form.cleaned_data["duration_seconds"],
        )
    except ValidationError as error:
        return JsonResponse({"errors": {"__all__": error.messages}}, status=403)
    home_forget(user=request.user)
    return JsonResponse(
        {
            "position_seconds": progress.position_seconds,
            "percent_watched": progress.percent_watched,
            "completed": progress.completed_at is not None,
        }
    )


def live_detail(request, slug):
    live = selectors.live_page(slug=slug)
    _record_view(request, "live", live.pk)
    shelf = list(live.shelf_items.all())
    return render(
        request,
        "courses/live.html",
        {
            "live": live,
            "shelf": [
                (item, CheckoutForm.for_items([("product", item.product_id, 1)], live_id=live.pk))
                for item in shelf
            ],
            "reserved": selectors.live_reserved_by(user=request.user, live_session=live),
        },
    )


@require_POST
@login_required
def live_reserve(request, slug):
    live = selectors.live_page(slug=slug)
    try:
        live_reservation_create(user=request.user, live_session=live)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Reserved: we will remind you before it starts."))
    return _back(request, reverse("courses:live", kwargs={"slug": live.slug}))


def video_feed(request):
    return render(
        request,
        "courses/videos.html",
        {"videos": selectors.short_video_feed(start_slug=request.GET.get("v", ""))},
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
        },
    )


def instructor_detail(request, slug):
    instructor, courses, products, lives = selectors.instructor_page(slug=slug)
    return render(
        request,
        "courses/instructor.html",
        {"instructor": instructor, "courses": courses, "products": products, "lives": lives},
    )


def cart_view(request):
    ids = cart.cart_ids(request.session)
    courses, products = selectors.cart_items(course_ids=ids["course"], product_ids=ids["product"])
    lines = [("course", course, 1, course.price) for course in courses] + [
        ("product", product, ids["product"][product.pk], product.price * ids["product"][product.pk])
        for product in products
    ]
    items = [("course", c.pk, 1) for c in courses] + [
        ("product", p.pk, ids["product"][p.pk]) for p in products
    ]
    return render(
        request,
        "courses/cart.html",
        {
            "lines": lines,
            "total": sum((line[3] for line in lines), 0),
            "checkout": CheckoutForm.for_items(items, from_cart=True) if items else None,
        },
    )


@require_POST
def cart_add(request):
    form = CartAddForm(request.POST)
    if form.is_valid():
        cart.cart_add(
            request.session,
            kind=form.cleaned_data["kind"],
            object_id=form.cleaned_data["object_id"],
            quantity=form.cleaned_data["quantity"],
        )
        messages.success(request, _("Added to your cart."))
    else:
        messages.error(request, _("That item could not be added to your cart."))
    return _back(request, reverse("courses:cart"))


@require_POST
def cart_remove(request):
    form = CartAddForm(request.POST)
    if form.is_valid():
        cart.cart_remove(
            request.session,
            kind=form.cleaned_data["kind"],
            object_id=form.cleaned_data["object_id"],
        )
    return redirect("courses:cart")


@require_POST
@login_required
def checkout(request):
    """Place the order (idempotent on the form's key) and pay it with the payment provider."""
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(request, reverse("courses:cart"))
    wanted = form.cleaned_data["items"]
    courses, products = selectors.cart_items(
        course_ids=[pk for kind, pk, _q in wanted if kind == "course"],
        product_ids=[pk for kind, pk, _q in wanted if kind == "product"],
    )
    objects = {("course", c.pk): c for c in courses} | {("product", p.pk): p for p in products}
    items = [(objects[(kind, pk)], qty) for kind, pk, qty in wanted if (kind, pk) in objects]
    live_id = form.cleaned_data.get("live")
    live = selectors.live_session_get(live_id=live_id) if live_id else None
    try:
        order = order_create(
            user=request.user,
            items=items,
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
            live_session=live,
        )
        if order.status == Order.Status.PENDING:
            order = order_pay(order_id=order.pk, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _back(request, reverse("courses:cart"))
    if form.cleaned_data["from_cart"]:
        cart.cart_clear(request.session)
    home_forget(user=request.user)
    if order.status == Order.Status.PAID:
        messages.success(request, _("Payment received. Thank you!"))
    return redirect("courses:order", order_id=order.pk)


@login_required
def my_learning(request):
    return render(
        request,
        "courses/learning.html",
        {"entries": continue_learning_for(user=request.user, limit=100)},
    )


@login_required
def my_orders(request):
    page = Paginator(orders_for(user=request.user), 10).get_page(request.GET.get("page"))
    return render(request, "courses/orders.html", {"page": page})


@login_required
def order_detail(request, order_id):
    return render(
        request,
        "courses/order_detail.html",
        {"order": order_get_for_user(user=request.user, order_id=order_id)},
    )

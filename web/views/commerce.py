"""The pages where learners buy and learn: the cart, checkout and its confirmation, the address
book, enrolling, reserving a live session, saving lesson progress, and their learning and orders.

Every write is one call of a service in ``commerce``, the same the API makes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import uri_to_iri
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from commerce import cart
from commerce.models import SHIPPING_FIELDS, Order
from commerce.selectors import (
    address_get_for_user,
    addresses_for,
    continue_learning_for,
    order_get_for_user,
    orders_for,
)
from commerce.services import (
    address_create,
    address_delete,
    address_update,
    course_enroll_free,
    lesson_progress_record,
    live_reservation_create,
    order_checkout,
)
from courses import selectors
from web import pending
from web.forms import (
    CartAddForm,
    CheckoutForm,
    CheckoutItemsForm,
    CouponForm,
    DeliveryAddressForm,
    ProgressForm,
    ShippingForm,
)
from web.navigation import next_url, redirect_back


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
@login_required
def course_enroll(request, slug):
    course = selectors.course_page(slug=slug)
    try:
        course_enroll_free(user=request.user, course=course)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("You are enrolled. Enjoy the course!"))
    return redirect("web:course", slug=course.slug)


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
    return JsonResponse(
        {
            "position_seconds": progress.position_seconds,
            "percent_watched": progress.percent_watched,
            "completed": progress.completed_at is not None,
        }
    )


@require_POST
def live_reserve(request, slug):
    """Reserve, then back to the page the button was on. A signed-out visitor signs in first:
    the reservation waits in their session and is made as they sign in (``web.pending``)."""
    live = selectors.live_session_detail(slug=slug).live_session
    back = next_url(request, reverse("web:live", kwargs={"slug": live.slug}))
    if not request.user.is_authenticated:
        pending.reservation_keep(request, live)
        return redirect_to_login(uri_to_iri(back))  # encoded once in the sign-in link
    try:
        live_reservation_create(user=request.user, live_session=live)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("Reserved: we will remind you before it starts."))
    return redirect(back)


def cart_view(request):
    contents = cart.cart_contents(session=request.session)
    return render(
        request,
        "courses/cart.html",
        {
            "lines": [
                (ln.kind, ln.item, ln.quantity, ln.amount, ln.regular_amount)
                for ln in contents.lines
            ],
            "total": contents.total,
            "coupon_url": (
                CheckoutItemsForm.confirm_url(contents.items, from_cart=True)
                if contents.lines and not contents.ships
                else None
            ),
            "checkout": (
                CheckoutForm.for_items(contents.items, from_cart=True) if contents.lines else None
            ),
            # Physical products are delivered: the checkout asks where, and confirms the price.
            "confirm_url": (
                CheckoutItemsForm.confirm_url(contents.items, from_cart=True)
                if contents.ships
                else None
            ),
        },
    )


@require_POST
def cart_add(request):
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That item could not be added to your cart."))
        return redirect_back(request, reverse("web:cart"))
    try:
        cart.cart_add(session=request.session, **form.cleaned_data)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, _("Added to your cart."))
    return redirect_back(request, reverse("web:cart"))


@require_POST
def cart_remove(request):
    form = CartAddForm(request.POST)
    if form.is_valid():
        cart.cart_remove(
            session=request.session,
            kind=form.cleaned_data["kind"],
            object_id=form.cleaned_data["object_id"],
        )
    return redirect("web:cart")


def _form_messages(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


DELIVERY_ERRORS = {"address", "address_id", *SHIPPING_FIELDS}


def _about_delivery(error: ValidationError) -> bool:
    """Whether the checkout was refused for where its physical products go."""
    if hasattr(error, "error_dict"):
        return bool(DELIVERY_ERRORS & set(error.error_dict))
    return getattr(error, "code", None) == "too_many_addresses"


def _confirmation(
    request, form: CheckoutForm, data: dict, shipping: ShippingForm | None = None, status=200
):
    """The page that confirms a checkout of ``data`` (``CheckoutItemsForm``'s) before it charges:
    each item at the price it will be charged, the total and, when a physical product is in it,
    where to deliver it; ``form`` is what it posts."""
    live = selectors.live_session_get(live_id=data["live"]) if data.get("live") else None
    coupon_form = CouponForm(initial={**data, "items": form["items"].value()}, auto_id="%s")
    code = (data.get("coupon") or "").strip()
    try:
        quote = cart.items_quote(items=data["items"], live_session=live, coupon_code=code)
    except ValidationError as error:  # a bad code: quoted without it, the form says why
        quote = cart.items_quote(items=data["items"], live_session=live)
        coupon_form = CouponForm(data={**data, "items": form["items"].value()}, auto_id="%s")
        coupon_form.is_valid()
        coupon_form.add_error("coupon", error.error_dict["coupon"])
        if not form.is_bound:  # pays without the coupon until a good one is applied
            form = CheckoutForm(initial={**form.initial, "coupon": ""}, auto_id=False)
        status = 400
    if not quote.lines:
        messages.error(request, _("An item in your order is not for sale."))
        return redirect("web:cart")
    if quote.ships and shipping is None:
        shipping = ShippingForm(addresses=addresses_for(user=request.user))
    context = {
        "quote": quote,
        "checkout": form,
        "coupon_form": coupon_form,
        "shipping": shipping if quote.ships else None,
        "live": live,
        "back": next_url(request, ""),
    }
    return render(request, "courses/checkout.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def checkout(request):
    """GET: confirm the checkout of the items in the address (``CheckoutItemsForm``) before
    paying. POST: place the order (idempotent on the form's key) and pay it with the payment
    provider; physical products go to the address chosen on the confirmation page."""
    if request.method == "GET":
        wanted = CheckoutItemsForm(request.GET)
        if not wanted.is_valid():
            _form_messages(request, wanted)
            return redirect("web:cart")
        data = wanted.cleaned_data
        form = CheckoutForm.for_items(
            data["items"],
            live_id=data["live"],
            from_cart=data["from_cart"],
            coupon=data["coupon"].strip(),
        )
        return _confirmation(request, form, data)
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        _form_messages(request, form)
        return redirect_back(request, reverse("web:cart"))
    delivery = {}
    if "address" in request.POST:  # chosen on the confirmation page
        shipping = ShippingForm(request.POST, addresses=addresses_for(user=request.user))
        if not shipping.is_valid():
            return _confirmation(request, form, form.cleaned_data, shipping, status=400)
        delivery = shipping.address_arguments()
    try:
        order = order_checkout(
            user=request.user,
            items=form.cleaned_data["items"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
            live_session_id=form.cleaned_data.get("live"),
            coupon_code=form.cleaned_data["coupon"].strip(),
            **delivery,
        )
    except ValidationError as error:
        _error_messages(request, error)
        about_coupon = hasattr(error, "error_dict") and "coupon" in error.error_dict
        if _about_delivery(error) or about_coupon:
            data = form.cleaned_data
            again = CheckoutItemsForm.confirm_url(
                data["items"],
                live_id=data.get("live"),
                from_cart=data["from_cart"],
                back=next_url(request, ""),
                coupon="" if about_coupon else data["coupon"],
            )
            return redirect(again)
        return redirect_back(request, reverse("web:cart"))
    if form.cleaned_data["from_cart"]:
        cart.cart_clear(session=request.session)
    if order.status == Order.Status.PAID:
        messages.success(request, _("Payment received. Thank you!"))
    return redirect("web:order", order_id=order.pk)


@login_required
def my_learning(request):
    return render(
        request,
        "courses/learning.html",
        {"entries": continue_learning_for(user=request.user, limit=100)},
    )


@login_required
def my_addresses(request):
    """The learner's address book, and a form to add an address."""
    form = DeliveryAddressForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            address_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The address was saved."))
            return redirect("web:addresses")
    return render(
        request,
        "courses/addresses.html",
        {"addresses": addresses_for(user=request.user), "form": form},
    )


@login_required
def address_edit(request, address_id):
    address = address_get_for_user(user=request.user, address_id=address_id)
    form = DeliveryAddressForm(request.POST if request.method == "POST" else None, instance=address)
    if request.method == "POST" and form.is_valid():
        try:
            address_update(user=request.user, address_id=address.pk, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The address was saved."))
            return redirect("web:addresses")
    return render(request, "courses/address_edit.html", {"form": form, "address": address})


@require_POST
@login_required
def address_remove(request, address_id):
    address_delete(user=request.user, address_id=address_id)
    messages.success(request, _("The address was deleted."))
    return redirect("web:addresses")


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

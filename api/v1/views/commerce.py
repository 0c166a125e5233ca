"""The signed-in learner's orders, delivery addresses, enrollments, lesson progress and live
reservations.

Every read goes through a selector that takes the user, and every write through a service that
does: an id of another learner's row is a 404, exactly like an id that does not exist.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.exceptions import Conflict
from api.v1.schema import problems
from api.v1.serializers.commerce import (
    AddressSerializer,
    ContinueLearningQuerySerializer,
    CourseInProgressSerializer,
    EnrollmentCreateSerializer,
    EnrollmentSerializer,
    LessonProgressSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    ProgressRecordSerializer,
    ReservationCreateSerializer,
    ReservationSerializer,
)
from commerce.selectors import (
    address_get_for_user,
    addresses_for,
    continue_learning_for,
    enrollments_for,
    live_reservation_get_for_user,
    live_reservations_for,
    order_get_by_idempotency_key,
    order_get_for_user,
    orders_for,
)
from commerce.services import (
    address_create,
    address_delete,
    address_update,
    course_enroll_free,
    lesson_progress_record,
    live_reservation_cancel,
    live_reservation_create,
    order_cancel,
    order_get_or_create,
    order_pay,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"

idempotency_key_parameter = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "pattern": r"^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$",
    },
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "Chosen by the client per checkout (a UUID is best), at most 64 characters. Retrying "
        "with the same key returns the order placed first (200) instead of placing another."
    ),
)


def _idempotency_key(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if not key or len(key) > 64 or not (key.isascii() and key.isprintable()):
        raise exceptions.ValidationError(
            {
                IDEMPOTENCY_HEADER: [
                    "Send a key of 1 to 64 printable ASCII characters in this header."
                ]
            }
        )
    return key


@extend_schema(tags=["orders"])
class OrderListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get_queryset(self):
        return orders_for(user=self.request.user)

    @extend_schema(summary="Your orders, newest first")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Place an order",
        description=(
            "A pending order at the prices in force now (flash prices when placed from their "
            "live session), to be paid within the payment window. Requires `Idempotency-Key`. "
            "An order with a physical product needs `address_id` or `address` (400 "
            "`address_required` otherwise); the order keeps a copy of the address."
        ),
        parameters=[idempotency_key_parameter],
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        existing = order_get_by_idempotency_key(user=request.user, idempotency_key=key)
        if existing is not None:
            return Response(OrderSerializer(existing).data, status=status.HTTP_200_OK)
        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, placed = order_get_or_create(
            user=request.user,
            items=data.validated_data["items"],
            idempotency_key=key,
            live_session=data.validated_data.get("live_session"),
            address_id=data.validated_data.get("address_id"),
            new_address=data.validated_data.get("address"),
            coupon_code=data.validated_data.get("coupon", "").strip(),
        )
        # A request racing the one that placed the order gets that order, as a retry does.
        return Response(
            OrderSerializer(order).data,
            status=status.HTTP_201_CREATED if placed else status.HTTP_200_OK,
        )


@extend_schema(tags=["orders"], summary="One of your orders")
class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(OrderSerializer(order_get_for_user(user=request.user, order_id=pk)).data)


class OrderActionView(APIView):
    """A state change of the learner's own order; a refusal by the order's state is a 409."""

    permission_classes = [IsAuthenticated]
    order_action = staticmethod(order_pay)

    def post(self, request: Request, pk: int) -> Response:
        try:
            order = self.order_action(order_id=pk, user=request.user)
        except ValidationError as refusal:
            raise Conflict.from_validation_error(refusal) from refusal
        return Response(OrderSerializer(order).data)


@extend_schema(
    tags=["orders"],
    summary="Pay a pending order",
    description=(
        "Charges the payment provider and fulfils the order (enrollments, stock) all or nothing. "
        "A refusal is a 409 whose `code` says why: `declined` (the order stays pending: retry), "
        "`sold_out` or `expired` or `already_owned` (the order is cancelled: place a new one), "
        "`invalid_state` (not pending)."
    ),
    request=None,
    responses={200: OrderSerializer, **problems(409)},
)
class OrderPayView(OrderActionView):
    order_action = staticmethod(order_pay)


@extend_schema(
    tags=["orders"],
    summary="Cancel a pending order",
    description="Only pending orders can be cancelled (`invalid_state` 409 otherwise).",
    request=None,
    responses={200: OrderSerializer, **problems(409)},
)
class OrderCancelView(OrderActionView):
    order_action = staticmethod(order_cancel)


@extend_schema(tags=["me"])
class AddressListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AddressSerializer

    def get_queryset(self):
        return addresses_for(user=self.request.user)

    @extend_schema(summary="Your delivery addresses")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a delivery address",
        description="Your first address is your default. At most 20 addresses.",
        request=AddressSerializer,
        responses={201: AddressSerializer},
    )
    def post(self, request: Request) -> Response:
        data = AddressSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        address = address_create(user=request.user, **data.validated_data)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["me"])
class AddressDetailView(APIView):
    """One of the learner's addresses; another learner's address id is a 404."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="One of your delivery addresses", responses=AddressSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            AddressSerializer(address_get_for_user(user=request.user, address_id=pk)).data
        )

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        address_get_for_user(user=request.user, address_id=pk)  # 404 before any validation
        data = AddressSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        address = address_update(user=request.user, address_id=pk, **data.validated_data)
        return Response(AddressSerializer(address).data)

    @extend_schema(
        summary="Replace a delivery address",
        description="Orders shipped to it before keep the address they copied.",
        request=AddressSerializer,
        responses=AddressSerializer,
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(
        summary="Change fields of a delivery address",
        description="Orders shipped to it before keep the address they copied.",
        request=AddressSerializer,
        responses=AddressSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(
        summary="Delete a delivery address",
        description="If it was your default, your most recently changed address becomes it.",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        address_delete(user=request.user, address_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["learning"])
class EnrollmentListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = EnrollmentSerializer

    def get_queryset(self):
        return enrollments_for(user=self.request.user)

    @extend_schema(summary="The courses you may watch")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Enroll in a free course",
        description="Idempotent. Paid courses are bought with an order instead.",
        request=EnrollmentCreateSerializer,
        responses={201: EnrollmentSerializer},
    )
    def post(self, request: Request) -> Response:
        data = EnrollmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrollment = course_enroll_free(user=request.user, course=data.validated_data["course"])
        return Response(
            EnrollmentSerializer(enrollment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["learning"])
class ProgressView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Record where you are in a lesson",
        description=(
            "The furthest share watched never goes down; at 90% the lesson is completed. "
            "Only for lessons of courses you are enrolled in, or free previews (403 otherwise)."
        ),
        request=ProgressRecordSerializer,
        responses=LessonProgressSerializer,
    )
    def post(self, request: Request) -> Response:
        data = ProgressRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            progress = lesson_progress_record(user=request.user, **data.validated_data)
        except ValidationError as error:
            if getattr(error, "code", None) == "not_enrolled":
                raise exceptions.PermissionDenied(" ".join(error.messages)) from error
            raise
        return Response(LessonProgressSerializer(progress).data)


@extend_schema(tags=["learning"])
class ContinueLearningView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Continue learning",
        description="Your enrolled courses, the most recently watched first, with progress.",
        parameters=[ContinueLearningQuerySerializer],
        responses=CourseInProgressSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = ContinueLearningQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = continue_learning_for(user=request.user, limit=query.validated_data["limit"])
        return Response(
            CourseInProgressSerializer(entries, many=True, context={"request": request}).data
        )


@extend_schema(tags=["learning"])
class ReservationListCreateView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReservationSerializer

    def get_queryset(self):
        return live_reservations_for(user=self.request.user)

    @extend_schema(summary="Your live reservations")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Reserve a live session (remind me)",
        description="Idempotent; reserving again after cancelling reopens the reservation.",
        request=ReservationCreateSerializer,
        responses={201: ReservationSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ReservationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = live_reservation_create(
            user=request.user, live_session=data.validated_data["live_session"]
        )
        return Response(
            ReservationSerializer(reservation, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["learning"])
class ReservationDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Cancel a live reservation", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        reservation = live_reservation_get_for_user(user=request.user, reservation_id=pk)
        live_reservation_cancel(user=request.user, live_session=reservation.live_session)
        return Response(status=status.HTTP_204_NO_CONTENT)

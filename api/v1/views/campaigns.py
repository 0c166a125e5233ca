"""Campaigns: what is on offer to everyone now, and ordering a bundle."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.v1.serializers.campaigns import CampaignsSerializer
from api.v1.serializers.commerce import OrderSerializer
from api.v1.views.commerce import _idempotency_key, idempotency_key_parameter
from commerce.campaigns import campaigns_running
from commerce.services import bundle_order_get_or_create

CAMPAIGNS_LIMIT = 50


@extend_schema(tags=["catalog"])
class CampaignListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Running campaigns",
        description=(
            "Courses on a time-limited discount (each with its `offer`: the price in force, "
            "the regular price and when the discount ends) and course bundles on sale, at most "
            "50 of each. The same for everyone: no price depends on who is asking."
        ),
        responses=CampaignsSerializer,
    )
    def get(self, request: Request) -> Response:
        running = campaigns_running(limit=CAMPAIGNS_LIMIT)
        data = {"courses": [item.course for item in running.courses], "bundles": running.bundles}
        return Response(CampaignsSerializer(data, context={"request": request}).data)


@extend_schema(tags=["orders"])
class BundleOrderView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Order a bundle",
        description=(
            "A pending order of the bundle's courses you do not own yet, at the bundle's price "
            "for them (in proportion to their regular prices when you own some), to be paid "
            "with `/api/v1/orders/{id}/pay/`. Requires `Idempotency-Key`. A bundle not on sale "
            "or whose courses you all own is a 400."
        ),
        parameters=[idempotency_key_parameter],
        request=None,
        responses={201: OrderSerializer, 200: OrderSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        order, placed = bundle_order_get_or_create(
            user=request.user, bundle_id=pk, idempotency_key=_idempotency_key(request)
        )
        return Response(
            OrderSerializer(order).data,
            status=status.HTTP_201_CREATED if placed else status.HTTP_200_OK,
        )

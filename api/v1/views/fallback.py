"""Any other path under ``/api/`` answers a 404 problem, not the site's HTML page."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


@extend_schema(exclude=True)
class NoSuchEndpointView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    def initial(self, request, *args, **kwargs):
        raise NotFound("There is no such API endpoint.")

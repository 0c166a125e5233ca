"""``/api/``: the OpenAPI schema, its browsable docs (served from local assets), and ``v1/``."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.docs import RedocDocsView, SwaggerDocsView
from api.v1.views.fallback import NoSuchEndpointView

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", RedocDocsView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", include("api.v1.urls")),
    re_path(r"^", NoSuchEndpointView.as_view(), name="no-such-endpoint"),
]

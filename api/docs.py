"""The API's browsable docs, Swagger UI and ReDoc, served entirely from local assets
(drf-spectacular-sidecar) under the site's Content-Security-Policy.

drf-spectacular's own pages start the bundles with an inline script and load ReDoc's fonts from
outside. Here each page carries its configuration as JSON data (never executed) and a static
script starts the bundle. The policy is widened for these pages only, by what the bundles need:
the icons they draw from ``data:`` URLs, and for ReDoc the styles it injects and the search
worker it starts from a ``blob:`` URL. Scripts still come from the site alone.
"""

from csp.decorators import csp_update
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# ReDoc's default type faces come from a web font service; the site's own stack is used instead.
FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Microsoft YaHei", system-ui, '
    "-apple-system, 'Segoe UI', sans-serif"
)
REDOC_THEME = {
    "typography": {
        "fontFamily": FONT_STACK,
        "headings": {"fontFamily": FONT_STACK},
        "code": {"fontFamily": "ui-monospace, 'Noto Sans Mono', Menlo, Consolas, monospace"},
    }
}


@method_decorator(csp_update({"img-src": ["data:"]}), name="get")
class SwaggerDocsView(SpectacularSwaggerView):
    """Swagger UI: its stylesheet draws icons from ``data:`` URLs."""

    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["config"] = {
            "schemaUrl": response.data["schema_url"],
            "settings": spectacular_settings.SWAGGER_UI_SETTINGS or {},
            "oauth2Config": spectacular_settings.SWAGGER_UI_OAUTH2_CONFIG or None,
            "schemaAuthNames": self._get_schema_auth_names(),
            "csrfHeaderName": response.data["csrf_header_name"],
            "csrfToken": get_token(request),
        }
        return response


@method_decorator(
    csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"], "worker-src": ["blob:"]}),
    name="get",
)
class RedocDocsView(SpectacularRedocView):
    """ReDoc. Its bundle injects ``<style>`` elements as it loads, before any option could hand
    it a nonce, so inline styles are allowed on this page (never inline scripts). The bundle also
    shows its vendor's logo from outside; the policy blocks that image, and ReDoc then leaves
    it out."""

    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        settings = dict(spectacular_settings.REDOC_UI_SETTINGS or {})
        settings.setdefault("theme", REDOC_THEME)
        response.data["config"] = {"schemaUrl": response.data["schema_url"], "settings": settings}
        return response

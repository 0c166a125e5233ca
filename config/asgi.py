"""The ASGI application: HTTP through Django's WSGI handler on threads (``config.http_threads``),
WebSocket through Channels (the live rooms).

WebSocket connections are accepted only from the site's own hosts (``ALLOWED_HOSTS``, checked on
the ``Origin`` header) and carry the signed-in account from the session cookie.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django is set up before anything imports models (the consumers do).
django_application = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from config.http_threads import ThreadedHTTP  # noqa: E402

# Named by string, like config/urls.py's include("web.urls"): config sits below the apps.
websocket_urlpatterns = import_string("liveroom.routing.websocket_urlpatterns")

application = ProtocolTypeRouter(
    {
        "http": ThreadedHTTP(django_application, threads=settings.WEB_THREADS),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

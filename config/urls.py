import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from config.media import serve_media

admin.site.site_header = "知播 Zhibo"
admin.site.site_title = "知播 Zhibo"
admin.site.index_title = _("Content management")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    path("", include("web.urls")),
]

handler400 = "web.views.errors.bad_request"  # a 413 for bodies too large to read

if settings.SERVE_MEDIA:
    prefix = re.escape(settings.MEDIA_URL.lstrip("/"))
    urlpatterns.append(re_path(rf"^{prefix}(?P<path>.+)$", serve_media, name="media"))

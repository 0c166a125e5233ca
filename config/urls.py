from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

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

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

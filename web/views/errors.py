"""The site's answers to requests Django refuses before a view runs (``config.urls``)."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults


def bad_request(request, exception):
    """Django's 400, except for a body larger than the site reads
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``): that is a 413. Such a body is found out when the form is
    first read, by the CSRF check before the view, on the pages and the event beacon alike."""
    if isinstance(exception, RequestDataTooBig):
        return HttpResponse(
            _("The request is too large."), status=413, content_type="text/plain; charset=utf-8"
        )
    return defaults.bad_request(request, exception)

"""The admin site, whose sign-in is limited like every door's (``accounts.signin``).

``AdminConfig`` stands in ``INSTALLED_APPS`` for ``django.contrib.admin`` and makes ``AdminSite``
the default site, so every ``@admin.register`` and ``admin.site`` is this one. This module is
imported while the apps load, before the models: like Django's own ``AdminSite.login``, the
login imports its forms (which import the models) when it runs.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "accounts.admin_site.AdminSite"


class AdminSite(admin.AdminSite):
    @property
    def login_form(self):
        from accounts.forms import AdminSignInForm

        return AdminSignInForm

    def login(self, request, extra_context=None):
        from accounts.forms import limited_sign_in_response

        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        return limited_sign_in_response(response, form)

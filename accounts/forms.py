"""Sign-in forms of the doors that render pages (the site and the admin): Django's, signing in
through ``accounts.signin`` so the same limits hold on every door."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.signin import SignInLimited, account_authenticate


class LimitedSignInMixin:
    """Django's ``AuthenticationForm.clean`` with ``account_authenticate``: while the limit
    holds the form is refused with its message, and ``refused`` keeps the ``SignInLimited``
    (the page answers with ``limited_sign_in_response``)."""

    refused: SignInLimited | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = account_authenticate(
                    request=self.request, username=username, password=password
                )
            except SignInLimited as refused:
                self.refused = refused
                raise ValidationError(refused.message, code="sign_in_limited") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class SignInForm(LimitedSignInMixin, AuthenticationForm):
    pass


class AdminSignInForm(LimitedSignInMixin, AdminAuthenticationForm):
    pass


def limited_sign_in_response(response, form):
    """The sign-in page's ``response`` for ``form``: 429 with ``Retry-After`` when the limit
    refused it, as the API answers."""
    refused = getattr(form, "refused", None)
    if refused is not None:
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after)
    return response

"""Sign up, sign in, sign out and the onboarding step where a new learner picks interests."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.forms import SignInForm, limited_sign_in_response
from courses.selectors import tags_for_onboarding
from recommendations.services.events import events_merge_visitor
from recommendations.services.profiles import interests_declare
from web.forms import InterestsForm, SignUpForm
from web.navigation import next_url
from web.pending import pending_complete


def _signed_in(request, user) -> None:
    """What the visitor did before signing in now belongs to their account, and what they asked
    for while signed out (``web.pending``) is done."""
    events_merge_visitor(visitor_id=getattr(request, "visitor_id", ""), user=user)
    pending_complete(request, user)


class SignInView(auth_views.LoginView):
    """Signs in through ``accounts.signin`` (limited per account and per address): a refused
    sign-in shows the form's message, with 429 and ``Retry-After``."""

    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        _signed_in(self.request, form.get_user())
        return response

    def form_invalid(self, form):
        return limited_sign_in_response(super().form_invalid(form), form)


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    then = next_url(request, "")  # the page to go back to after onboarding
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and (user := form.save()) is not None:
        login(request, user, backend="accounts.backends.CachedModelBackend")
        _signed_in(request, user)
        messages.success(request, _("Welcome to Zhibo! Pick a few topics to get started."))
        onboarding_url = reverse("web:onboarding")
        return redirect(f"{onboarding_url}?{urlencode({'next': then})}" if then else onboarding_url)
    return render(request, "accounts/signup.html", {"form": form, "next": then})


@login_required
def onboarding(request):
    choices = tags_for_onboarding()
    done = next_url(request, reverse("web:home"))
    form = InterestsForm(request.POST if request.method == "POST" else None, tag_choices=choices)
    if request.method == "POST" and form.is_valid():
        interests_declare(user=request.user, tags=form.cleaned_data["tags"])
        messages.success(request, _("Thanks! Your home page now follows your interests."))
        return redirect(done)
    return render(
        request, "accounts/onboarding.html", {"form": form, "choices": choices, "done": done}
    )

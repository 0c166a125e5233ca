"""Accounts in the admin. Staff create accounts through ``account_sign_up``, the service the web
and API sign-ups call, so the same rules hold (names and e-mails unique whatever their case, an
e-mail address, the password validators); the change form checks the same uniqueness."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import account_sign_up, account_sign_up_problems


class AccountCreationForm(BaseUserCreationForm):
    email = forms.EmailField(label=_("Email"))

    class Meta(BaseUserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean(self):
        data = super().clean()
        if not self.errors:
            for field, messages in account_sign_up_problems(
                username=data["username"], email=data["email"], password=data["password1"]
            ).items():
                self.add_error("password1" if field == "password" else field, messages)
        return data


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class AccountAdmin(UserAdmin):
    add_form = AccountCreationForm
    form = AccountChangeForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = account_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        # The admin goes on with ``obj`` (its log entry, the redirect): make it the account.
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

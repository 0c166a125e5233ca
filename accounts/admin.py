"""Accounts in the admin. Staff create accounts through ``account_sign_up``, the service the web
and API sign-ups call, so the same rules hold (names and e-mails unique whatever their case, an
e-mail address, the password validators); the change form checks the same uniqueness.

Permissions are offered (on an account and on a group) in the reader's language: Django stores
their names in English when it creates them ("Can add course")."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    BaseUserCreationForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import account_sign_up, account_sign_up_problems

PERMISSION_ACTIONS = {
    "add": _("Can add %(name)s"),
    "change": _("Can change %(name)s"),
    "delete": _("Can delete %(name)s"),
    "view": _("Can view %(name)s"),
}


def permission_label(permission) -> str:
    """ "app | model | can do what", translated; a permission other than the four every model
    has keeps the name it was given."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is None or action not in PERMISSION_ACTIONS or model_name != model._meta.model_name:
        return str(permission)
    name = PERMISSION_ACTIONS[action] % {"name": model._meta.verbose_name}
    return f"{permission.content_type} | {name}"


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class TranslatedPermissions:
    """Mixed into an admin whose form chooses permissions."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionsField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(Group)


@admin.register(Group)
class GroupsAdmin(TranslatedPermissions, GroupAdmin):
    pass


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


class AccountPasswordChangeForm(AdminPasswordChangeForm):
    # Django writes its warning after the translated help text in English; translated here.
    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User)
class AccountAdmin(TranslatedPermissions, UserAdmin):
    add_form = AccountCreationForm
    form = AccountChangeForm
    change_password_form = AccountPasswordChangeForm
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

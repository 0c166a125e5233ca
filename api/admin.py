"""The apps' sign-in tokens in the admin (simplejwt's token blacklist), labelled in the reader's
language: simplejwt's own pages take their column and field labels from model fields that have
no translatable names. Read-only, as simplejwt has them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.admin import (
    BlacklistedTokenAdmin,
    OutstandingTokenAdmin,
)
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)


@admin.register(OutstandingToken)
class OutstandingTokens(OutstandingTokenAdmin):
    list_display = ["token_jti", "token_user", "token_created_at", "token_expires_at"]
    fields = ["token_jti", "token_user", "token_value", "token_created_at", "token_expires_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description=_("jti"), ordering="jti")
    def token_jti(self, token):
        return token.jti

    @admin.display(description=_("user"), ordering="user")
    def token_user(self, token):
        return token.user

    @admin.display(description=_("token"))
    def token_value(self, token):
        return token.token

    @admin.display(description=_("created at"), ordering="created_at")
    def token_created_at(self, token):
        return token.created_at

    @admin.display(description=_("expires at"), ordering="expires_at")
    def token_expires_at(self, token):
        return token.expires_at


@admin.register(BlacklistedToken)
class BlacklistedTokens(BlacklistedTokenAdmin):
    list_display = [*BlacklistedTokenAdmin.list_display[:-1], "token_blacklisted_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "token" and field is not None:
            field.label = _("token")
        return field

    @admin.display(description=_("blacklisted at"), ordering="blacklisted_at")
    def token_blacklisted_at(self, blacklisted):
        return blacklisted.blacklisted_at

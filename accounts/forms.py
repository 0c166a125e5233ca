"""Sign-up, interest picking and account-deletion forms."""

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from courses.models import Tag


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label=_("Email"), help_text=_("For order receipts and live reminders.")
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email


class InterestsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("Your interests"),
        queryset=Tag.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pick at least one topic, or skip this step.")},
    )

    def __init__(self, *args, tag_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if tag_choices is not None:
            self.fields["tags"].queryset = Tag.objects.filter(pk__in=[t.pk for t in tag_choices])


class PasswordConfirmForm(forms.Form):
    """Asks for the current password before an irreversible action (deleting the account)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."))
        return password

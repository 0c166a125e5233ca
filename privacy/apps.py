from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """What the law gives every learner over all their data: export it, clear their history,
    delete their account. It reads and writes every domain app, so it sits above them."""

    name = "privacy"
    verbose_name = _("Privacy")

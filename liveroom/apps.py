from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveroomConfig(AppConfig):
    name = "liveroom"
    verbose_name = _("Live rooms")

    def ready(self):
        from courses.signals import shelf_changed
        from liveroom import receivers

        shelf_changed.connect(receivers.shelf_changed, dispatch_uid="liveroom-shelf-changed")

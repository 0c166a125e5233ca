from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self):
        from commerce.signals import learner_acted
        from recommendations import receivers

        learner_acted.connect(receivers.learner_acted, dispatch_uid="recommendations.feedback")

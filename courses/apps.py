from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Catalog")

    def ready(self):
        # The catalog's services queue its tasks by name; registered here, so a web process
        # (and a test run eagerly) knows them as Celery's worker does.
        from courses import tasks  # noqa: F401
        from courses.search import search_index_build_if_missing

        # A database migrated from before search existed gets its index at once.
        post_migrate.connect(search_index_build_if_missing, sender=self)

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo catalog and behaviour simulation (``manage.py seed_demo``): it uses every app,
    and no app uses it."""

    name = "demo"
    verbose_name = "Demo data"

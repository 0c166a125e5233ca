from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The site's account. A custom model from the first migration, so it can grow later."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

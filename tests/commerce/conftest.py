import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Factories hash every learner's password; the slow production hasher adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

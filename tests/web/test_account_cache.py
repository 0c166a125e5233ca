"""The signed-in account comes from the cache (``accounts.backends``), and what changes an
account takes effect on the next request."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from accounts.backends import user_cache_key

PAGE = reverse("recommendations:how_it_works")  # shows the account's name, reads nothing else
PRIVACY = reverse("recommendations:privacy")  # for signed-in learners only


def test_a_signed_in_page_does_not_read_the_account_from_the_database_twice(
    signed_in, django_assert_num_queries
):
    assert "xiaoming" in signed_in.get(PAGE).content.decode()
    with django_assert_num_queries(0):
        assert "xiaoming" in signed_in.get(PAGE).content.decode()


def test_a_new_password_signs_out_the_other_sessions_at_once(signed_in, learner):
    signed_in.get(PAGE)  # the account is cached
    learner.set_password("another-long-passphrase")
    learner.save()
    assert signed_in.get(PRIVACY).status_code == 302  # to the sign-in page


def test_a_deactivated_account_is_signed_out_at_once(signed_in, learner):
    signed_in.get(PAGE)
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    assert signed_in.get(PRIVACY).status_code == 302


def test_a_deleted_account_is_signed_out_at_once(signed_in, learner):
    signed_in.get(PAGE)
    learner.delete()
    assert signed_in.get(PRIVACY).status_code == 302


def test_a_rolled_back_change_leaves_the_stored_account(signed_in, learner):
    signed_in.get(PAGE)
    with pytest.raises(RuntimeError), transaction.atomic():
        learner.username = "xiaohong"
        learner.save()
        raise RuntimeError("the rest of the change failed")
    page = signed_in.get(PAGE).content.decode()
    assert "xiaoming" in page and "xiaohong" not in page


def test_an_account_read_by_another_request_during_the_change_is_dropped_at_commit(
    signed_in, learner, django_capture_on_commit_callbacks
):
    signed_in.get(PAGE)
    stale = cache.get(user_cache_key(learner.pk))
    with django_capture_on_commit_callbacks(execute=True):
        learner.username = "xiaohong"
        learner.save()
        cache.set(user_cache_key(learner.pk), stale)  # read before the commit, elsewhere
    assert "xiaohong" in signed_in.get(PAGE).content.decode()


def test_signed_in_pages_work_without_the_cache(signed_in, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = signed_in.get(PRIVACY)
    assert response.status_code == 200
    assert "xiaoming" in response.content.decode()

"""The signed-in account comes from the cache (``accounts.backends``), and what changes an
account takes effect on the next request."""

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import cache
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts import backends
from accounts.backends import request_user_and, user_cache_key
from accounts.sessions import SessionStore

PAGE = reverse("web:how_it_works")  # shows the account's name, reads nothing else
PRIVACY = reverse("web:privacy")  # for signed-in learners only


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


def test_signed_in_pages_work_without_the_cache(signed_in, cache_away):
    cache_away()
    response = signed_in.get(PRIVACY)
    assert response.status_code == 200
    assert "xiaoming" in response.content.decode()


def _request(client):
    """A request carrying ``client``'s session, through the authentication middleware."""
    request = RequestFactory().get("/")
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    AuthenticationMiddleware(lambda request: None).process_request(request)
    return request


def _entries(user_id):
    return [f"page:{user_id}"]


def test_request_user_and_reads_the_account_and_the_entries_in_one_round_trip(
    signed_in, learner, monkeypatch, django_assert_num_queries
):
    signed_in.get(PAGE)  # the account is cached
    cache.set(f"page:{learner.pk}", "the learner's page")
    reads = []
    monkeypatch.setattr(
        backends,
        "cache_get_many",
        lambda keys: (
            reads.append(keys) or {key: value for key, value in cache.get_many(keys).items()}
        ),
    )
    monkeypatch.setattr(backends, "cache_get", lambda *args: pytest.fail("a second read"))
    request = _request(signed_in)
    request.session.load()  # the session's own read, not counted here
    with django_assert_num_queries(0):
        user, found = request_user_and(request, _entries)
    assert user == learner and user.is_authenticated
    assert found == {f"page:{learner.pk}": "the learner's page"}
    assert reads == [[user_cache_key(learner.pk), f"page:{learner.pk}"]]


def test_request_user_and_reads_an_uncached_account_from_the_database(
    signed_in, learner, django_assert_num_queries
):
    cache.set(f"page:{learner.pk}", "the learner's page")
    request = _request(signed_in)
    request.session.load()
    with django_assert_num_queries(1):
        user, found = request_user_and(request, _entries)
    assert user == learner
    assert found == {f"page:{learner.pk}": "the learner's page"}
    assert cache.get(user_cache_key(learner.pk)) == learner  # and cached for the next request


def test_request_user_and_reads_the_entries_of_whom_the_session_authenticates(signed_in, learner):
    request = _request(signed_in)
    learner.set_password("another-long-passphrase")
    learner.save()  # the session's password hash no longer matches
    cache.set_many({f"page:{learner.pk}": "the learner's page", "page:None": "everyone's page"})
    user, found = request_user_and(request, _entries)
    assert not user.is_authenticated
    assert found == {"page:None": "everyone's page"}


def test_request_user_and_for_a_signed_out_visitor(db):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    AuthenticationMiddleware(lambda request: None).process_request(request)
    cache.set("page:None", "everyone's page")
    user, found = request_user_and(request, _entries)
    assert not user.is_authenticated
    assert found == {"page:None": "everyone's page"}


def test_request_user_and_without_the_cache(signed_in, learner, cache_away):
    request = _request(signed_in)
    request.session.load()
    cache_away()
    user, found = request_user_and(request, _entries)
    assert user == learner
    assert found == {}

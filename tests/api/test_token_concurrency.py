"""Under real concurrency (PostgreSQL, one connection per thread) a refresh token is rotated
exactly once: the same token sent eight times at once gets one new pair and seven 401s."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from tests.commerce.test_concurrency import run_together
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

REFRESH = "/api/v1/auth/token/refresh/"


def test_a_refresh_token_sent_eight_times_at_once_works_exactly_once(postgres):
    user = UserFactory()
    signed_in = APIClient().post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}
    )
    pair = signed_in.json()

    responses = run_together(8, lambda i: APIClient().post(REFRESH, {"refresh": pair["refresh"]}))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7
    assert BlacklistedToken.objects.count() == 1
    assert OutstandingToken.objects.filter(user=user).count() == 2  # the used one and the new one
    (winner,) = [r for r in responses if r.status_code == 200]
    again = APIClient().post(REFRESH, {"refresh": winner.json()["refresh"]})
    assert again.status_code == 200

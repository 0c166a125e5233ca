"""The operators' admin pages of the recommender."""

import pytest
from django.urls import reverse

from recommendations.models import ModelVersion
from recommendations.services import training
from tests.factories import InstructorFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_operator_rolls_back_to_a_retired_version_from_the_list(
    superuser_client, world, fast_training
):
    first = training.model_train(force=True)
    second = training.model_train(force=True)
    url = reverse("admin:recommendations_modelversion_changelist")
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert f"v{second.pk}" in page.content.decode()

    response = superuser_client.post(
        url, {"action": "make_active", "_selected_action": [first.pk]}, follow=True
    )
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.ACTIVE, Status.RETIRED)


def test_a_failed_version_cannot_be_made_active(superuser_client):
    failed = ModelVersion.objects.create(status=Status.FAILED, error="boom")
    url = reverse("admin:recommendations_modelversion_changelist")
    superuser_client.post(url, {"action": "make_active", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == Status.FAILED


@pytest.mark.parametrize(
    "name", ["modelversion_changelist", "event_changelist", "learnerprofile_changelist"]
)
def test_instructors_cannot_see_the_recommender_admin(client, name):
    client.force_login(InstructorFactory().user)
    assert client.get(reverse(f"admin:recommendations_{name}")).status_code == 403

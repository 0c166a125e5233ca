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


def test_the_version_list_charts_the_metrics_across_versions(superuser_client):
    for ndcg in (0.1, 0.2, 0.3):
        ModelVersion.objects.create(
            status=Status.RETIRED,
            metrics={"ndcg@10": ndcg, "recall@10": 0.5, "coverage": 0.4},
        )
    page = superuser_client.get(reverse("admin:recommendations_modelversion_changelist"))
    html = page.content.decode()
    assert html.count("<polyline") == 3
    assert 'points="0.0,162.0 320.0,144.0 640.0,126.0"' in html  # nDCG 0.1, 0.2, 0.3


def test_retrain_now_queues_a_training_task(superuser_client, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "recommendations.tasks.train_model.delay",
        lambda: queued.append(1) or type("Result", (), {"id": "t-1"})(),
    )
    url = reverse("admin:recommendations_modelversion_retrain")
    assert superuser_client.get(url).status_code == 403
    response = superuser_client.post(url)
    assert response.status_code == 302 and queued == [1]

"""The operators' admin pages of the recommender."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse

from recommendations.models import ModelVersion
from recommendations.services import training
from recommendations.services.serving import recommendations_for
from recommendations.training.artefacts import artefacts_load
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


def _delete_through_the_view(client, version):
    url = reverse("admin:recommendations_modelversion_delete", args=[version.pk])
    return client.post(url, {"post": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")


def _delete_through_the_action(client, *versions):
    url = reverse("admin:recommendations_modelversion_changelist")
    data = {"action": "delete_selected", "_selected_action": [v.pk for v in versions]}
    client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")  # the confirmation page
    return client.post(url, {**data, "post": "yes"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("delete", [_delete_through_the_view, _delete_through_the_action])
def test_the_active_version_is_kept_when_no_earlier_one_could_serve(
    superuser_client, world, fast_training, delete
):
    active = training.model_train(force=True)
    response = delete(superuser_client, active)
    assert response.status_code == 200
    active.refresh_from_db()
    assert active.status == Status.ACTIVE
    assert any(
        f"v{active.pk} is the active model version" in message and "it was kept" in message
        for message in _messages(response)
    ), _messages(response)
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


@pytest.mark.parametrize("delete", [_delete_through_the_view, _delete_through_the_action])
def test_deleting_the_active_version_serves_the_previous_one_first(
    superuser_client, world, fast_training, delete, django_capture_on_commit_callbacks
):
    first = training.model_train(force=True)
    second = training.model_train(force=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = delete(superuser_client, second)
    assert not ModelVersion.objects.filter(pk=second.pk).exists()
    first.refresh_from_db()
    assert first.status == Status.ACTIVE
    assert f"v{first.pk} now serves in place of the deleted active version." in _messages(response)
    with pytest.raises(OSError):  # its files went with it
        artefacts_load(version_id=second.pk, location=second.artefact_path)
    fan = world.cooking_fans[0]
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.source == "model"


def test_the_active_version_is_kept_when_its_only_replacement_is_deleted_with_it(
    superuser_client, world, fast_training
):
    first = training.model_train(force=True)
    second = training.model_train(force=True)
    response = _delete_through_the_action(superuser_client, first, second)
    assert any("it was kept" in message for message in _messages(response))
    assert ModelVersion.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    second.refresh_from_db()
    assert second.status == Status.ACTIVE


def test_versions_that_do_not_serve_are_deleted_as_usual(superuser_client):
    failed = ModelVersion.objects.create(status=Status.FAILED, error="boom")
    rejected = ModelVersion.objects.create(status=Status.REJECTED)
    _delete_through_the_view(superuser_client, failed)
    _delete_through_the_action(superuser_client, rejected)
    assert not ModelVersion.objects.exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2

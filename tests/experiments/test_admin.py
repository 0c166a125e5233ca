"""Staff define experiments in the admin: checked as a whole, started and stopped by actions."""

import pytest
from django.urls import reverse

from recommendations.models import Experiment, Variant
from tests.experiments.conftest import make_experiment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ADD = "admin:recommendations_experiment_add"


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def form(key="diversity", slots="home", variants=(("control", True, 50), ("more", False, 50))):
    data = {
        "key": key,
        "slots": slots,
        "primary_metric": "click_through",
        "max_not_interested_rate": "0.05",
        "max_latency_ms": "200",
        "alpha": "0.05",
        "mixture_sd": "0.05",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for i, (name, control, share) in enumerate(variants):
        data |= {
            f"variants-{i}-name": name,
            f"variants-{i}-share": str(share),
            f"variants-{i}-family": "als",
            f"variants-{i}-diversity_weight": "0.15",
            f"variants-{i}-reason_style": "explained",
            f"variants-{i}-source_order": "model_first",
        }
        if control:
            data[f"variants-{i}-is_control"] = "on"
    return data


def test_staff_define_an_experiment_with_its_variants(staff):
    response = staff.post(reverse(ADD), form())
    assert response.status_code == 302
    experiment = Experiment.objects.get(key="diversity")
    assert experiment.status == "draft"
    assert sorted(experiment.variants.values_list("name", "share")) == [
        ("control", 50),
        ("more", 50),
    ]


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ((("control", True, 50), ("more", False, 40)), "add up to 90%, not 100%"),
        ((("a", False, 50), ("b", False, 50)), "exactly one variant as the control (now 0)"),
        ((("a", True, 50), ("b", True, 50)), "exactly one variant as the control (now 2)"),
        ((("a", True, 100),), "a control and at least one other variant"),
        ((("a", True, 0), ("b", False, 100)), "A share goes from 1 to 100 percent"),
    ],
)
def test_a_bad_experiment_is_refused_with_a_clear_message(staff, variants, message):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.utils.translation.get_language", lambda: "en")
        response = staff.post(reverse(ADD), form(variants=variants), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Experiment.objects.exists()


def test_no_slot_is_refused(staff):
    response = staff.post(reverse(ADD), form(slots=" , "), HTTP_ACCEPT_LANGUAGE="en")
    assert "Name at least one slot." in response.content.decode()


def test_two_running_experiments_cannot_share_a_slot(staff, django_capture_on_commit_callbacks):
    first = make_experiment(key="first", slots="home,home_products")
    second = make_experiment(key="second", slots="home_products")
    url = reverse("admin:recommendations_experiment_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"action": "start", "_selected_action": [first.pk]})
    response = staff.post(
        url,
        {"action": "start", "_selected_action": [second.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("running", "draft")
    assert "Slot home_products is in running experiment “first”" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"action": "stop", "_selected_action": [first.pk]})
        staff.post(url, {"action": "start", "_selected_action": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("stopped", "running")
    assert second.started_at is not None


def test_editing_a_running_experiment_to_overlap_is_refused(staff):
    make_experiment(key="first", slots="home").__class__.objects.filter(key="first").update(
        status="running"
    )
    second = make_experiment(key="second", slots="detail")
    Experiment.objects.filter(pk=second.pk).update(status="running")
    data = form(key="second", slots="detail,home")
    data["variants-INITIAL_FORMS"] = "2"
    data["variants-TOTAL_FORMS"] = "2"
    for i, variant in enumerate(second.variants.order_by("pk")):
        data[f"variants-{i}-id"] = str(variant.pk)
        data[f"variants-{i}-experiment"] = str(second.pk)
        data[f"variants-{i}-name"] = variant.name
        data[f"variants-{i}-family"] = variant.family
        data[f"variants-{i}-share"] = "50"
        if variant.is_control:
            data[f"variants-{i}-is_control"] = "on"
        else:
            data.pop(f"variants-{i}-is_control", None)
    url = reverse("admin:recommendations_experiment_change", args=[second.pk])
    response = staff.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "running experiment “first”" in response.content.decode()


def test_the_database_refuses_a_second_control_and_a_share_out_of_range():
    from django.db import IntegrityError, transaction

    experiment = make_experiment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(experiment=experiment, name="x", is_control=True, share=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Variant.objects.create(experiment=experiment, name="y", share=101)


def test_deleting_an_experiment_forgets_it_at_once(
    staff, running, django_capture_on_commit_callbacks
):
    from recommendations.services.experiments import running_experiments

    assert running_experiments().for_slot("home") is not None
    url = reverse("admin:recommendations_experiment_delete", args=[running.pk])
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"post": "yes"})
    assert running_experiments().for_slot("home") is None


def test_starting_a_running_experiment_changes_nothing(running):
    from recommendations.services.experiments import experiment_start

    again = experiment_start(experiment=running)
    assert (again.status, again.started_at) == ("running", running.started_at)


def test_deleting_experiments_from_the_list_forgets_them_at_once(
    staff, running, django_capture_on_commit_callbacks
):
    from recommendations.services.experiments import running_experiments

    assert running_experiments().for_slot("home") is not None
    url = reverse("admin:recommendations_experiment_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            url, {"action": "delete_selected", "_selected_action": [running.pk], "post": "yes"}
        )
    assert not Experiment.objects.exists()
    assert running_experiments().for_slot("home") is None

"""Exposures written through the API and the home page, read on the staff's results page."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recommendations.models import Exposure
from tests.api.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def results_page(experiment) -> str:
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = staff.get(
        reverse("admin:recommendations_experiment_results", args=[experiment.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return response.content.decode()


def row_of(page: str, variant: str) -> list[str]:
    """The cells of the first results row of ``variant``."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    row = next(r for r in rows if f"<strong>{variant}</strong>" in r)
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def card_event(kind: str, body: dict) -> dict:
    return {
        "client_event_id": str(uuid.uuid4()),
        "type": kind,
        "object_type": "course",
        "object_id": body["items"][0]["id"],
        "client_ts": timezone.now().isoformat(),
        "page": body["slot"],
        "request_id": body["request_id"],
    }


def test_an_api_list_says_its_variant_and_its_clicks_reach_the_results_page(
    trained, world, running
):
    fan = world.python_fans[0]
    api = client_for(fan)
    body = api.get("/api/v1/recommendations/", {"type": "course", "limit": 4}).json()
    assert body["experiment"]["key"] == "als-vs-popularity"
    variant = body["experiment"]["variant"]
    batch = {"client": "ios", "events": [card_event("impression", body), card_event("click", body)]}
    assert api.post("/api/v1/events/", batch, format="json").json()["stored"] == [0, 1]

    cells = row_of(results_page(running), variant)
    assert cells[1:4] == ["1", "1", "100.0% (1)"]  # learners, lists, metric (successes)
    other = row_of(results_page(running), "als" if variant == "popularity" else "popularity")
    assert other[1:3] == ["0", "0"]


def test_lists_outside_experiments_say_so(trained, world):
    body = client_for(world.python_fans[0]).get("/api/v1/recommendations/", {"type": "course"})
    assert body.json()["experiment"] is None


def test_the_home_page_records_its_lists_as_exposures(trained, world, running):
    fan = world.python_fans[0]
    browser = Client()
    browser.force_login(fan)
    page = browser.get(reverse("web:home")).content.decode()
    exposure = Exposure.objects.get(slot="home")
    assert str(exposure.request_id) in page  # the cards carry it back with their events
    browser.get(reverse("web:home"))  # from the cache: the same list, no second exposure
    assert Exposure.objects.filter(slot="home").count() == 1
    cells = row_of(results_page(running), exposure.variant.name)
    assert cells[1:3] == ["1", "1"]


def test_the_results_page_is_for_staff_only(client, running):
    client.force_login(UserFactory())
    url = reverse("admin:recommendations_experiment_results", args=[running.pk])
    assert client.get(url).status_code == 302  # to the admin's sign-in
    client.force_login(UserFactory(is_staff=True))  # staff without the permission
    assert client.get(url).status_code == 403


def test_a_learner_s_export_names_the_experiments_they_were_in(trained, world, running):
    fan = world.python_fans[0]
    api = client_for(fan)
    served = api.get("/api/v1/recommendations/", {"type": "course"}).json()["experiment"]
    api.get("/api/v1/recommendations/", {"type": "course"})
    from privacy.services import data_export

    [entry] = data_export(user=fan)["experiments"]
    assert (entry["experiment"], entry["variant"]) == (served["key"], served["variant"])
    assert entry["lists_shown"] == 2 and entry["first_exposure"]

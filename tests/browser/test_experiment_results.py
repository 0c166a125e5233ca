"""Staff read an experiment's results in a real browser, on a desktop and a phone, under the
Content-Security-Policy. Screenshots in var/screenshots/."""

from playwright.sync_api import expect

from recommendations.models import Variant
from tests.browser.conftest import PHONE
from tests.browser.test_content_security_policy import Violations
from tests.experiments.conftest import expose, make_experiment
from tests.factories import PASSWORD, UserFactory


def test_staff_read_an_experiments_results(page, shot):
    experiment = make_experiment(key="home-als-vs-popularity")
    Variant.objects.create(
        experiment=experiment, name="als-diverse", share=1, family="als", diversity_weight=0.4
    )
    Variant.objects.filter(experiment=experiment, name="als").update(share=49)
    expose(experiment, "popularity", learners=240, clicks=41, not_interested=5)
    expose(experiment, "als", learners=236, clicks=78, not_interested=4)
    expose(experiment, "als-diverse", learners=60, clicks=13, not_interested=6, latency_ms=260)
    admin = UserFactory(is_staff=True, is_superuser=True)
    violations = Violations(page)
    page.goto("/admin/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")
    assert violations.on("/admin/recommendations/experiment/") == []
    results = f"/admin/recommendations/experiment/{experiment.pk}/results/"
    assert page.locator(f'a[href="{results}"]').count() == 1
    assert violations.on(results) == []
    expect(page.locator(".decision")).to_be_visible()
    assert page.locator("figure svg line.ci-valid").count() == 2
    shot(page, "experiment-results-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    shot(page, "experiment-results-phone")
    assert violations.on(f"/admin/recommendations/experiment/{experiment.pk}/change/") == []
    shot(page, "experiment-change-phone")

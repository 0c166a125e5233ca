"""A model's artefacts say who did what (the training matrix, which learner each row is): no URL
serves them, with DEBUG on or off, and versions trained while they were kept in the media keep
serving once the migration has moved them out."""

import importlib
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import clear_url_caches

import config.urls
from recommendations.models import ModelVersion
from recommendations.services import training
from recommendations.services.serving import recommendations_for
from recommendations.training.artefacts import artefact_storage, artefacts_load, model_cache

pytestmark = pytest.mark.django_db

ARTEFACT_FILES = [
    "event_weights.json",
    "index.npz",
    "item_factors.npy",
    "params.json",
    "user_factors.npy",
    "user_items.npz",
]


@pytest.fixture
def urls_with_debug(settings):
    """Build the site's URLs as a process started with DEBUG on or off builds them (the site
    serves the public media itself in DEBUG only, as ``config.urls`` decides when it is
    imported)."""
    original = settings.DEBUG, settings.SERVE_MEDIA

    def build(debug: bool) -> None:
        settings.DEBUG = settings.SERVE_MEDIA = debug
        importlib.reload(config.urls)
        clear_url_caches()

    yield build
    settings.DEBUG, settings.SERVE_MEDIA = original
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def trained(world, fast_training, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = training.model_train(force=True)
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    return version


def _serves_from_the_model(world) -> bool:
    cache.clear()  # no precomputed list: the model itself is loaded and asked
    model_cache.clear()
    return (
        recommendations_for(user=world.cooking_fans[0], item_type="course", k=4).source == "model"
    )


@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG off", "DEBUG on"])
def test_no_url_serves_a_models_artefacts(trained, world, client, settings, urls_with_debug, debug):
    urls_with_debug(debug)
    # The media themselves are served in DEBUG: the 404s below are not for want of a route.
    cover = default_storage.save("covers/cover.svg", ContentFile(b"<svg/>"))
    assert client.get(f"{settings.MEDIA_URL}{cover}").status_code == (200 if debug else 404)

    _, names = artefact_storage().listdir(trained.artefact_path)
    assert sorted(names) == ARTEFACT_FILES
    for name in names:
        path = f"{trained.artefact_path}/{name}"
        for url in (f"{settings.MEDIA_URL}{path}", f"/{path}"):
            assert client.get(url).status_code == 404, url
    assert not (Path(settings.MEDIA_ROOT) / trained.artefact_path).exists()
    assert _serves_from_the_model(world)


def test_a_version_trained_with_its_artefacts_in_the_media_keeps_serving_after_the_move(
    trained, world, settings
):
    media, private = Path(settings.MEDIA_ROOT), Path(artefact_storage().location)
    media.mkdir(parents=True, exist_ok=True)
    shutil.move(private / "recommender", media / "recommender")  # where they used to be
    migration = importlib.import_module("recommendations.migrations.0004_artefacts_out_of_media")

    migration.artefacts_out_of_media(apps, None)

    assert not (media / "recommender").exists()
    assert sorted(p.name for p in (private / trained.artefact_path).iterdir()) == ARTEFACT_FILES
    trained.refresh_from_db()
    assert trained.artefact_path == f"recommender/v{trained.pk}"  # the path it always had
    artefacts_load(version_id=trained.pk, location=trained.artefact_path)
    assert _serves_from_the_model(world)
    migration.artefacts_out_of_media(apps, None)  # run again: nothing to do, nothing lost
    assert sorted(p.name for p in (private / trained.artefact_path).iterdir()) == ARTEFACT_FILES

"""A tuning run chooses a model family per item type; the artefacts and serving follow it."""

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage

from recommendations.engine import (
    ALS,
    EASE,
    GroupedModel,
    LightGCN,
    MultDAE,
    PopularityBlend,
    RP3beta,
    ScoreMix,
)
from recommendations.engine.selection import FAMILIES
from recommendations.models import ModelVersion
from recommendations.services import training
from recommendations.services.events import event_record
from recommendations.services.serving import recommendations_for
from recommendations.training import artefacts
from recommendations.training.artefacts import artefacts_load
from recommendations.training.dataset import ITEM_TYPES

pytestmark = pytest.mark.django_db
Status = ModelVersion.Status
CLASSES = {
    "als": ALS,
    "ease": EASE,
    "rp3beta": RP3beta,
    "dae": MultDAE,
    "lightgcn": LightGCN,
}


def test_a_tuning_run_chooses_a_family_per_item_type_and_serving_uses_it(world, fast_training):
    fast_training.RECOMMENDER_TUNING_BUDGET_SECONDS = 4
    for n, fan in enumerate(world.python_fans[:6]):  # recent learning: something to hold out
        course = world.python_courses[(n + 5) % 8]
        event_record(user=fan, event_type="purchase", object_type="course", object_id=course.pk)
    version = training.model_train(tune=True, force=True)
    assert version.kind == "tune" and version.status == Status.ACTIVE, version.error
    per_type = version.params["per_type"]
    assert set(per_type) == set(ITEM_TYPES)
    course = per_type["course"]
    assert course["family"] in (*FAMILIES, "mix") and 0 <= course["popularity_weight"] <= 1
    # chosen on validation: never below popularity there
    assert course["validation"]["ndcg@10"] >= course["validation"]["popularity"]
    assert per_type["live"]["validation"] == {}  # nobody watched a live session: the defaults
    assert per_type["live"]["family"] == "als"

    loaded = artefacts_load(version_id=version.pk, location=version.artefact_path)
    assert isinstance(loaded.model, GroupedModel)
    chosen = loaded.model_for("course")
    if course["family"] == "mix":
        assert isinstance(chosen, ScoreMix)
    else:
        assert type(getattr(chosen, "base", chosen)) is CLASSES[course["family"]]
    assert loaded.model_for("live") is not None

    fan = world.python_fans[0]
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.personalised and result.source == "model" and result.items
    # fan 0 has seen five of the eight Python courses: the rest of the list is padding
    assert result.items[0].object in world.python_courses
    assert all(item.object in world.python_courses for item in result.items if item.score > 0)
    assert all(item.reason.text for item in result.items)

    retrain = training.model_train(force=True)  # reuses the tuning run's choices
    assert retrain.kind == "retrain" and retrain.params == version.params


def _matrix():
    rng = np.random.default_rng(0)
    return sp.csr_matrix((rng.random((20, 8)) < 0.4).astype(np.float32))


@pytest.mark.parametrize(
    ("family", "params", "weight", "kind"),
    [
        ("als", {"factors": 2, "regularization": 0.1, "alpha": 1.0, "iterations": 2}, 0.0, ALS),
        ("ease", {"regularization": 10.0}, 0.0, EASE),
        ("rp3beta", {"alpha": 1.0, "beta": 0.3}, 0.4, RP3beta),
        ("dae", {"hidden": 4, "epochs": 2, "batch_size": 50}, 0.2, MultDAE),
        ("lightgcn", {"factors": 4, "epochs": 2, "batch_size": 16}, 0.3, LightGCN),
    ],
)
def test_each_choice_is_fitted_as_its_family(family, params, weight, kind):
    choice = {"family": family, "params": params, "popularity_weight": weight}
    model = training._fit_choice(choice, _matrix())
    base = model.base if weight else model
    assert isinstance(base, kind) and isinstance(model, PopularityBlend) == bool(weight)
    assert training._finite(model)
    if kind in (ALS, LightGCN):
        base.item_factors[0, 0] = np.nan
    elif kind is MultDAE:
        base.parameters["decoder"][0, 1] = np.inf
    else:
        base.item_weights[0, 1] = np.inf
    assert not training._finite(model)


def test_a_mix_is_fitted_with_its_models_and_weights():
    choice = {
        "family": "mix",
        "params": {
            "components": [
                {"family": "ease", "params": {"regularization": 10.0}, "weight": 0.6},
                {"family": "rp3beta", "params": {"alpha": 1.0, "beta": 0.3}, "weight": 0.2},
            ]
        },
        "popularity_weight": 0.2,
    }
    model = training._fit_choice(choice, _matrix())
    assert isinstance(model, ScoreMix) and [type(m) for m in model.models] == [EASE, RP3beta]
    assert model.weights == pytest.approx([0.6, 0.2]) and model.popularity_weight == 0.2
    assert training._finite(model)
    model.models[1].item_weights[0, 1] = np.nan
    assert not training._finite(model)


def test_a_tuning_run_that_chooses_a_mix_serves_it(world, fast_training, monkeypatch):
    from recommendations.engine import selection

    def winning(components, start, score, time_left=None, **kwargs):
        baseline = float(
            np.mean(score(sum(w * components[name] for name, w in start.items() if w)))
        )
        mixed = dict.fromkeys(components, 0.0)
        mixed.update({name: 1.0 for name in components if name != "popularity"})
        return mixed, baseline + 1.0, baseline, 2

    monkeypatch.setattr(selection, "mix_weights", winning)
    monkeypatch.setattr(selection, "ALS_SHARE", 0.01)  # two ALS trials, time left for the mix
    fast_training.RECOMMENDER_TUNING_BUDGET_SECONDS = 40
    for n, fan in enumerate(world.python_fans[:6]):
        course = world.python_courses[(n + 5) % 8]
        event_record(user=fan, event_type="purchase", object_type="course", object_id=course.pk)
    version = training.model_train(tune=True, force=True)
    assert version.status == Status.ACTIVE, version.error
    assert version.params["per_type"]["course"]["family"] == "mix"
    loaded = artefacts_load(version_id=version.pk, location=version.artefact_path)
    assert isinstance(loaded.model_for("course"), ScoreMix)
    result = recommendations_for(user=world.python_fans[0], item_type="course", k=4)
    assert result.personalised and result.items
    assert all(item.reason.text for item in result.items)


@pytest.mark.parametrize("family", ["dae", "lightgcn"])
def test_a_tuning_run_that_chooses_a_trained_family_serves_it_with_reasons(
    world, fast_training, family
):
    fast_training.RECOMMENDER_FAMILIES = [family]
    fast_training.RECOMMENDER_TUNING_BUDGET_SECONDS = 20
    for n, fan in enumerate(world.python_fans[:6]):
        course = world.python_courses[(n + 5) % 8]
        event_record(user=fan, event_type="purchase", object_type="course", object_id=course.pk)
    version = training.model_train(tune=True, force=True)
    assert version.status == Status.ACTIVE, version.error
    course = version.params["per_type"]["course"]
    assert course["family"] == family and course["params"]["epochs"] >= 1
    loaded = artefacts_load(version_id=version.pk, location=version.artefact_path)
    assert isinstance(
        getattr(loaded.model_for("course"), "base", loaded.model_for("course")), CLASSES[family]
    )
    fan = world.python_fans[0]
    result = recommendations_for(user=fan, item_type="course", k=4)
    assert result.personalised and result.source == "model" and result.items
    assert result.items[0].object in world.python_courses
    assert all(item.reason.text for item in result.items)
    retrain = training.model_train(force=True)
    assert (
        retrain.status == Status.ACTIVE and retrain.params["per_type"] == version.params["per_type"]
    )


def test_remote_storage_copies_and_deletes_the_subfolders(tmp_path):
    storage = InMemoryStorage()
    storage.save("v1/params.json", ContentFile(b"{}"))
    storage.save("v1/model-0/item_weights.npy", ContentFile(b"w"))
    artefacts._copy_tree(storage, "v1", tmp_path / "copy")
    assert (tmp_path / "copy" / "model-0" / "item_weights.npy").read_bytes() == b"w"
    artefacts._delete_tree(storage, "v1")
    assert not storage.exists("v1/model-0/item_weights.npy")
    assert not storage.exists("v1/params.json")

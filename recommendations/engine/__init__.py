"""The recommender as a plain library: numpy and scipy, no Django.

Outside evaluation scripts rely on these names; keep them stable::

    from recommendations.engine import ALS, fit_best

Names are imported lazily (PEP 562) so that ``import recommendations.engine`` stays cheap
and each model's module can be used on its own.
"""

from importlib import import_module

_EXPORTS = {
    # matrix factorisation
    "ALS": ".als",
    "BPR": ".sgd",
    "LightGCN": ".graph",
    # models that score a user's row (item-based, autoencoder) and the popularity blend
    "EASE": ".item_based",
    "RP3beta": ".item_based",
    "MultDAE": ".autoencoder",
    "PopularityBlend": ".blend",
    "ScoreMix": ".ensemble",
    "load_model": ".persistence",
    "GroupedModel": ".grouped",
    # tuning and the choice of a family
    "fit_best": ".selection",
    "selection": ".selection",
    # content, cold start, popularity
    "ContentModel": ".content",
    "ColdStartMapper": ".content",
    "Popularity": ".popularity",
    # serving primitives
    "mmr_rerank": ".rerank",
    "bought_together": ".cooccurrence",
    # evaluation
    "metrics": ".metrics",
    "splits": ".splits",
    "evaluation": ".evaluation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    try:
        module_name = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = import_module(module_name, __name__)
    value = module if module_name.lstrip(".") == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return __all__

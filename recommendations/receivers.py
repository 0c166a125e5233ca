"""The recommender's listeners to the layers below it.

Commerce cannot call the recommender (it sits below it), so it announces what learners bought,
enrolled in and reserved (``commerce.signals.learner_acted``), and the recommender records the
feedback here. Connected in ``RecommendationsConfig.ready``.
"""

from recommendations.services.events import commerce_feedback_record


def learner_acted(sender, *, user, event_type: str, targets, **kwargs) -> None:
    commerce_feedback_record(user=user, event_type=event_type, targets=targets)

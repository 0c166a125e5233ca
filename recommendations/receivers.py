"""The recommender's listeners to the layers below it.

Commerce and social cannot call the recommender (they sit below it), so they announce what
learners bought, enrolled in, reserved, rated, liked, commented on, shared and followed
(``commerce.signals.learner_acted``), and the recommender records the feedback here. Connected
in ``RecommendationsConfig.ready``.
"""

from recommendations.services.events import commerce_feedback_record


def learner_acted(sender, *, user, event_type: str, targets, value=None, **kwargs) -> None:
    commerce_feedback_record(user=user, event_type=event_type, targets=targets, value=value)

"""What commerce announces to the layers above it.

Commerce sits below the recommender (the recommender reads enrollments to leave bought courses
out), so it cannot call the recommender's services. It announces instead, after each commit, what
a learner bought, enrolled in or reserved; ``recommendations`` listens and records the feedback
events (``recommendations.receivers``). A failing listener never undoes a purchase.
"""

from django.dispatch import Signal

learner_acted = Signal()
"""Sent once a purchase, a free enrollment or a reservation has committed, with ``user``,
``event_type`` ("purchase", "enroll" or "reserve") and ``targets``, a list of
(object type, object id) pairs. ``social`` (above commerce, below the recommender) sends it too,
for a review ("rating", with the rating as ``value``), a like, a comment, a share and a follow;
and so do the live rooms (``liveroom``, beside it), for a comment or a question posted in a live
("comment", "question") and a like."""

"""What the law gives every learner (PIPL; the algorithmic-recommendation provisions, Art. 17):
clear their history, export their data, delete their account.

These reach into every domain app (accounts, commerce, the recommender), so they live in an app
of their own above them; the web pages and the API call them alike.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.tokens import refresh_tokens_revoke_all
from accounts.versions import learner_changed
from commerce.services import commerce_export_for, orders_anonymise_for
from liveroom.selectors import liveroom_export_for
from recommendations.models import Assignment, Event, Exposure, InterestTag
from recommendations.services.profiles import learner_profile_for
from social.selectors import social_export_for
from social.services import social_account_forget

EXPORT_FORMAT_VERSION = 1


@transaction.atomic
def history_clear(*, user) -> int:
    """Forget what the learner did: events, derived interests, and (through
    ``history_cleared_at``) their factors in any model trained before now. Declared tags stay.
    Returns the number of events deleted."""
    deleted, _ = Event.objects.filter(user=user).delete()
    InterestTag.objects.filter(user=user, declared=False, dismissed=False).delete()
    InterestTag.objects.filter(user=user).update(derived_weight=0.0)
    profile = learner_profile_for(user=user)
    profile.history_cleared_at = timezone.now()
    profile.save(update_fields=["history_cleared_at", "updated_at"])
    learner_changed(user)
    return deleted


def data_export(*, user) -> dict:
    """Everything stored about the learner, as one JSON-serialisable document."""
    profile = learner_profile_for(user=user)
    events = Event.objects.filter(user=user).order_by("server_ts", "id")
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "privacy": {
            "personalization_enabled": profile.personalization_enabled,
            "history_cleared_at": (
                profile.history_cleared_at.isoformat() if profile.history_cleared_at else None
            ),
        },
        "interest_tags": [
            {
                "tag": row.tag.name,
                "declared": row.declared,
                "derived_weight": row.derived_weight,
                "deleted_by_you": row.dismissed,
            }
            for row in InterestTag.objects.filter(user=user).select_related("tag")
        ],
        "events": [
            {
                "type": e.event_type,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "value": e.value,
                "position_seconds": e.position_seconds,
                "query": e.query,
                "page": e.page,
                "client": e.client,
                "client_ts": e.client_ts.isoformat(),
                "server_ts": e.server_ts.isoformat(),
                "client_event_id": str(e.client_event_id),
            }
            for e in events.iterator(chunk_size=2000)
        ],
        "experiments": _experiments_of(user),
        **commerce_export_for(user=user),
        **social_export_for(user=user),
        **liveroom_export_for(user=user),
    }


def _experiments_of(user) -> list[dict]:
    """The recommender experiments the learner was in: which variant, since when, and how many
    lists it served them."""
    shown = dict(
        Exposure.objects.filter(user=user)
        .values("variant_id")
        .annotate(n=Count("pk"))
        .values_list("variant_id", "n")
    )
    return [
        {
            "experiment": a.experiment.key,
            "variant": a.variant.name,
            "first_exposure": a.assigned_at.isoformat(),
            "lists_shown": shown.get(a.variant_id, 0),
        }
        for a in Assignment.objects.filter(user=user).select_related("experiment", "variant")
    ]


@transaction.atomic
def account_delete(*, user) -> None:
    """Delete the account and everything about the person; orders stay, anonymised, for the
    accounts, and so do course ratings (without author or text, in the courses' averages);
    comments lose author and words, likes and follows are taken back (``social``). An
    instructor's account holds their shop and courses and is closed by staff.
    The account's refresh tokens are revoked first (their rows outlive it, unowned)."""
    if hasattr(user, "instructor"):
        raise ValidationError(
            "Instructor accounts own courses and products; ask support to close the shop first."
        )
    refresh_tokens_revoke_all(user=user)
    orders_anonymise_for(user=user)
    social_account_forget(user=user)
    user.delete()  # cascades to events, profile, interest tags, enrollments, progress, messages

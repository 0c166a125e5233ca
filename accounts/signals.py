"""Keep the cached accounts of ``accounts.backends`` in step with the database.

Accounts are saved from many places Django owns (the admin, password changes, the last sign-in
time), so the cache listens to the model's signals rather than to this project's services.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import user_forget


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="accounts.user_deleted")
def _user_changed(sender, instance, **kwargs) -> None:
    # Now, for this request; and after the commit, in case another request read the old row
    # into the cache meanwhile.
    user_forget(instance.pk)
    transaction.on_commit(partial(user_forget, instance.pk), robust=True)

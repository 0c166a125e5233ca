"""Keep what hangs on an account in step with the database: its cached copy
(``accounts.backends``), and its refresh tokens when its password changes.

Accounts are saved from many places Django owns (the admin, its password change forms,
``manage.py changepassword``, the last sign-in time), so these listen to the model's signals
rather than to this project's services.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.backends import user_forget
from accounts.tokens import refresh_tokens_revoke_all


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.user_saved")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="accounts.user_deleted")
def _user_changed(sender, instance, **kwargs) -> None:
    # Now, for this request; and after the commit, in case another request read the old row
    # into the cache meanwhile.
    user_forget(instance.pk)
    transaction.on_commit(partial(user_forget, instance.pk), robust=True)


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts.password_changed")
def _password_changed(sender, instance, created, update_fields, **kwargs) -> None:
    """A new password, or none usable any more, revokes every refresh token of the account, in
    the transaction that saves it: an app signed in with the old password must sign in again
    (as the account's other sessions must). ``set_password`` keeps the new password until the
    save is over (``_password``); upgrading a password's hash at sign-in does not, and is not a
    change."""
    if created or (update_fields is not None and "password" not in update_fields):
        return
    if instance._password is not None or not instance.has_usable_password():
        refresh_tokens_revoke_all(user=instance)

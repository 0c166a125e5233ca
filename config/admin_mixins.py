"""Mixins shared by the apps' model admins."""


class ViewOnly:
    """A model admin that shows rows and never adds, changes or deletes them in its forms: rows
    its app's services write (a log, an order), where actions are the only way to act on them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

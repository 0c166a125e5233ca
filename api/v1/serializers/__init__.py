"""Serializers of the v1 API: they parse input and render output, nothing else."""

from rest_framework import serializers

MAX_ID = 999_999_999_999_999_999
"""The largest row id accepted in a request (18 digits, as in paths): it fits a 64-bit column."""


class IdField(serializers.IntegerField):
    """A row id sent in a body: a positive integer of at most 18 digits."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

"""Cursor pagination for every list: stable under inserts, and O(page) however deep."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Pages of ``page_size`` (default 20, at most 100) in the view's ``ordering`` (or the
    ``ordering`` query parameter where a list offers one), newest first by default."""

    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

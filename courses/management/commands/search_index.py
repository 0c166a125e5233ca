"""``manage.py search_index``: index every course for search afresh (after loading data by other
means than the catalog's services, or after changing how text is segmented)."""

import time

from django.core.management.base import BaseCommand

from courses.search import search_index_rebuild


class Command(BaseCommand):
    help = "Index every course for search afresh and recount the search vocabulary."

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = search_index_rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(f"Indexed {count} courses for search in {seconds:.1f} s.")

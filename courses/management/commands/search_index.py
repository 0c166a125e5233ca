"""``manage.py search_index``: index every course, live session, short video and product for
search afresh (after loading data by other means than the catalog's services, or after changing
how text is segmented)."""

import time

from django.core.management.base import BaseCommand

from courses.search import search_index_rebuild


class Command(BaseCommand):
    help = "Index the whole catalog for search afresh and recount the search vocabulary."

    def handle(self, *args, **options):
        started = time.perf_counter()
        counts = search_index_rebuild()
        seconds = time.perf_counter() - started
        indexed = ", ".join(f"{n} {item_type}s" for item_type, n in counts.items())
        self.stdout.write(f"Indexed {indexed} for search in {seconds:.1f} s.")

"""Feedback ingestion throughput: the ingestion service against a bare bulk_create.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_ingest.py

Creates a throw-away test database (``test_<name>``), then times batches of 500 events through
``event_ingest_batch`` (validation, object look-ups, duplicate check, insert) and, in the same run
and interleaved with it, ``Event.objects.bulk_create`` of the same rows built directly. Prints
events per second for each and their ratio. Targets: >= 10,000 events/s and >= 0.5 of the bare rate.
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40, help="batches of 500 for each method")
    args = parser.parse_args()
    if args.batches < 1:
        parser.error("--batches must be at least 1")

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run(args.batches)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(batches: int) -> int:
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast setup
    from recommendations.models import Event
    from recommendations.services.events import _parse, event_ingest_batch
    from tests.factories import CourseFactory, LessonFactory, ShortVideoFactory, UserFactory

    learner = UserFactory()
    courses = [CourseFactory().pk for _ in range(20)]
    lessons = [LessonFactory().pk for _ in range(20)]
    videos = [ShortVideoFactory().pk for _ in range(20)]

    def batch(n=500):
        now = timezone.now().isoformat()
        out = []
        for i in range(n):
            kind = i % 4
            if kind == 0:
                out.append(
                    {"type": "impression", "object_type": "course", "object_id": courses[i % 20]}
                )
            elif kind == 1:
                out.append(
                    {
                        "type": "click",
                        "object_type": "course",
                        "object_id": courses[i % 20],
                        "request_id": str(uuid.uuid4()),
                    }
                )
            elif kind == 2:
                out.append(
                    {
                        "type": "watch",
                        "object_type": "lesson",
                        "object_id": lessons[i % 20],
                        "value": 0.4,
                        "position_seconds": 120,
                    }
                )
            else:
                out.append({"type": "like", "object_type": "video", "object_id": videos[i % 20]})
            out[-1].update(client_event_id=str(uuid.uuid4()), client_ts=now, page="home")
        return out

    service_s = bare_s = 0.0
    for _ in range(batches):
        events = batch()
        started = time.perf_counter()
        result = event_ingest_batch(events=events, client="web", user=learner)
        service_s += time.perf_counter() - started
        assert len(result.stored) == 500, result.rejected[:3]

        now = timezone.now()
        rows = [
            Event(**_parse(e, now=now, client="web", user=learner, visitor_id="")) for e in batch()
        ]
        started = time.perf_counter()
        Event.objects.bulk_create(rows, batch_size=500)
        bare_s += time.perf_counter() - started

    total = batches * 500
    service_rate, bare_rate = total / service_s, total / bare_s
    print(f"database: {connection.vendor}, {batches} batches of 500 events for each method")
    print(f"{'method':<28}{'events/s':>12}")
    print(f"{'event_ingest_batch':<28}{service_rate:>12,.0f}")
    print(f"{'bare bulk_create':<28}{bare_rate:>12,.0f}")
    print(f"ratio service / bare: {service_rate / bare_rate:.2f} (target >= 0.50)")
    print(
        f"service rate target >= 10,000 events/s: {'met' if service_rate >= 10_000 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

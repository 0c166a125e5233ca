"""``manage.py seed_demo``: fill the database with the demo catalog (see ``demo.catalog``).

Idempotent: a second run with the same seed and scale changes nothing. ``--reset`` first deletes
the demo accounts (e-mail domain demo.zhibo.local), everything the demo instructors own and their
media files; categories and tags are kept and reused.
"""

import math
import time
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from courses.models import Instructor
from courses.search import search_index_rebuild
from demo import media as demo_media
from demo.behaviour import DAYS, EVENTS_PER_LEARNER, build_behaviour
from demo.campaigns import DEMO_COUPONS, build_campaigns
from demo.catalog import (
    DEFAULT_ADMIN_PASSWORD,
    DEFAULT_SEED,
    DemoDataConflict,
    build_catalog,
    delete_demo_data,
)
from demo.lesson_kinds import build_lesson_kinds


def _seed(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"--seed must be an integer, not {value!r}") from None


def _scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise CommandError(f"--scale must be a positive number, not {value!r}")
    return scale


def _events_per_learner(value: str) -> float:
    try:
        events = float(value)
    except ValueError:
        events = math.nan
    if not (math.isfinite(events) and events >= 0):
        raise CommandError(f"--events-per-learner must be a number >= 0, not {value!r}")
    return events


def _five_minute_mark(now: datetime) -> datetime:
    """``now`` rounded down to five minutes, so that live sessions start at round times."""
    return now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)


class Command(BaseCommand):
    help = (
        "Seed a demo catalog (instructors, courses, live sessions, short videos, products, "
        "learners), deterministic for a seed. Safe to run again; --reset deletes it first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", default=str(DEFAULT_SEED), help="default %(default)s")
        parser.add_argument(
            "--scale", default="1", help="size multiplier, e.g. 0.1 or 10 (default %(default)s)"
        )
        parser.add_argument(
            "--admin-password",
            default=DEFAULT_ADMIN_PASSWORD,
            help="password of every demo account (default %(default)s)",
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo data before seeding"
        )
        parser.add_argument(
            "--no-media",
            action="store_true",
            help="leave lessons and short videos without the demo's video clips",
        )
        parser.add_argument(
            "--events-per-learner",
            default=str(EVENTS_PER_LEARNER),
            help="simulated feedback events per learner on average; 0 for none "
            "(default %(default)s: 200,000 events at scale 1)",
        )

    def handle(self, *args, **options) -> None:
        seed, scale = _seed(options["seed"]), _scale(options["scale"])
        events_per_learner = _events_per_learner(options["events_per_learner"])
        password = options["admin_password"]
        if not password:
            raise CommandError("--admin-password must not be empty")
        verbose = options["verbosity"] > 0

        def progress(line: str) -> None:
            if verbose:
                self.stdout.write(f"  {line}")

        started = time.perf_counter()
        now = _five_minute_mark(timezone.now())
        if options["reset"]:
            demo_media.delete_demo_media()
            progress(f"reset: {delete_demo_data()} rows of demo data deleted")
        try:
            summary = build_catalog(
                seed=seed,
                scale=scale,
                now=now,
                admin_password=password,
                progress=progress,
            )
        except DemoDataConflict as exc:
            raise CommandError(str(exc)) from None
        if not options["no_media"]:
            teacher = Instructor.objects.get(user__username=summary.instructor_username)
            demo_media.seed_demo_media(instructor=teacher, progress=progress)
        # After the media: articles and audio lessons take their own durations.
        kinds = build_lesson_kinds(seed=seed)
        progress(f"lesson kinds: {kinds['articles']} articles, {kinds['audio']} audio lessons")
        campaigns = build_campaigns(seed=seed, now=now)
        progress(
            f"campaigns: {campaigns.discounts} discounts, {campaigns.coupons} coupons "
            f"({', '.join(DEMO_COUPONS)}), {campaigns.bundles} bundle"
        )
        indexed = search_index_rebuild()
        progress("search index: " + ", ".join(f"{n} {t}s" for t, n in indexed.items()))
        behaviour = None
        if events_per_learner > 0:
            behaviour = build_behaviour(
                seed=seed,
                now=now,
                events_per_learner=events_per_learner,
                latent_path=settings.VAR_DIR / "demo" / "latent-interests.json",
                progress=progress,
            )
        if behaviour is not None and verbose:
            self.stdout.write(
                f"Simulated {behaviour.events:,} feedback events of {behaviour.learners:,} "
                f"learners over {DAYS} days; their latent interests are in var/demo/."
            )
        if not verbose:
            return
        if summary.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo catalog (seed {seed}, scale {scale:g}) created in "
                    f"{time.perf_counter() - started:.1f} s."
                )
            )
            self.stdout.write(f"Admin:      {summary.admin_username} / {password}")
            self.stdout.write(
                f"Instructor: {summary.instructor_username} / {password} "
                "(staff, Instructors group); learners learner0001… share the password"
            )
        else:
            self.stdout.write(
                f"The demo catalog (seed {seed}, scale {scale:g}) is already in the database: "
                "nothing changed."
            )
            self.stdout.write(
                f"Admin: {summary.admin_username}, instructor: {summary.instructor_username} "
                "(passwords as when seeded; --reset to seed again)"
            )

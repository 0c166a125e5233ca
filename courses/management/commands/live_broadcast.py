"""``manage.py live_broadcast <live id or slug> [--seconds N] [--rtmp URL]``: broadcast a
generated test stream for a live session, so the live page has something to play."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from courses import live, selectors


class Command(BaseCommand):
    help = (
        "Broadcast a generated stream (test card, tone, title and clock) for a live session: "
        "HLS into its live folder, then its replay; or to an RTMP ingest server with --rtmp."
    )

    def add_arguments(self, parser):
        parser.add_argument("live", help="the live session's id or slug")
        parser.add_argument("--seconds", type=float, default=300, help="how long (default 300)")
        parser.add_argument("--rtmp", default="", help="publish to this ingest server instead")
        parser.add_argument("--size", default="640x360", help="frame size (default 640x360)")

    def handle(self, *args, **options):
        session = selectors.live_session_by_id_or_slug(value=options["live"])
        if session is None:
            raise CommandError(f"No live session {options['live']!r}.")
        self.stdout.write(f"Broadcasting {session.title} for {options['seconds']:g} s...")
        try:
            session = live.live_broadcast(
                live_session=session,
                seconds=options["seconds"],
                rtmp_url=options["rtmp"],
                size=options["size"],
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        if options["rtmp"]:
            self.stdout.write(self.style.SUCCESS("Published; the ingest server reports the end."))
            return
        replay = f", replay {session.recording}" if session.recording else ""
        self.stdout.write(self.style.SUCCESS(f"Done: {session.status}{replay}."))

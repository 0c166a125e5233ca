"""``manage.py live_replay <stream key> <recording>``: the recording of a live stream becomes
its session's replay. nginx-rtmp runs it from ``exec_record_done`` (platform/nginx-rtmp.conf)."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from courses import live


class Command(BaseCommand):
    help = "Make a live stream's recording (FLV or MPEG-TS under LIVE_ROOT) its replay (HLS VOD)."

    def add_arguments(self, parser):
        parser.add_argument("stream_key")
        parser.add_argument("recording", type=Path)

    def handle(self, *args, **options):
        try:
            session = live.live_replay_import(
                stream_key=options["stream_key"], recording=options["recording"]
            )
        except (PermissionDenied, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Replay of {session.title}: {session.recording}"))

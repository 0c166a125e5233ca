"""``manage.py recommender <action>``: train, precompute, evaluate, status, rollback, trending,
interests. Thin: each action calls one service or task."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recommendations import tasks
from recommendations.engine import cli as engine_cli
from recommendations.models import ModelVersion
from recommendations.services import training
from recommendations.services.profiles import interests_derive
from recommendations.services.serving import precompute_for_users
from recommendations.services.trending import trending_refresh
from recommendations.training.dataset import interactions_export, item_features_export


def meter(fraction: float, width: int = 30) -> str:
    """A text bar for a share between 0 and 1."""
    filled = round(width * min(max(fraction, 0.0), 1.0))
    return f"[{'#' * filled}{'.' * (width - filled)}]"


class Command(BaseCommand):
    help = "Train, evaluate and operate the recommender."
    # ``evaluate`` reads a file and needs no database.
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        train = actions.add_parser("train", help="train a new model version")
        train.add_argument("--sync", action="store_true", help="run here instead of on a worker")
        train.add_argument("--tune", action="store_true", help="search hyper-parameters first")
        train.add_argument("--force", action="store_true", help="train even without new events")
        precompute = actions.add_parser(
            "precompute", help="precompute the active version's top-N lists"
        )
        precompute.add_argument("--sync", action="store_true", help="run here, with progress")
        actions.add_parser(
            "evaluate",
            help="compare models on an interactions file, no database needed "
            "(recommender evaluate --help for its options)",
            add_help=False,
        )
        export = actions.add_parser(
            "export", help="write the training interactions as user,item,weight CSV"
        )
        export.add_argument("path", help="the CSV file to write")
        export.add_argument(
            "--item-features", metavar="PATH", help="also write the items' content features here"
        )
        actions.add_parser("status", help="list the recent model versions")
        rollback = actions.add_parser("rollback", help="serve an earlier version again")
        rollback.add_argument("--to", type=int, dest="to_version", help="the version id")
        actions.add_parser("trending", help="recompute the trending lists")
        actions.add_parser("interests", help="derive the learners' interest tags from events")
        actions.add_parser("cleanup", help="delete old versions' artefacts")

    def run_from_argv(self, argv):
        # ``evaluate`` hands its arguments to the engine's own command line untouched.
        if argv[2:3] == ["evaluate"]:
            sys.exit(engine_cli.main(argv[3:]))
        super().run_from_argv(argv)

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _train(self, *, sync, tune, force, **_):
        if not sync:
            task = tasks.train_tuned_model if tune else tasks.train_model
            result = task.delay()
            self.stdout.write(f"Queued training task {result.id} on the training queue.")
            return
        try:
            version = training.model_train(
                tune=True if tune else None, force=force, progress=self._stage
            )
        except training.TrainingBusy as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self._describe(version))
        if version.status == ModelVersion.Status.FAILED:
            raise CommandError(f"Training failed: {version.error}")

    def _precompute(self, *, sync, **_):
        active = training.active_version()
        if active is None:
            raise CommandError("There is no active model version yet: train one first.")
        if not sync:
            chunks = tasks.precompute_recommendations.delay(active.pk)
            self.stdout.write(f"Precomputing v{active.pk}'s lists (task {chunks.id}).")
            return
        done, total = 0, active.n_users
        for start in range(0, total, tasks.PRECOMPUTE_CHUNK):
            stop = min(start + tasks.PRECOMPUTE_CHUNK, total)
            done += precompute_for_users(version_id=active.pk, user_rows=range(start, stop))
            self._bar(done, total, f"v{active.pk} lists")
        self.stdout.write("")

    def _stage(self, stage: str) -> None:
        self.stdout.write(f"  {stage}…")

    def _bar(self, done: int, total: int, label: str) -> None:
        self.stdout.write(
            f"\r  {label} {meter(done / max(total, 1))} {done:,}/{total:,}", ending=""
        )
        self.stdout.flush()

    def _evaluate(self, **_):
        raise CommandError("Run it as: manage.py recommender evaluate --interactions FILE ...")

    def _export(self, *, path, item_features, **_):
        try:
            rows = interactions_export(path=Path(path), now=timezone.now())
            self.stdout.write(f"Wrote {rows:,} interactions to {path}.")
            if item_features:
                rows = item_features_export(path=Path(item_features))
                self.stdout.write(f"Wrote {rows:,} item features to {item_features}.")
        except OSError as exc:
            raise CommandError(f"Cannot write {exc.filename}: {exc.strerror}") from exc

    def _status(self, **_):
        versions = ModelVersion.objects.all()[:15]
        if not versions:
            self.stdout.write("No model versions yet.")
        for version in versions:
            self.stdout.write(self._describe(version))
            for name in ("ndcg@10", "recall@10", "coverage"):
                if name in version.metrics:
                    value = version.metrics[name]
                    self.stdout.write(f"    {name:<10} {meter(value)} {value:.3f}")

    def _rollback(self, *, to_version, **_):
        try:
            version = training.model_rollback(to_version_id=to_version)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"v{version.pk} is active again.")

    def _trending(self, **_):
        sizes = trending_refresh()
        self.stdout.write("Trending lists: " + ", ".join(f"{t} {n}" for t, n in sizes.items()))

    def _interests(self, **_):
        self.stdout.write(f"Derived interest tags of {interests_derive()} learners.")

    def _cleanup(self, **_):
        cleaned = training.artefacts_cleanup()
        self.stdout.write(f"Deleted the artefacts of {len(cleaned)} old versions.")

    @staticmethod
    def _describe(version: ModelVersion) -> str:
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in version.metrics.items()) or "no metrics"
        line = (
            f"v{version.pk} {version.kind} {version.status}: {version.n_users} learners x "
            f"{version.n_items} items, {version.n_interactions} interactions; {metrics}"
        )
        if version.training_seconds is not None:
            line += f"; {version.training_seconds:.1f} s"
        if version.error:
            line += f" ({version.error})"
        return line

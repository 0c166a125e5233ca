"""``manage.py experiment_demo``: run an A/B experiment (ALS against popularity) on the demo's
simulated learners and print its results (see ``demo.experiment``); the results page in the
admin shows the same."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from demo.experiment import DemoNotReady, experiment_demo_run, load_interests


class Command(BaseCommand):
    help = "Run the demo A/B experiment of the recommender (ALS against popularity)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=400, help="default %(default)s")
        parser.add_argument("--rounds", type=int, default=3, help="default %(default)s")
        parser.add_argument("--seed", type=int, default=0, help="default %(default)s")

    def handle(self, *args, **options) -> None:
        if options["learners"] < 2 or options["rounds"] < 1:
            raise CommandError("--learners must be at least 2 and --rounds at least 1.")
        try:
            interests = load_interests(settings.VAR_DIR / "demo" / "latent-interests.json")
            run = experiment_demo_run(
                interests=interests,
                learners=options["learners"],
                rounds=options["rounds"],
                seed=options["seed"],
                progress=lambda line: self.stdout.write(line) if options["verbosity"] else None,
            )
        except DemoNotReady as missing:
            raise CommandError(str(missing)) from None
        self.stdout.write(f"{run.learners:,} learners, {run.lists:,} lists, {run.clicks:,} clicks.")
        for r in run.results.variants:
            line = f"  {r.variant.name:<12} learners {r.learners:>5}  clicked {100 * r.rate:5.1f}%"
            if r.difference is not None:
                line += (
                    f"  difference {100 * r.difference:+.1f} pt"
                    f"  always-valid p {r.p_value:.4f}  {r.verdict}"
                )
            self.stdout.write(line)
        self.stdout.write(run.results.decision)
        url = reverse("admin:recommendations_experiment_results", args=[run.results.experiment.pk])
        self.stdout.write(f"Results page: {url}")

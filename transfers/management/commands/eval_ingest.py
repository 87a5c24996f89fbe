from django.core.management.base import BaseCommand

from transfers.articles.evaluation import (
    PARTS,
    evaluation_run,
    scores,
    seed_targets_met,
    timing_run,
    worst_timing_run,
)

SEED = "ap-2007-01-16-russia-iran-tor-m1"


class Command(BaseCommand):
    help = (
        "Run the article engine over the annotated articles in tests/data/articles/ and print precision and "
        "recall per part and overall, the seed article's targets, and the time to draft a 1,000-word article."
    )

    def add_arguments(self, parser):
        parser.add_argument("--details", action="store_true", help="List each missed or extra draft.")

    def handle(self, *args, **options):
        results, overall = evaluation_run()
        width = max(len(r["name"]) for r in results + [overall])
        header = f"{'article':<{width}}  claims drafts  " + "  ".join(f"{part:>19}" for part in PARTS)
        self.stdout.write("Precision / recall per part (P/R):")
        self.stdout.write(header)
        for result in [*results, overall]:
            figures = scores(result)
            cells = "  ".join(f"{f'{p:.0%} / {r:.0%}':>19}" for p, r in (figures[part] for part in PARTS))
            self.stdout.write(f"{result['name']:<{width}}  {result['claims']:>6} {result['drafts']:>6}  {cells}")
            if options["details"]:
                for label, why in result["misses"]:
                    self.stdout.write(f"    missed {label}: {why}")
                for extra in result["extras"]:
                    self.stdout.write(f"    extra draft: {extra}")
        seed = next((r for r in results if r["name"] == SEED), None)
        if seed:
            self.stdout.write("Targets on the seed article:")
            for what, figure, target, met in seed_targets_met(seed):
                self.stdout.write(f"  {what}: {figure:.0%} (target {target:.0%}) {'met' if met else 'NOT MET'}")
        words, drafts, seconds = timing_run()
        self.stdout.write(f"Drafting a {words:,}-word article: {seconds:.3f} s ({drafts} drafts; target under 1 s).")
        for what, seconds in worst_timing_run():
            self.stdout.write(f"Reading the worst article of the size limit, {what}: {seconds:.3f} s.")

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, OperationalError

from transfers.models import Source
from transfers.sipri.importer import ImportFileError, ImportOutdated, ImportRejected, sipri_import

MAX_LISTED_ERRORS = 50


class Progress:
    """A bar on a terminal; a line every few seconds otherwise."""

    def __init__(self, stream, interactive):
        self.stream = stream
        self.interactive = interactive
        self.started = time.monotonic()
        self.last_line = 0.0

    def __call__(self, done, total):
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        if self.interactive:
            width = 30
            filled = int(width * done / max(total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} deals, {rate:,.0f}/s")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif done >= total or time.monotonic() - self.last_line >= 5:
            self.last_line = time.monotonic()
            self.stream.write(f"{done}/{total} deals written ({rate:,.0f}/s)\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import a SIPRI Arms Transfers Database trade-register export (legacy 16-column or newer "
        "17-column by-delivery-year format). Safe to run again: unchanged rows write nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--strict", action="store_true", help="Write nothing if any row is bad.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--source-title", help="Title of the Source record that backs the imported figures.")
        parser.add_argument(
            "--reimport",
            action="store_true",
            help="Import a file already recorded as a release again (to repair what an older importer wrote); "
            "no new release is recorded.",
        )
        parser.add_argument(
            "--allow-older",
            action="store_true",
            help="Import an export older than a release of its format already imported: its figures replace "
            "the newer ones (refused without this).",
        )
        parser.add_argument(
            "--user", help="Who runs the import, as recorded with the release (default: the operating-system user)."
        )

    def handle(
        self, *args, file, strict, dry_run, source_title, user=None, reimport=False, allow_older=False, **options
    ):
        most = Source._meta.get_field("title").max_length
        if source_title and len(source_title) > most:
            raise CommandError(f"--source-title is {len(source_title):,} characters long; a title has at most {most}.")
        interactive = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()
        progress = Progress(self.stdout, interactive) if options["verbosity"] > 0 else None
        try:
            report = sipri_import(
                path=file,
                strict=strict,
                dry_run=dry_run,
                source_title=source_title,
                progress=progress,
                user=user,
                again=reimport,
                older=allow_older,
            )
        except ImportFileError as exc:
            raise CommandError(f"{file}: not a SIPRI trade-register export: {exc}. Nothing was written.") from exc
        except KeyboardInterrupt:
            # Ctrl-C: what the batches committed is kept (each is whole), and a run again completes it;
            # --strict and --dry-run are one transaction, rolled back.
            kept = (
                "Nothing was written (--strict and --dry-run write all or nothing)"
                if strict or dry_run
                else "Deals written so far are kept, each whole; run the same command again to complete the import"
            )
            raise CommandError(f"{file}: interrupted. {kept}.", returncode=130) from None
        except ImportOutdated as exc:
            newer = exc.newer
            raise CommandError(
                f"{file}: data generated {exc.generated}, older than release {newer.pk} ({newer.format}, data "
                f"generated {newer.generated}, imported {newer.imported_at:%Y-%m-%d}): its figures would replace the "
                "newer ones. Nothing was written; --allow-older imports it anyway."
            ) from exc
        except ImportRejected as exc:
            self._errors(exc.report.rejected)
            if exc.report.already_recorded:
                raise CommandError(
                    f"{file}: already imported as release {exc.report.release.pk}, which left "
                    f"{self._left_out(exc.report)} out; --strict, so nothing was written. Correct those rows "
                    "and import the corrected file."
                ) from exc
            raise CommandError(
                f"{len(exc.report.rejected)} of {exc.report.rows} rows rejected; --strict, so nothing was written."
            ) from exc
        except (IntegrityError, OperationalError) as exc:
            # Two imports of one file at once: the second meets the first's deals (or SQLite's lock).
            raise CommandError(
                f"{file}: another import or edit wrote the same records at the same time ({exc}). The batches "
                "written before this one stay; run the import again once the other has finished: it completes "
                "this one."
            ) from exc
        if report.already_recorded and not reimport:
            release = report.release
            self.stdout.write(
                f"{file}: already imported as release {release.pk} ({release.format}, data generated "
                f"{release.generated or 'unknown'}, sha256 {report.sha256[:12]}..., imported "
                f"{release.imported_at:%Y-%m-%d %H:%M} by {release.imported_by or 'unknown'}); nothing to do "
                "(--reimport imports it again)."
            )
            if release.rejected:
                # The file's bad rows were left out then and are still: a failure every time it is run.
                self._errors(report.rejected)
                raise CommandError(
                    f"{file}: release {release.pk} left {self._left_out(report)} out; correct them and import "
                    "the corrected file."
                )
            return
        self._summary(report)
        if report.rejected:
            self._errors(report.rejected)
            done = "would be imported (a dry run: nothing was written)" if dry_run else "were imported"
            raise CommandError(
                f"{len(report.rejected)} of {report.rows} rows rejected (listed above); the valid rows {done}."
            )

    @staticmethod
    def _left_out(report):
        """The rows a recorded release left out: those its file still shows (listed), or the
        number recorded (a row refused for its parties, known once they were resolved)."""
        count = max(report.release.rejected, len(report.rejected))
        return f"{count} of {report.rows} rows" + (" (listed above)" if report.rejected else "")

    def _errors(self, errors):
        for error in errors[:MAX_LISTED_ERRORS]:
            self.stderr.write(f"  rejected {error}")
        if len(errors) > MAX_LISTED_ERRORS:
            self.stderr.write(f"  ... and {len(errors) - MAX_LISTED_ERRORS} more")

    def _summary(self, report):
        c, t, d = report.contracts, report.transfers, report.deliveries
        rate = report.rows / report.seconds if report.seconds else 0
        lines = [
            f"{'DRY RUN, nothing written: ' if report.dry_run else ''}{report.path}: {report.format} format, "
            f"{report.encoding}, data generated {report.generated or 'unknown'}",
            f"  rows read {report.rows}, deals {report.deals}, rejected {len(report.rejected)}",
            f"  contracts: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged, "
            f"{c['kept']} kept (edited by hand since the last import)",
            f"  transfers: {t['created']} created, {t['updated']} updated, {t['unchanged']} unchanged",
            f"  deliveries: {d['created']} created, {d['updated']} updated, {d['deleted']} replaced",
            f"  claims created: {report.claims_created} (source '{report.source_key}')",
            f"  new actors: {len(report.actors_created)}, new weapon systems: {report.systems_created}",
            f"  time: {report.seconds:.1f} s ({rate:,.0f} rows/s)",
        ]
        if report.rejoined:
            shown = ", ".join(f"lines {first}-{last} rejoined" for first, last in report.rejoined[:20])
            lines.append(
                f"  rows split over several lines by the export: {len(report.rejoined)} ({shown}"
                f"{' ...' if len(report.rejoined) > 20 else ''})"
            )
        if report.ignored_columns:
            lines.append(f"  columns after SIPRI's, not read: {', '.join(map(repr, report.ignored_columns))}")
        if report.flagged:
            shown = "; ".join(f"line {line}: {what}" for line, _, what in report.flagged[:20])
            lines.append(
                f"  imported as published and flagged (hand entry would refuse them): {len(report.flagged)} "
                f"({shown}{' ...' if len(report.flagged) > 20 else ''})"
            )
        if report.already_recorded:
            lines.append(f"  imported again (--reimport); release {report.release.pk} stays as recorded")
        elif report.release is not None and not report.dry_run:
            lines += self._release_lines(report.release)
        if report.merge is not None:
            lines += self._merge_lines(report.merge)
        if report.actors_created and len(report.actors_created) <= 40:
            lines.append("  actors created: " + ", ".join(report.actors_created))
        if report.kept_references:
            shown = ", ".join(report.kept_references[:20])
            lines.append(
                f"  kept hand edits (not overwritten): {shown}{' ...' if len(report.kept_references) > 20 else ''}"
            )
        self.stdout.write("\n".join(lines))

    def _release_lines(self, release):
        previous = release.previous
        lines = [f"  release {release.pk} recorded (sha256 {release.sha256[:12]}..., by {release.imported_by or '?'})"]
        if release.partial:
            lines.append(
                f"    partial release ({release.partial}): no deal marked absent, and the next release "
                "is matched against the last whole one"
            )
        if previous is None:
            lines.append(f"    first {release.format} release: {release.added} deals")
            return lines
        marked = "not marked absent" if release.partial else "marked absent, not deleted"
        lines += [
            f"    matched to release {previous.pk} (data generated {previous.generated or 'unknown'}): "
            f"{release.matched_exact} exactly, {release.matched_weaker} by a weaker rule, "
            f"{release.ambiguous} ambiguous (left unmatched)",
            f"    deals added {release.added}, dropped {release.dropped} ({marked})",
            f"    what changed: /api/releases/{release.pk}/changes/?since={previous.pk}",
        ]
        return lines

    def _merge_lines(self, merge):
        def counts(counter):
            return ", ".join(f"{n} {what}" for what, n in counter.most_common())

        lines = [f"  one deal with its copy from the {merge.other}: {merge.merged} of this file's deals"]
        if merge.matched:
            lines.append(f"    matched now: {merge.matched.total()} ({counts(merge.matched)})")
        if merge.per_year:
            lines.append(f"    per-year numbers: {counts(merge.per_year)}")
        if merge.unmatched:
            lines.append(f"    not matched: {merge.unmatched.total()} ({counts(merge.unmatched)})")
            lines += [f"      {example}" for example in merge.unmatched_examples[:10]]
        if merge.left_over:
            lines.append(
                f"    stored {merge.other} deals still without a copy here: {merge.left_over.total()} "
                f"({counts(merge.left_over)})"
            )
        return lines

import argparse
import datetime
import os
import stat

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from transfers.articles.review import article_ingest
from transfers.articles.text import MAX_BYTES, MAX_CHARS, text_from_bytes


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        # (argparse's own error: a CommandError raised here came out as a traceback.)
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Ingest a news article (plain text or HTML) as a Source with its full text, and draft its claims for review "
        "in the admin. Metadata not given is read from the text (title, dateline, date line). Nothing is fetched."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The article: a .txt or .html file ('-' reads standard input).")
        parser.add_argument("--title", default="")
        parser.add_argument("--publisher", default="", help="e.g. The Associated Press")
        parser.add_argument("--outlet", default="", help="Where it appeared, e.g. NBC News")
        parser.add_argument("--url", default="")
        parser.add_argument("--date", type=_date, default=None, help="Published date, YYYY-MM-DD.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            if path == "-":
                import sys

                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                if not stat.S_ISREG(os.stat(path).st_mode):
                    raise CommandError(f"{path} is not a regular file.")  # a FIFO would block the open
                with open(path, "rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        if len(data) > MAX_BYTES:
            # More bytes than any text of the limit's length takes (four a character, and a
            # byte order mark): refused whole, never cut to the limit and taken.
            raise CommandError(f"{path} is over {MAX_BYTES:,} bytes: an article has at most {MAX_CHARS:,} characters.")
        raw = text_from_bytes(data)
        try:
            article = article_ingest(
                text=raw,
                title=options["title"],
                publisher=options["publisher"],
                outlet=options["outlet"],
                url=options["url"],
                published_date=options["date"],
            )
        except ValidationError as exc:
            messages = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in exc.message_dict.items())
            raise CommandError(messages) from None
        source = article.source
        drafts = article.drafts.count()
        self.stdout.write(
            f"Source {source.key}: “{source.title}” ({source.publisher or 'publisher unknown'}, "
            f"{source.published_date_display or 'undated'}), {len(article.text.split())} words, {drafts} draft claims."
        )
        self.stdout.write(f"Review them at /admin/transfers/article/{article.pk}/review/")

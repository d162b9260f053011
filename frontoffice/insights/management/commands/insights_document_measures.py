from django.core.management.base import BaseCommand

from frontoffice.insights.docs import DOC_PATH, render


class Command(BaseCommand):
    help = "Write docs/measures.md from the measure definitions (--check: fail if it differs)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, **options):
        text = render()
        if options["check"]:
            current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
            if current != text:
                raise SystemExit(
                    "docs/measures.md is out of date: run frontoffice insights_document_measures"
                )
            return
        DOC_PATH.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {DOC_PATH}")

"""``frontoffice training_install_curriculum [--slug S]``: install the shipped starter courses
and the default observation rubrics (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontoffice.training.default_rubrics import install_default_rubrics
from frontoffice.training.starter import CurriculumError, install_curriculum


class Command(BaseCommand):
    help = "Install (or update) the shipped starter curriculum and the default rubrics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", help="Install only this course.")

    def handle(self, *args: Any, slug: str | None = None, **options: Any) -> None:
        try:
            outcomes = install_curriculum(slug=slug)
        except CurriculumError as exc:
            raise CommandError(str(exc)) from exc
        for course, outcome in outcomes.items():
            self.stdout.write(f"{course}: {outcome}")
        rubrics = install_default_rubrics()
        self.stdout.write(f"{len(outcomes)} courses checked, {rubrics} rubrics created")

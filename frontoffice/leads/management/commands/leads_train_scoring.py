"""``frontoffice leads_train_scoring [--legal-entity ID] [--user USERNAME]``: train the lead
scoring model of one legal entity (default: every legal entity) on its own won/lost history,
activate it, rescore the open leads and print the sample size and holdout metrics.

Runs entirely on this machine: nothing is sent anywhere."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontoffice.leads.scoring import TrainResult, fallback_note, scoring_model_train
from frontoffice.org.models import LegalEntity


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "Retrain lead scoring on each legal entity's won/lost history and rescore open leads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--legal-entity", type=int, help="Legal entity id (default: all).")
        parser.add_argument("--user", help="Username recorded as the trainer (needs leads.manage_leads).")
        parser.add_argument("--l2", type=float, default=1.0, help="L2 regularisation strength (default 1.0).")

    def handle(self, *args: Any, **options: Any) -> None:
        entities = LegalEntity.objects.order_by("id")
        if options["legal_entity"] is not None:
            entities = entities.filter(pk=options["legal_entity"])
            if not entities.exists():
                raise CommandError(f"--legal-entity: no legal entity with id {options['legal_entity']}.")
        if options["l2"] <= 0:
            raise CommandError("--l2: must be greater than 0.")
        actor = None
        if options["user"]:
            User = get_user_model()
            try:
                actor = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"--user: no active user {options['user']!r}.") from exc
        for entity in entities:
            try:
                result = scoring_model_train(actor=actor, legal_entity=entity, l2=options["l2"])
            except PermissionDenied as exc:
                raise CommandError(f"--user: {exc}") from exc
            self.stdout.write(self._summary(entity, result))

    def _summary(self, entity: Any, result: TrainResult) -> str:
        history = result.history
        head = f"{entity} (#{entity.pk}): {history.decided} decided leads ({history.won} won, {history.lost} lost)"
        if result.model is None:
            note = fallback_note(history.as_factor())
            return f"{head}. {note}. {result.rescored} open lead(s) rescored."
        metrics = result.metrics
        return (
            f"{head}. Model #{result.model.pk} trained on {result.model.sample_size} leads and activated; "
            f"holdout of {metrics.get('holdout_size', 0)}: accuracy {_number(metrics.get('accuracy'))}, "
            f"AUC {_number(metrics.get('auc'))}. {result.rescored} open lead(s) rescored."
        )

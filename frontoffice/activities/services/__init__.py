"""Write path of the activities app: ``activities`` (calls, e-mails, tasks, templates),
``meetings`` (scheduling, conflicts, invitations, outcome) and ``links`` (feedback links and
personal calendar feeds)."""

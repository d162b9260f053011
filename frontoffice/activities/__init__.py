"""Calls, e-mails, tasks and face-to-face meetings of the sales desk; the rep's worklist and calendar."""

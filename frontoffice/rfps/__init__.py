"""Requests for proposal: requirements, answer library, approval, submission and outcome."""

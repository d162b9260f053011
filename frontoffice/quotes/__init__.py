"""Quotes and proposals: priced by the customer's approved price profile, sent by e-mail with a private link, accepted online, turned into an invoice."""

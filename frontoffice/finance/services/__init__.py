"""Write path of the ledger, split by sub-domain: posting, chart, periods, SIE import."""

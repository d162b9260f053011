"""Read path of the ledger, split by area: chart, vouchers, reports. Every selector is scoped."""

"""Finance views, one module per area: chart and settings, vouchers, reports, SIE."""

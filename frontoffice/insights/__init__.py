"""Oversight: the measures of PRODUCT.md defined once and computed in SQL, daily facts, scorecards, role dashboards, exports, digests and alerts."""

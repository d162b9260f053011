"""Opportunities, pipeline stages and the weighted forecast; repeat customers."""

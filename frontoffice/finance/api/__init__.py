"""Finance API views (wired under /api/v1/finance/ by frontoffice.api.urls)."""

from frontoffice.pricing.views import authority, profiles

app_name = "pricing"
urlpatterns = [*profiles.urlpatterns, *authority.urlpatterns]

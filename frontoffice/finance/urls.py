from frontoffice.finance.views import chart, reports, sie, vouchers

app_name = "finance"
urlpatterns = [*chart.urlpatterns, *vouchers.urlpatterns, *reports.urlpatterns, *sie.urlpatterns]

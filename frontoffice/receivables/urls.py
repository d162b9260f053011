from frontoffice.receivables.views import bank_import, payments, reminders, reports, settings

app_name = "receivables"
urlpatterns = [
    *payments.urlpatterns,
    *bank_import.urlpatterns,
    *reports.urlpatterns,
    *reminders.urlpatterns,
    *settings.urlpatterns,
]

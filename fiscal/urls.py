from django.urls import path

from . import book_urls, sandbox_urls, views

app_name = "fiscal"

urlpatterns = [
    path("", views.invoice_list, name="invoice_list"),
    path("danfe/", views.danfe_print, name="danfe_print"),
    path("<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("<int:pk>/issue/", views.invoice_issue, name="invoice_issue"),
    path("<int:pk>/check/", views.invoice_check, name="invoice_check"),
    path("<int:pk>/cancel/", views.invoice_cancel, name="invoice_cancel"),
    path("<int:pk>/correct/", views.invoice_correct, name="invoice_correct"),
    path("<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("<int:pk>/return/", views.invoice_return, name="invoice_return"),
    path("<int:pk>/xml/", views.invoice_xml, name="invoice_xml"),
    path("<int:pk>/danfe/", views.invoice_danfe, name="invoice_danfe"),
    path("events/<int:pk>/xml/", views.event_xml, name="event_xml"),
    path("orders/<int:pk>/issue/", views.order_issue, name="order_issue"),
    path("orders/<int:pk>/panel/", views.order_panel, name="order_panel"),
    path("settings/", views.fiscal_settings, name="settings"),
    path("settings/profile/", views.profile_edit, name="profile_edit"),
    path("settings/certificate/", views.certificate_upload, name="certificate_upload"),
    path("series/new/", views.series_new, name="series_new"),
    path("series/<int:pk>/", views.series_edit, name="series_edit"),
    path("rules/", views.tax_rule_list, name="tax_rule_list"),
    path("rules/new/", views.tax_rule_new, name="tax_rule_new"),
    path("rules/<int:pk>/", views.tax_rule_edit, name="tax_rule_edit"),
    path("rules/<int:pk>/toggle/", views.tax_rule_toggle, name="tax_rule_toggle"),
    path("rates/", views.state_rates, name="state_rates"),
    path("rates/save/", views.state_rates_save, name="state_rates_save"),
    path("voided/", views.voided_list, name="voided_list"),
    path("voided/new/", views.voided_new, name="voided_new"),
    path("voided/<int:pk>/xml/", views.voided_xml, name="voided_xml"),
    *book_urls.urlpatterns,
    *sandbox_urls.urlpatterns,
]

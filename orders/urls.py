from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_new, name="order_new"),
    path("new/summary/", views.order_summary, name="order_summary"),
    path("bulk/", views.order_bulk, name="order_bulk"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/override/", views.order_override, name="order_override"),
    path("<int:pk>/<str:action>/", views.order_action, name="order_action"),
    path("survey/answers/", views.survey_list, name="survey_list"),
    path("survey/<str:token>/", views.survey, name="survey"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_new, name="customer_new"),
    path("customers/document/", views.customer_document, name="customer_document"),
    path("customers/search/", views.customer_search, name="customer_search"),
    path("customers/addresses/", views.customer_addresses, name="customer_addresses"),
    path("customers/address-fields/", views.address_fields, name="address_fields"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/addresses/new/", views.address_new, name="address_new"),
    path("customers/<int:pk>/merge/", views.customer_merge, name="customer_merge"),
    path("sandbox/<str:provider>/<path:path>", views.cep_sandbox, name="cep_sandbox"),
]

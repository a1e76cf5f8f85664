from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("products/<int:pk>/active/", views.product_set_active, name="product_set_active"),
    path("products/<int:pk>/stock/<str:action>/", views.product_stock_action, name="product_stock_action"),
    path("receipt/", views.receipt, name="receipt"),
    path("ledger/", views.movement_list, name="movement_list"),
    path("low-stock/", views.low_stock, name="low_stock"),
    path("low-stock/alerts/", views.reorder_alerts, name="reorder_alerts"),
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("warehouses/new/", views.warehouse_new, name="warehouse_new"),
    path("warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
]

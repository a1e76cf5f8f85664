from django.urls import path

from . import views

urlpatterns = [
    path("picking/", views.picking, name="picking"),
    path("picking/pdf/", views.picking_pdf, name="picking_pdf"),
    path("pack/<int:pk>/", views.pack, name="pack"),
    path("parcels/", views.shipment_list, name="shipment_list"),
    path("parcels/labels/", views.labels_pdf, name="labels_pdf"),
    path("parcels/<int:pk>/", views.shipment_detail, name="shipment_detail"),
    path("parcels/<int:pk>/pack/", views.shipment_pack, name="shipment_pack"),
    path("parcels/<int:pk>/scan/", views.shipment_scan, name="shipment_scan"),
    path("parcels/<int:pk>/weigh/", views.shipment_weigh, name="shipment_weigh"),
    path("parcels/<int:pk>/ship/", views.shipment_ship, name="shipment_ship"),
    path("parcels/<int:pk>/reopen/", views.shipment_reopen, name="shipment_reopen"),
    path("parcels/<int:pk>/cancel/", views.shipment_cancel, name="shipment_cancel"),
    path("parcels/<int:pk>/deliver/", views.shipment_deliver, name="shipment_deliver"),
    path("parcels/<int:pk>/labels/", views.shipment_labels, name="shipment_labels"),
    path("parcels/<int:pk>/slip/", views.shipment_slip, name="shipment_slip"),
]

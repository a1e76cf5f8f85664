from django.urls import path

from . import carrier_views as views

urlpatterns = [
    path("carriers/", views.carrier_list, name="carrier_list"),
    path("carriers/new/", views.carrier_new, name="carrier_new"),
    path("carriers/<int:pk>/", views.carrier_detail, name="carrier_detail"),
    path("carriers/<int:pk>/edit/", views.carrier_edit, name="carrier_edit"),
    path("carriers/<int:pk>/active/", views.carrier_toggle, name="carrier_toggle"),
    path("carriers/<int:pk>/credentials/", views.carrier_credentials, name="carrier_credentials"),
    path("carriers/<int:pk>/services/new/", views.service_new, name="service_new"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/rates/", views.rate_list, name="rate_list"),
    path("services/<int:pk>/rates/delete/", views.rate_delete, name="rate_delete"),
    path("boxes/", views.box_list, name="box_list"),
    path("boxes/new/", views.box_new, name="box_new"),
    path("boxes/<int:pk>/edit/", views.box_edit, name="box_edit"),
    path("boxes/<int:pk>/active/", views.box_toggle, name="box_toggle"),
]

from django.urls import path

from . import return_views as views

urlpatterns = [
    path("returns/", views.return_list, name="return_list"),
    path("returns/new/<int:pk>/", views.return_new, name="return_new"),
    path("returns/<int:pk>/", views.return_detail, name="return_detail"),
    path("returns/<int:pk>/approve/", views.return_approve, name="return_approve"),
    path("returns/<int:pk>/refuse/", views.return_refuse, name="return_refuse"),
    path("returns/<int:pk>/receive/", views.return_receive, name="return_receive"),
    path("returns/<int:pk>/inspect/", views.return_inspect, name="return_inspect"),
    path("returns/<int:pk>/close/", views.return_close, name="return_close"),
]

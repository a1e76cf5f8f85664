from django.urls import path

from . import promise_views

urlpatterns = [
    path("late/", promise_views.late_list, name="late"),
]

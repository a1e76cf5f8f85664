from django.urls import path

from . import goal_views, report_views, tracking, views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("tiles/", views.tiles, name="tiles"),
    path("charts/<slug:name>/", views.chart, name="chart"),
    path("goals/", goal_views.goal_list, name="goals"),
    path("goals/new/", goal_views.goal_new, name="goal_new"),
    path("goals/<int:pk>/", goal_views.goal_detail, name="goal_detail"),
    path("goals/<int:pk>/edit/", goal_views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", goal_views.goal_delete, name="goal_delete"),
    path("reports/", report_views.report_list, name="reports"),
    path("reports/new/", report_views.report_new, name="report_new"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", report_views.report_edit, name="report_edit"),
    path("reports/<int:pk>/delete/", report_views.report_delete, name="report_delete"),
    path("reports/<int:pk>/send/", report_views.report_send, name="report_send"),
    path("collect/", tracking.collect, name="collect"),
]

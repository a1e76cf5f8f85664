from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views

handler500 = "backoffice.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # Django's reset by e-mail: the same answer whether or not the address belongs to someone.
    path("password/reset/",
         auth_views.PasswordResetView.as_view(extra_email_context={"site_url": settings.SITE_URL.rstrip("/")}),
         name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # The language can be chosen on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("audit/", views.audit_list, name="audit_list"),
    path("jobs/", views.jobs_list, name="jobs"),
    path("jobs/<int:pk>/run/", views.job_run, name="job_run"),
    path("health/", views.health, name="health"),
    path("filters/save/", views.saved_filter_save, name="saved_filter_save"),
    path("filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("imports/new/<str:kind>/", views.import_new, name="import_new"),
    path("imports/template/<str:kind>.<str:fmt>", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("inventory/", include("inventory.urls")),
    path("orders/", include("orders.urls")),
    path("api/orders/", include("orders.api_urls")),
    path("api/freight/", include("logistics.api_urls")),
    path("payments/", include("payments.urls")),
    path("fiscal/", include("fiscal.urls")),
    path("logistics/", include("logistics.urls")),
    path("analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
]

from django.urls import include, path

app_name = "logistics"
urlpatterns = [
    path("", include("logistics.fulfilment_urls")),
    path("", include("logistics.carrier_urls")),
    path("", include("logistics.public_urls")),
    path("", include("logistics.promise_urls")),
    path("", include("logistics.sandbox_urls")),
    path("", include("logistics.return_urls")),
    path("", include("logistics.notification_urls")),
]

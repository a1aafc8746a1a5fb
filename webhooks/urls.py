"""Pages of the webhooks app: /webhooks/ (Admins)."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="webhook_list"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay_view, name="delivery_replay"),
    path("<int:pk>/ping/", views.subscription_ping_view, name="subscription_ping"),
]

from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("events/", views.event_beacon, name="beacon"),
    path("not-interested/", views.not_interested, name="not_interested"),
    path("how-recommendations-work/", views.how_it_works, name="how_it_works"),
    path("privacy/", views.privacy_center, name="privacy"),
    path("privacy/personalisation/", views.personalisation_switch, name="personalisation"),
    path("privacy/tags/<int:tag_id>/delete/", views.interest_tag_remove, name="tag_delete"),
    path("privacy/history/clear/", views.history_clear_view, name="history_clear"),
    path("privacy/export/", views.data_export_view, name="export"),
    path("privacy/delete-account/", views.account_delete_view, name="account_delete"),
]

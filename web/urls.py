"""Routes of the server-rendered site."""

from django.contrib.auth import views as auth_views
from django.urls import path

from web.views import (
    accounts,
    analytics,
    campaigns,
    catalog,
    commerce,
    feedback,
    live,
    media,
    privacy,
    social,
    studio_lives,
    studio_videos,
)

app_name = "web"

urlpatterns = [
    # Home, catalog and media
    path("", catalog.home, name="home"),
    path("browse/", catalog.browse, name="browse"),
    path("courses/<str:slug>/", catalog.course_detail, name="course"),
    path("lessons/<int:lesson_id>/", catalog.lesson_player, name="lesson"),
    path("lessons/<int:lesson_id>/audio/", catalog.lesson_audio, name="lesson_audio"),
    path("live/<str:slug>/", catalog.live_detail, name="live"),
    path("live/<str:slug>/status/", live.live_status, name="live_status"),
    path("live/<str:slug>/hls/<str:name>", live.live_media, {"kind": "stream"}, name="live_hls"),
    path(
        "live/<str:slug>/replay/<str:name>", live.live_media, {"kind": "replay"}, name="live_replay"
    ),
    path("ingest/", live.ingest_callback, name="live_ingest"),
    # The instructor's own live rooms
    path("studio/lives/", studio_lives.studio_lives, name="studio_lives"),
    path("studio/lives/<int:live_id>/", studio_lives.studio_live, name="studio_live"),
    path("videos/", catalog.video_feed, name="videos"),
    path("products/<str:slug>/", catalog.product_detail, name="product"),
    path("instructors/<str:slug>/", catalog.instructor_detail, name="instructor"),
    path("stream/<int:asset_id>/<path:name>", media.media_file, name="media_file"),
    # Reviews, likes, comments and follows
    path("courses/<str:slug>/review/", social.review_submit, name="review"),
    path("reviews/<int:review_id>/reply/", social.review_reply_submit, name="review_reply"),
    path("videos/<int:video_id>/like/", social.video_like_submit, name="video_like"),
    path("videos/<int:video_id>/share/", social.video_share_submit, name="video_share"),
    path("videos/<int:video_id>/comments/", social.video_comment_submit, name="video_comment"),
    path("comments/<int:comment_id>/remove/", social.comment_remove_submit, name="comment_remove"),
    path("instructors/<str:slug>/follow/", social.follow_submit, name="follow"),
    # Buying and learning
    path("courses/<str:slug>/enroll/", commerce.course_enroll, name="enroll"),
    path("lessons/<int:lesson_id>/progress/", commerce.lesson_progress, name="lesson_progress"),
    path("live/<str:slug>/reserve/", commerce.live_reserve, name="live_reserve"),
    path("cart/", commerce.cart_view, name="cart"),
    path("cart/add/", commerce.cart_add, name="cart_add"),
    path("cart/remove/", commerce.cart_remove, name="cart_remove"),
    path("checkout/", commerce.checkout, name="checkout"),
    path("campaigns/", campaigns.campaigns, name="campaigns"),
    path("bundles/<int:bundle_id>/buy/", campaigns.bundle_buy, name="bundle_buy"),
    path("me/learning/", commerce.my_learning, name="learning"),
    path("me/orders/", commerce.my_orders, name="orders"),
    path("me/orders/<int:order_id>/", commerce.order_detail, name="order"),
    path("me/addresses/", commerce.my_addresses, name="addresses"),
    path("me/addresses/<int:address_id>/", commerce.address_edit, name="address"),
    path("me/addresses/<int:address_id>/delete/", commerce.address_remove, name="address_delete"),
    # The instructor's studio
    path("studio/videos/", studio_videos.studio_videos, name="studio_videos"),
    path("studio/videos/<int:asset_id>/", studio_videos.studio_video, name="studio_video"),
    path(
        "studio/videos/<int:asset_id>/upload/",
        studio_videos.studio_video_upload,
        name="studio_video_upload",
    ),
    # Accounts
    path("accounts/signup/", accounts.sign_up, name="signup"),
    path("accounts/login/", accounts.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/onboarding/", accounts.onboarding, name="onboarding"),
    # Feedback from the page script
    path("events/", feedback.event_beacon, name="beacon"),
    path("not-interested/", feedback.not_interested, name="not_interested"),
    # Privacy and how recommendations work
    path("how-recommendations-work/", privacy.how_it_works, name="how_it_works"),
    path("privacy/", privacy.privacy_center, name="privacy"),
    path("privacy/personalisation/", privacy.personalisation_switch, name="personalisation"),
    path("privacy/tags/<int:tag_id>/delete/", privacy.interest_tag_remove, name="tag_delete"),
    path("privacy/history/clear/", privacy.history_clear_view, name="history_clear"),
    path("privacy/export/", privacy.data_export_view, name="export"),
    path("privacy/delete-account/", privacy.account_delete_view, name="account_delete"),
    # Instructors' numbers
    path("studio/analytics/", analytics.analytics_dashboard, name="analytics"),
    path(
        "studio/analytics/orders.csv", analytics.analytics_orders_csv, name="analytics_orders_csv"
    ),
]

"""Routes of ``/api/v1/``. Item types are plural in paths: courses, lives, videos, products."""

from django.urls import path, register_converter

from api.v1.views import (
    accounts,
    campaigns,
    catalog,
    commerce,
    liveroom,
    recommendations,
    search,
    social,
)


class IdConverter:
    """A row id: up to 18 digits, so every id in a path fits a 64-bit column (a longer one
    matches no route and is a 404 like any unknown id)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

app_name = "v1"

urlpatterns = [
    # Authentication
    path("auth/sign-up/", accounts.SignUpView.as_view(), name="sign-up"),
    path("auth/token/", accounts.SignInView.as_view(), name="token"),
    path("auth/token/refresh/", accounts.TokenRefreshRotatingView.as_view(), name="token-refresh"),
    path("auth/sign-out/", accounts.SignOutView.as_view(), name="sign-out"),
    # Catalog
    path("courses/", catalog.CourseListView.as_view(), name="course-list"),
    path("courses/<id:pk>/", catalog.CourseDetailView.as_view(), name="course-detail"),
    path("lives/", catalog.LiveSessionListView.as_view(), name="live-list"),
    path("lives/<id:pk>/", catalog.LiveSessionDetailView.as_view(), name="live-detail"),
    # Live rooms
    path(
        "lives/<id:pk>/messages/",
        liveroom.MessageListCreateView.as_view(),
        name="live-message-list",
    ),
    path(
        "lives/<id:pk>/messages/<id:message_id>/",
        liveroom.MessageDetailView.as_view(),
        name="live-message-detail",
    ),
    path(
        "lives/<id:pk>/messages/<id:message_id>/question/",
        liveroom.MessageQuestionView.as_view(),
        name="live-message-question",
    ),
    path(
        "lives/<id:pk>/messages/<id:message_id>/answer/",
        liveroom.MessageAnswerView.as_view(),
        name="live-message-answer",
    ),
    path("lives/<id:pk>/mutes/", liveroom.MuteCreateView.as_view(), name="live-mute-list"),
    path(
        "lives/<id:pk>/mutes/<id:user_id>/",
        liveroom.MuteDetailView.as_view(),
        name="live-mute-detail",
    ),
    path("lives/<id:pk>/likes/", liveroom.LikeView.as_view(), name="live-likes"),
    path("videos/", catalog.ShortVideoListView.as_view(), name="video-list"),
    path("videos/feed/", catalog.VideoFeedView.as_view(), name="video-feed"),
    path("videos/<id:pk>/", catalog.ShortVideoDetailView.as_view(), name="video-detail"),
    path("products/", catalog.ProductListView.as_view(), name="product-list"),
    path("products/<id:pk>/", catalog.ProductDetailView.as_view(), name="product-detail"),
    path("categories/", catalog.CategoryListView.as_view(), name="category-list"),
    path("tags/", catalog.TagListView.as_view(), name="tag-list"),
    path("instructors/", catalog.InstructorListView.as_view(), name="instructor-list"),
    path("instructors/<id:pk>/", catalog.InstructorDetailView.as_view(), name="instructor-detail"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("search/suggestions/", search.SearchSuggestionsView.as_view(), name="search-suggestions"),
    # Related items
    *[
        path(
            f"{plural}/<id:pk>/similar/",
            catalog.related_view(kind, "similar"),
            name=f"{kind}-similar",
        )
        for kind, plural in [
            ("course", "courses"),
            ("live", "lives"),
            ("video", "videos"),
            ("product", "products"),
        ]
    ],
    *[
        path(
            f"{plural}/<id:pk>/bought-together/",
            catalog.related_view(kind, "bought-together"),
            name=f"{kind}-bought-together",
        )
        for kind, plural in [("course", "courses"), ("product", "products")]
    ],
    # Reviews, likes, comments and follows
    path(
        "courses/<id:pk>/reviews/",
        social.CourseReviewListView.as_view(),
        name="course-review-list",
    ),
    path("reviews/<id:pk>/", social.ReviewDetailView.as_view(), name="review-detail"),
    path("reviews/<id:pk>/reply/", social.ReviewReplyView.as_view(), name="review-reply"),
    path("videos/<id:pk>/like/", social.VideoLikeView.as_view(), name="video-like"),
    path("videos/<id:pk>/share/", social.VideoShareView.as_view(), name="video-share"),
    path(
        "videos/<id:pk>/comments/",
        social.VideoCommentListView.as_view(),
        name="video-comment-list",
    ),
    path("comments/<id:pk>/", social.CommentDetailView.as_view(), name="comment-detail"),
    path(
        "instructors/<id:pk>/follow/",
        social.InstructorFollowView.as_view(),
        name="instructor-follow",
    ),
    # Recommendations and feedback
    path("recommendations/", recommendations.RecommendationsView.as_view(), name="recommendations"),
    path("trending/", recommendations.TrendingView.as_view(), name="trending"),
    path("events/", recommendations.EventBatchView.as_view(), name="events"),
    # Orders and learning
    path("campaigns/", campaigns.CampaignListView.as_view(), name="campaign-list"),
    path("bundles/<id:pk>/order/", campaigns.BundleOrderView.as_view(), name="bundle-order"),
    path("orders/", commerce.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<id:pk>/", commerce.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<id:pk>/pay/", commerce.OrderPayView.as_view(), name="order-pay"),
    path("orders/<id:pk>/cancel/", commerce.OrderCancelView.as_view(), name="order-cancel"),
    path("enrollments/", commerce.EnrollmentListCreateView.as_view(), name="enrollment-list"),
    path("progress/", commerce.ProgressView.as_view(), name="progress"),
    path("continue-learning/", commerce.ContinueLearningView.as_view(), name="continue-learning"),
    path("reservations/", commerce.ReservationListCreateView.as_view(), name="reservation-list"),
    path(
        "reservations/<id:pk>/",
        commerce.ReservationDetailView.as_view(),
        name="reservation-detail",
    ),
    # The signed-in learner
    path("me/", accounts.MeView.as_view(), name="me"),
    path("me/interests/", accounts.InterestListView.as_view(), name="interest-list"),
    path(
        "me/interests/<id:tag_id>/",
        accounts.InterestDetailView.as_view(),
        name="interest-detail",
    ),
    path("me/addresses/", commerce.AddressListCreateView.as_view(), name="address-list"),
    path("me/addresses/<id:pk>/", commerce.AddressDetailView.as_view(), name="address-detail"),
    path("me/personalization/", accounts.PersonalizationView.as_view(), name="personalization"),
    path("me/export/", accounts.DataExportView.as_view(), name="export"),
    path("me/history/", accounts.HistoryView.as_view(), name="history"),
    path("me/delete/", accounts.AccountDeleteView.as_view(), name="account-delete"),
]

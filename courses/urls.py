from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("", views.home, name="home"),
    path("browse/", views.browse, name="browse"),
    path("courses/<str:slug>/", views.course_detail, name="course"),
    path("courses/<str:slug>/enroll/", views.course_enroll, name="enroll"),
    path("lessons/<int:lesson_id>/", views.lesson_player, name="lesson"),
    path("lessons/<int:lesson_id>/progress/", views.lesson_progress, name="lesson_progress"),
    path("live/<str:slug>/", views.live_detail, name="live"),
    path("live/<str:slug>/reserve/", views.live_reserve, name="live_reserve"),
    path("videos/", views.video_feed, name="videos"),
    path("products/<str:slug>/", views.product_detail, name="product"),
    path("instructors/<str:slug>/", views.instructor_detail, name="instructor"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("me/learning/", views.my_learning, name="learning"),
    path("me/orders/", views.my_orders, name="orders"),
    path("me/orders/<int:order_id>/", views.order_detail, name="order"),
]

from django.shortcuts import render

from courses import selectors


def home(request):
    return render(request, "courses/home.html", {"courses": selectors.course_list_published()[:24]})

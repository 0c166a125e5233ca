"""The price of a course as every page shows it: from ``courses.pricing`` (the one place prices
are computed), with the regular price struck through and the end of the discount when one
runs."""

from django import template

from courses.pricing import course_offer

register = template.Library()


@register.inclusion_tag("courses/includes/course_price.html")
def course_price(course, detail=False):
    """``{% course_price course %}``; ``detail=True`` also says when the discount ends."""
    offer = course_offer(course)
    return {"offer": offer, "list_price": course.list_price, "detail": detail}

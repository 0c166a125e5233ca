"""A violated constraint says what is wrong in the learner's language, on the field it concerns,
and never shows the constraint's name."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import BaseConstraint
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from commerce.models import Order
from courses.models import LiveShelfItem
from tests.factories import CategoryFactory, CourseFactory, UserFactory
from tests.test_admin_scoping import form_data

APPS = ["accounts", "courses", "commerce", "recommendations"]
CONSTRAINTS = [
    pytest.param(model, constraint, id=f"{model.__name__}.{constraint.name}")
    for app in APPS
    for model in apps.get_app_config(app).get_models()
    for constraint in model._meta.constraints
]


@pytest.mark.parametrize(("model", "constraint"), CONSTRAINTS)
def test_every_constraint_has_a_translated_message(model, constraint):
    message = constraint.violation_error_message
    assert message != BaseConstraint.default_violation_error_message
    assert isinstance(message, Promise), "translatable (gettext_lazy)"
    with translation.override("zh-hans"):
        chinese = str(constraint.get_violation_error_message())
    assert chinese != str(message), "translated in locale/zh_Hans"
    assert constraint.name not in chinese
    assert constraint.violation_error_code, "a code clients can test"


@pytest.mark.parametrize(
    "model",
    [m for app in APPS for m in apps.get_app_config(app).get_models() if m._meta.constraints],
    ids=lambda model: model.__name__,
)
def test_the_fields_errors_are_shown_on_are_the_models_own(model):
    codes = {constraint.violation_error_code for constraint in model._meta.constraints}
    field_names = {field.name for field in model._meta.get_fields()}
    for code, field in model.constraint_error_fields.items():
        assert code in codes and field in field_names, (code, field)


def test_a_violation_that_concerns_one_field_is_reported_on_it(db):
    order = Order(number="ZB1", user=UserFactory(), total=0, status=Order.Status.PAID)
    with pytest.raises(ValidationError) as error:
        order.full_clean()
    assert error.value.message_dict["paid_at"] == [
        "A paid or refunded order needs its payment time."
    ]
    assert NON_FIELD_ERRORS not in error.value.message_dict


def test_a_violation_of_several_fields_stays_an_error_of_the_row(db):
    item = LiveShelfItem(flash_price=Decimal("10.00"))  # no start, no end
    with pytest.raises(ValidationError) as error:
        item.validate_constraints(exclude={"live_session", "product"})
    assert error.value.message_dict == {
        NON_FIELD_ERRORS: [
            "A flash sale needs a price, a start and an end after the start, or none of them."
        ]
    }


@pytest.fixture
def editor(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_a_violated_constraint_on_its_field_in_chinese(editor):
    add = reverse("admin:courses_course_add")
    data = form_data(editor.get(add)) | {
        "title": "新课程",
        "slug": "new-course",
        "instructor": CourseFactory().instructor_id,
        "category": CategoryFactory().pk,
        "price": "99.00",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
    }
    response = editor.post(add, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"published_at": ["已发布的课程需要填写发布时间。"]}
    page = response.content.decode()
    assert "已发布的课程需要填写发布时间。" in page
    assert "course_published_has_time" not in page


def test_the_admin_shows_a_list_price_below_the_price_on_the_list_price(editor):
    course = CourseFactory(price=99, published_at=timezone.now() - timedelta(days=1))
    change = reverse("admin:courses_course_change", args=[course.pk])
    data = form_data(editor.get(change)) | {"list_price": "10.00"}
    response = editor.post(change, data)
    assert response.context["adminform"].form.errors == {"list_price": ["划线价不能低于售价。"]}
    assert "course_list_price_not_below_price" not in response.content.decode()

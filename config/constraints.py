"""A violated database constraint reported on the field it concerns.

Django reports a violated ``CheckConstraint``, and a ``UniqueConstraint`` over several fields or
over expressions, as an error of the whole row: the admin shows it above the form, and a
service's ``full_clean`` raises it under no field's name. A model deriving from
``ConstraintErrorsOnFields`` names, in ``constraint_error_fields``, the field each of its
constraints' ``violation_error_code`` concerns; such a violation is then reported on that field
(beside its input in the admin, under its name in a service's ``ValidationError`` and in the
API's problem details). Violations of constraints that concern several fields stay errors of the
row. Every constraint also carries a ``violation_error_message`` in the learner's language, so
nobody is ever shown a constraint's name.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


class ConstraintErrorsOnFields(models.Model):
    """Report constraint violations on the fields named in ``constraint_error_fields``."""

    constraint_error_fields: dict[str, str] = {}
    """``violation_error_code`` → the name of the field the violation is reported on."""

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise errors_on_fields(error, self.constraint_error_fields) from None


def errors_on_fields(error: ValidationError, fields: dict[str, str]) -> ValidationError:
    """``error`` with each of the row's errors whose code is in ``fields`` moved to that field."""
    moved: dict[str, list[ValidationError]] = {}
    for field, errors in error.error_dict.items():
        for each in errors:
            target = fields.get(each.code, field) if field == NON_FIELD_ERRORS else field
            moved.setdefault(target, []).append(each)
    return ValidationError(moved)

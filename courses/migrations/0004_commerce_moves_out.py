"""Orders, their lines, enrollments, lesson progress and live reservations move to the
``commerce`` app. Only Django's idea of where the models live changes here; the tables and their
rows stay, and ``commerce.0002`` renames the tables."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('courses', '0003_commerce'),
        ('commerce', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.RemoveField(
            model_name='lessonprogress',
            name='lesson',
        ),
        migrations.RemoveField(
            model_name='lessonprogress',
            name='user',
        ),
        migrations.RemoveField(
            model_name='livereservation',
            name='live_session',
        ),
        migrations.RemoveField(
            model_name='livereservation',
            name='user',
        ),
        migrations.RemoveField(
            model_name='order',
            name='live_session',
        ),
        migrations.RemoveField(
            model_name='order',
            name='user',
        ),
        migrations.RemoveField(
            model_name='orderline',
            name='order',
        ),
        migrations.RemoveField(
            model_name='orderline',
            name='course',
        ),
        migrations.RemoveField(
            model_name='orderline',
            name='product',
        ),
        migrations.DeleteModel(
            name='Enrollment',
        ),
        migrations.DeleteModel(
            name='LessonProgress',
        ),
        migrations.DeleteModel(
            name='LiveReservation',
        ),
        migrations.DeleteModel(
            name='Order',
        ),
        migrations.DeleteModel(
            name='OrderLine',
        ),
                ],
        ),
    ]

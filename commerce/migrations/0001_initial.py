"""Commerce's models, as they were created in the ``courses`` app (``courses.0003``): this
only tells Django they now belong here, still in their old tables; ``0002`` renames them."""

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('courses', '0003_commerce'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='Order',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('number', models.CharField(editable=False, max_length=24, unique=True, verbose_name='order number')),
                ('idempotency_key', models.CharField(blank=True, help_text='Chosen by the client per checkout, so a retried request places one order.', max_length=64, verbose_name='idempotency key')),
                ('status', models.CharField(choices=[('pending', 'Awaiting payment'), ('paid', 'Paid'), ('cancelled', 'Cancelled'), ('refunded', 'Refunded')], default='pending', max_length=10, verbose_name='status')),
                ('total', models.DecimalField(decimal_places=2, max_digits=10, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='total (CNY)')),
                ('payment_reference', models.CharField(blank=True, max_length=64, verbose_name='payment reference')),
                ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='paid at')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('refunded_at', models.DateTimeField(blank=True, null=True, verbose_name='refunded at')),
                ('anonymised_at', models.DateTimeField(blank=True, null=True, verbose_name='anonymised at')),
                ('live_session', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to='courses.livesession', verbose_name='bought during live session')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to=settings.AUTH_USER_MODEL, verbose_name='buyer')),
            ],
            options={
                'db_table': 'courses_order',
                'verbose_name': 'order',
                'verbose_name_plural': 'orders',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Enrollment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='enrolled at')),
                ('course', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrollments', to='courses.course', verbose_name='course')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='enrollments', to=settings.AUTH_USER_MODEL, verbose_name='learner')),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='enrollments', to='commerce.order', verbose_name='order')),
            ],
            options={
                'db_table': 'courses_enrollment',
                'verbose_name': 'enrollment',
                'verbose_name_plural': 'enrollments',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='OrderLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=120, verbose_name='title at purchase')),
                ('unit_price', models.DecimalField(decimal_places=2, max_digits=10, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='unit price at purchase (CNY)')),
                ('quantity', models.PositiveIntegerField(default=1, verbose_name='quantity')),
                ('is_flash_price', models.BooleanField(default=False, verbose_name='live flash price')),
                ('course', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='order_lines', to='courses.course', verbose_name='course')),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='commerce.order', verbose_name='order')),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='order_lines', to='courses.product', verbose_name='product')),
            ],
            options={
                'db_table': 'courses_orderline',
                'verbose_name': 'order line',
                'verbose_name_plural': 'order lines',
                'ordering': ['order', 'id'],
            },
        ),
        migrations.CreateModel(
            name='LessonProgress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position_seconds', models.PositiveIntegerField(default=0, verbose_name='last position (seconds)')),
                ('percent_watched', models.PositiveSmallIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(100)], verbose_name='furthest share watched (%)')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='last watched')),
                ('lesson', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='progress', to='courses.lesson', verbose_name='lesson')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lesson_progress', to=settings.AUTH_USER_MODEL, verbose_name='learner')),
            ],
            options={
                'db_table': 'courses_lessonprogress',
                'verbose_name': 'lesson progress',
                'verbose_name_plural': 'lesson progress',
                'ordering': ['-updated_at', '-id'],
                'indexes': [models.Index(fields=['user', '-updated_at'], name='progress_user_recent')],
                'constraints': [models.UniqueConstraint(fields=('user', 'lesson'), name='progress_once_per_lesson'), models.CheckConstraint(condition=models.Q(('percent_watched__lte', 100)), name='progress_percent_at_most_100')],
            },
        ),
        migrations.CreateModel(
            name='LiveReservation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='reserved at')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('reminder_sent_at', models.DateTimeField(blank=True, null=True, verbose_name='reminder sent at')),
                ('live_session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reservations', to='courses.livesession', verbose_name='live session')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='live_reservations', to=settings.AUTH_USER_MODEL, verbose_name='learner')),
            ],
            options={
                'db_table': 'courses_livereservation',
                'verbose_name': 'live reservation',
                'verbose_name_plural': 'live reservations',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(condition=models.Q(('cancelled_at__isnull', True), ('reminder_sent_at__isnull', True)), fields=['live_session'], name='reservation_reminder_pending')],
                'constraints': [models.UniqueConstraint(fields=('user', 'live_session'), name='reservation_once_per_live')],
            },
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['user', '-created_at'], name='order_user_created'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(fields=('user', 'idempotency_key'), name='order_idempotency_key_once_per_user'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('total__gte', 0)), name='order_total_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'paid', 'cancelled', 'refunded'])), name='order_status_known'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['paid', 'refunded']), _negated=True), ('paid_at__isnull', False), _connector='OR'), name='order_paid_has_time'),
        ),
        migrations.AddConstraint(
            model_name='enrollment',
            constraint=models.UniqueConstraint(fields=('user', 'course'), name='enrollment_once_per_course'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('course__isnull', False), ('product__isnull', True)), models.Q(('course__isnull', True), ('product__isnull', False)), _connector='OR'), name='order_line_course_xor_product'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='order_line_quantity_min_1'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('unit_price__gte', 0)), name='order_line_price_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='orderline',
            constraint=models.CheckConstraint(condition=models.Q(('course__isnull', True), ('quantity', 1), _connector='OR'), name='order_line_course_once'),
        ),
                ],
        ),
    ]

"""Guest checkout: carts and orders without a user.

A cart belongs to a user or to a guest (a token hash); an order has a user or
a guest email and the guest cart it came from. The new indexes are built with
CREATE INDEX CONCURRENTLY on PostgreSQL (hence a non-atomic migration).
"""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from infra.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('commerce', '0010_payment_status_change'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='cart',
            name='token_hash',
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='order',
            name='email',
            field=models.EmailField(blank=True, help_text="A guest order's email: its mails go there.", max_length=254),
        ),
        migrations.AddField(
            model_name='order',
            name='guest_cart',
            field=models.ForeignKey(blank=True, db_index=False, help_text='The guest cart the order was placed from: its token reads the order.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='guest_orders', to='commerce.cart'),
        ),
        migrations.AlterField(
            model_name='cart',
            name='user',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='cart', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='order',
            name='user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to=settings.AUTH_USER_MODEL),
        ),
        AddIndexConcurrently(
            model_name='cart',
            index=models.Index(condition=models.Q(('user__isnull', True)), fields=['updated_at'], name='cart_guest_updated'),
        ),
        AddIndexConcurrently(
            model_name='order',
            index=models.Index(fields=['guest_cart', '-created_at'], name='order_guest_cart_recent'),
        ),
        AddIndexConcurrently(
            model_name='order',
            index=models.Index(django.db.models.functions.text.Upper('email'), condition=models.Q(('user__isnull', True)), name='order_guest_email'),
        ),
        migrations.AddConstraint(
            model_name='cart',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('token_hash__isnull', True), ('user__isnull', False)), models.Q(('token_hash__isnull', False), ('user__isnull', True)), _connector='OR'), name='cart_of_a_user_or_a_guest'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(condition=models.Q(('guest_cart__isnull', False), ('idempotency_key__isnull', False)), fields=('guest_cart', 'idempotency_key'), name='order_idempotency_key_per_guest_cart'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.CheckConstraint(condition=models.Q(('user__isnull', False), models.Q(('email', ''), _negated=True), _connector='OR'), name='order_of_a_user_or_a_guest_email'),
        ),
    ]

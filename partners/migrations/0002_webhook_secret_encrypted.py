"""Webhook secrets encrypted at rest (FIELD_ENCRYPTION_KEY), and the previous
secret kept for the overlap after a rotation."""

from django.db import migrations, models

import infra.encryption


def secrets_encrypt(apps, schema_editor):
    Webhook = apps.get_model("partners", "Webhook")
    for webhook in Webhook.objects.only("secret").iterator():
        webhook.encrypted_secret = webhook.secret
        webhook.save(update_fields=["encrypted_secret"])


def secrets_decrypt(apps, schema_editor):
    Webhook = apps.get_model("partners", "Webhook")
    for webhook in Webhook.objects.only("encrypted_secret").iterator():
        webhook.secret = webhook.encrypted_secret
        webhook.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhook",
            name="encrypted_secret",
            field=infra.encryption.EncryptedTextField(editable=False, null=True),
        ),
        # Nullable while the values move, so that the reverse can add it back to filled rows.
        migrations.AlterField(
            model_name="webhook",
            name="secret",
            field=models.CharField(editable=False, max_length=100, null=True),
        ),
        migrations.RunPython(secrets_encrypt, secrets_decrypt, elidable=True),
        migrations.RemoveField(model_name="webhook", name="secret"),
        migrations.RenameField(model_name="webhook", old_name="encrypted_secret", new_name="secret"),
        migrations.AlterField(
            model_name="webhook",
            name="secret",
            field=infra.encryption.EncryptedTextField(editable=False),
        ),
        migrations.AddField(
            model_name="webhook",
            name="previous_secret",
            field=infra.encryption.EncryptedTextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="webhook",
            name="secret_rotated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]

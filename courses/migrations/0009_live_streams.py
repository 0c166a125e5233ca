from django.db import migrations, models

import courses.models


def give_each_live_a_key(apps, schema_editor):
    LiveSession = apps.get_model("courses", "LiveSession")
    for live in LiveSession.objects.filter(stream_key="").only("pk").iterator():
        live.stream_key = courses.models.new_stream_key()
        live.save(update_fields=["stream_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0008_lesson_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="livesession",
            name="stream_key",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_live_a_key, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="livesession",
            name="stream_key",
            field=models.CharField(
                default=courses.models.new_stream_key,
                editable=False,
                help_text="Secret: whoever has it may broadcast this live session.",
                max_length=64,
                verbose_name="stream key",
            ),
        ),
        migrations.AddField(
            model_name="livesession",
            name="recording",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The replay recorded from the live stream, under the live folder.",
                max_length=200,
                verbose_name="recording",
            ),
        ),
        migrations.AddConstraint(
            model_name="livesession",
            constraint=models.UniqueConstraint(
                fields=("stream_key",), name="live_stream_key_unique"
            ),
        ),
    ]

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_entry_sync_provenance_and_translations"),
    ]

    operations = [
        # The column keeps its name: only the model's attribute changes (`last_seen_at` is now
        # a property, the later of this column and the entry's sighting).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name="entry", old_name="last_seen_at", new_name="stored_last_seen_at"
                ),
                migrations.AlterField(
                    model_name="entry",
                    name="stored_last_seen_at",
                    field=models.DateTimeField(
                        blank=True,
                        db_column="last_seen_at",
                        null=True,
                        verbose_name="last seen at the source",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="EntrySighting",
            fields=[
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="sighting",
                        serialize=False,
                        to="catalog.entry",
                    ),
                ),
                ("seen_at", models.DateTimeField()),
            ],
        ),
    ]

"""ClientActivity.due_at: when the evaluation pass must look at a client next (engagements/due.py).

The pass now writes ClientActivity rows too (for clients that had none); on PostgreSQL the rows go
with their client and owner inside the database (ON DELETE CASCADE), as flags do (0002), so that a
pass committing a row for a client being deleted cannot make the deletion fail.
"""

from django.db import migrations, models
from django.utils import timezone

ALTER = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN
        SELECT con.conname, att.attname, ref.relname AS target
        FROM pg_constraint con
        JOIN pg_class tbl ON tbl.oid = con.conrelid
        JOIN pg_class ref ON ref.oid = con.confrelid
        JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
        WHERE tbl.relname = 'engagements_clientactivity' AND con.contype = 'f'
          AND att.attname IN ('client_id', 'owner_id')
    LOOP
        EXECUTE format('ALTER TABLE engagements_clientactivity DROP CONSTRAINT %%I', r.conname);
        EXECUTE format(
            'ALTER TABLE engagements_clientactivity ADD CONSTRAINT %%I FOREIGN KEY (%%I) '
            'REFERENCES %%I (id) {on_delete} DEFERRABLE INITIALLY DEFERRED',
            r.conname, r.attname, r.target
        );
    END LOOP;
END $$;
"""


def alter(on_delete):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(ALTER.replace("{on_delete}", on_delete))  # %% is psycopg's %

    return run


def everyone_due(apps, schema_editor):
    """Every client is looked at once by the next beat, which then stores its next moment."""
    apps.get_model("engagements", "ClientActivity").objects.update(due_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('engagements', '0012_interaction_mail_suggestions'),
    ]

    operations = [
        migrations.AddField(
            model_name='clientactivity',
            name='due_at',
            field=models.DateTimeField(db_index=True, help_text='When the evaluation pass must look at this client next: the time of a write since its last look, or the next moment a verdict can change (engagements/due.py).', null=True),
        ),
        migrations.RunPython(everyone_due, migrations.RunPython.noop),
        migrations.RunPython(alter("ON DELETE CASCADE"), alter("")),
    ]

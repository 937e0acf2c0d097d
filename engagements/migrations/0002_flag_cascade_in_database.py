"""On PostgreSQL, flags go with their subject inside the database too (ON DELETE CASCADE).

Django deletes a client's flags before the client; a pass that commits a flag for that client in
between would otherwise make the deletion fail on the deferred foreign-key check.
"""

from django.db import migrations

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
        WHERE tbl.relname = 'engagements_flag' AND con.contype = 'f'
    LOOP
        EXECUTE format('ALTER TABLE engagements_flag DROP CONSTRAINT %%I', r.conname);
        EXECUTE format(
            'ALTER TABLE engagements_flag ADD CONSTRAINT %%I FOREIGN KEY (%%I) REFERENCES %%I (id) '
            '{on_delete} DEFERRABLE INITIALLY DEFERRED', r.conname, r.attname, r.target
        );
    END LOOP;
END $$;
"""


def alter(on_delete):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(ALTER.replace("{on_delete}", on_delete))  # %% is psycopg's %

    return run


class Migration(migrations.Migration):
    dependencies = [("engagements", "0001_initial")]
    operations = [migrations.RunPython(alter("ON DELETE CASCADE"), alter(""))]

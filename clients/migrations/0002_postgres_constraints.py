"""Constraints that only PostgreSQL can hold; on SQLite the model's clean() is the guard.

- working windows of one profile never overlap on the same weekday (exclusion constraint);
- time zone names must be ones PostgreSQL knows (a CHECK through a small function).
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE clients_workingwindow ADD CONSTRAINT working_windows_do_not_overlap
    EXCLUDE USING gist (
        profile_id WITH =, weekday WITH =,
        tsrange('2000-01-01'::date + "start", '2000-01-01'::date + "end", '[)') WITH &&
    );
CREATE OR REPLACE FUNCTION rapport_is_time_zone(name text) RETURNS boolean AS $$
BEGIN
    PERFORM now() AT TIME ZONE name;
    RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END;
$$ LANGUAGE plpgsql IMMUTABLE;
ALTER TABLE clients_freelancerprofile
    ADD CONSTRAINT profile_timezone_valid CHECK (rapport_is_time_zone(timezone));
ALTER TABLE clients_client ADD CONSTRAINT client_timezone_valid CHECK (rapport_is_time_zone(timezone));
"""

BACKWARD = """
ALTER TABLE clients_client DROP CONSTRAINT IF EXISTS client_timezone_valid;
ALTER TABLE clients_freelancerprofile DROP CONSTRAINT IF EXISTS profile_timezone_valid;
DROP FUNCTION IF EXISTS rapport_is_time_zone(text);
ALTER TABLE clients_workingwindow DROP CONSTRAINT IF EXISTS working_windows_do_not_overlap;
"""


def run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD))]

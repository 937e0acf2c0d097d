"""Working windows may end at 24:00 and run past midnight (an end at or before the start is on
the next day; 00:00–00:00 is the whole day).

On PostgreSQL the exclusion constraint of 0002 compared windows of one weekday only; a night now
overlaps the next morning's window, and Sunday night Monday morning. Each window becomes its
stretch of a reference week (2001-01-01 was a Monday), plus the same stretch a week earlier, as
one multirange (PostgreSQL 14+): two windows of a profile overlap iff their multiranges do.
"""

import datetime

from django.db import migrations, models

FORWARD = """
ALTER TABLE clients_workingwindow DROP CONSTRAINT IF EXISTS working_windows_do_not_overlap;
CREATE OR REPLACE FUNCTION rapport_window_in_week(weekday integer, starts time, ends time)
RETURNS tsmultirange AS $$
    SELECT tsmultirange(r, tsrange(lower(r) - interval '7 days', upper(r) - interval '7 days'))
    FROM (
        SELECT tsrange(
            DATE '2001-01-01' + weekday + starts,
            DATE '2001-01-01' + weekday + ends
                + CASE WHEN ends <= starts THEN interval '1 day' ELSE interval '0' END
        ) AS r
    ) AS w
$$ LANGUAGE sql IMMUTABLE;
ALTER TABLE clients_workingwindow ADD CONSTRAINT working_windows_do_not_overlap
    EXCLUDE USING gist (
        profile_id WITH =, rapport_window_in_week(weekday, "start", "end") WITH &&
    );
"""

BACKWARD = """
ALTER TABLE clients_workingwindow DROP CONSTRAINT IF EXISTS working_windows_do_not_overlap;
DROP FUNCTION IF EXISTS rapport_window_in_week(integer, time, time);
ALTER TABLE clients_workingwindow ADD CONSTRAINT working_windows_do_not_overlap
    EXCLUDE USING gist (
        profile_id WITH =, weekday WITH =,
        tsrange('2000-01-01'::date + "start", '2000-01-01'::date + "end", '[)') WITH &&
    );
"""


def run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("clients", "0004_input_limits")]

    operations = [
        migrations.RemoveConstraint(model_name="workingwindow", name="window_starts_before_it_ends"),
        migrations.AddConstraint(
            model_name="workingwindow",
            constraint=models.CheckConstraint(
                condition=~models.Q(start=models.F("end")) | models.Q(start=datetime.time(0)),
                name="window_is_not_empty",
            ),
        ),
        migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD)),
    ]

"""A working-calendar file for 2027 with MADE-UP dates, for tests only.

These are not the State Council's 2027 holidays (not published when this was written): the
festivals are roughly where they fall, the days are invented. Never copy them into a deployment.
"""

from __future__ import annotations

from pathlib import Path

MADE_UP_2027 = """\
# MADE-UP dates for tests: NOT the State Council's notice for 2027.
year,kind,first,last,name
2027,放假,2027-01-01,2027-01-03,元旦
2027,放假,2027-02-06,2027-02-13,春节
2027,上班,2027-02-14,,春节
2027,上班,2027-02-20,,春节
2027,放假,2027-04-03,2027-04-05,清明节
2027,放假,2027-05-01,2027-05-05,劳动节
2027,上班,2027-05-08,,劳动节
2027,放假,2027-06-09,2027-06-11,端午节
2027,放假,2027-09-15,2027-09-17,中秋节
2027,上班,2027-09-26,,国庆节
2027,放假,2027-10-01,2027-10-07,国庆节
2027,上班,2027-10-09,,国庆节
"""


def write_made_up_2027(folder: Path) -> Path:
    path = folder / "holidays-2027-made-up.csv"
    path.write_text(MADE_UP_2027, encoding="utf-8")
    return path

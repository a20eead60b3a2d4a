"""Hot issues (热点问题) and the work they become (未诉先办 / 每月一题, issue 20).

- ``issues``: what a hot issue is (``HotIssue``, its ``HeatFactors``) and what a case looks like
  to the grouping (``CaseTopic``);
- ``topics``: loading the cases of a period as ``CaseTopic`` rows (topic words, place key);
- ``grouping``: cases grouped by what the problem is, then where;
- ``heat``: the factors and the ranking's formula (``config/hot.py``);
- ``ranking``: the hot issues of a period, hottest first;
- ``items``: governance items made from hot issues, their milestones, notes, cases and close;
- ``linking``: new cases that match an open item are linked as they arrive;
- ``ledger``: the items as a 台账, filtered and exported;
- ``warnings``: the sweep that spots a topic or place whose volume jumps.
"""

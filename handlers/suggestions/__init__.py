"""人民建议征集 (issue 18): residents' suggestions from intake to publication.

- :mod:`records`: numbers, the status machine, events on the timeline, telling the proposer.
- :mod:`intake`: a message read as 建议 becomes a suggestion (chat, mini-program, Open311,
  staff), with the reply the resident reads.
- :mod:`publication`, :mod:`anonymise`, :mod:`public`: publishing an adopted suggestion with
  its proposer's consent, in the wording the office approved, and what anyone may read.
- :mod:`credit`: the certificate (感谢信) and the year's credited proposers.
- :mod:`figures`: received, screened in time, adopted, forwarded, 批示, 落地; the year's table.
"""

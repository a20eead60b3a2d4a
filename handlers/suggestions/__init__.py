"""人民建议征集 (issue 18): residents' suggestions from intake to publication.

- :mod:`records`: numbers, the status machine, events on the timeline, telling the proposer.
- :mod:`intake`: a message read as 建议 becomes a suggestion (chat, mini-program, Open311,
  staff), with the reply the resident reads.
- :mod:`submissions`: the mini-program's suggestion form; :mod:`entry`: suggestions received by
  phone, letter or at a station, entered by staff; :mod:`resident_view`: what the proposer reads.
- :mod:`calls`: themed calls (征集活动) written, opened with their broadcast notice, closed;
  :mod:`call_replies`: replies gathered under a call (chat keyword, menu, mini-program);
  :mod:`call_results`: what a call gathered, counted and grouped into similar ideas.
"""

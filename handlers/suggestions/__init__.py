"""人民建议征集 (issue 18): residents' suggestions from intake to publication.

- :mod:`records`: numbers, the status machine, events on the timeline, telling the proposer.
- :mod:`intake`: a message read as 建议 becomes a suggestion (chat, mini-program, Open311,
  staff), with the reply the resident reads.
- :mod:`access`: who sees which suggestion, and the refusals staff read; :mod:`steps`: one
  step checked, recorded and audited.
- :mod:`office`: the suggestion office's screening (ask, merge, decline, reconsider, forward,
  批示, 落地); :mod:`adoption`: 采纳 for departments; :mod:`departments`: their answers and what
  is overdue; :mod:`additions`: the proposer adds what the office asked for.
- :mod:`conversion`: suggestion → case and case → suggestion, history kept; :mod:`chat`: 转为诉求
  and the answer to the office's question in the chat.
- :mod:`queue`: the lists staff see; :mod:`export`: the city export (JSON, CSV).
- :mod:`submissions`: the mini-program's suggestion form; :mod:`entry`: suggestions received by
  phone, letter or at a station, entered by staff; :mod:`resident_view`: what the proposer reads.
- :mod:`calls`: themed calls (征集活动) written, opened with their broadcast notice, closed;
  :mod:`call_replies`: replies gathered under a call (chat keyword, menu, mini-program);
  :mod:`call_results`: what a call gathered, counted and grouped into similar ideas.
- :mod:`publication`, :mod:`anonymise`, :mod:`public`: publishing an adopted suggestion with
  its proposer's consent, in the wording the office approved, and what anyone may read.
- :mod:`consent`: the proposer's consent to publication given or withdrawn in the chat
  (「同意公开」, 「不同意公开」); :mod:`photos`: a suggestion's photos for staff who may read it.
- :mod:`credit`: the certificate (感谢信) and the year's credited proposers.
- :mod:`figures`: received, screened in time, adopted, forwarded, 批示, 落地; the year's table.
"""

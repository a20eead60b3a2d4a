"""人民建议征集 (issue 18): residents' suggestions from intake to publication.

- :mod:`records`: numbers, the status machine, events on the timeline, telling the proposer.
- :mod:`intake`: a message read as 建议 becomes a suggestion (chat, mini-program, Open311,
  staff), with the reply the resident reads.
"""

"""The district knowledge base (知识库, issue 19): entries that answer residents' questions.

- :mod:`~handlers.knowledge.records`: an entry as given (form, API, file row), checked.
- :mod:`~handlers.knowledge.editing`: create, edit, publish, retire, each a version and an audit
  event; who may do which (``handlers.staff.permissions``).
- :mod:`~handlers.knowledge.files`: import (preview, then apply, idempotent) and export as CSV
  or XLSX; the demo district's entries.
- :mod:`~handlers.knowledge.answering`: the published entries in memory and
  :meth:`KnowledgeBase.answer_for`, the one call intake makes.
- :mod:`~handlers.knowledge.from_cases`: a unit's answer to a 咨询 case becomes an entry, or
  the resident's words a wording of one.
- :mod:`~handlers.knowledge.intake`: a question answered at intake (chat and mini-program
  alike); :mod:`~handlers.knowledge.asks`: each question kept with what came of it;
  :mod:`~handlers.knowledge.feedback`: 解决了 / 没解决 by the ask, tapped in the chat or sent by
  the mini-program.
- :mod:`~handlers.knowledge.reranking`: the configured LLM's second opinion when the local rule
  hesitates (only with an LLM configured).
- :mod:`~handlers.knowledge.reminders`: the sweep that tells an entry's unit before it expires.
- :mod:`~handlers.knowledge.figures`: the figures of a period, each defined once;
  :mod:`~handlers.knowledge.usage`: the entries used and the stale entries;
  :mod:`~handlers.knowledge.gaps`: the questions no entry answered, grouped, and the entries
  whose answers were said 没解决.
"""

"""The district knowledge base (知识库, issue 19): entries that answer residents' questions.

- :mod:`~handlers.knowledge.records`: an entry as given (form, API, file row), checked.
- :mod:`~handlers.knowledge.editing`: create, edit, publish, retire, each a version and an audit
  event; who may do which (``handlers.staff.permissions``).
- :mod:`~handlers.knowledge.files`: import (preview, then apply, idempotent) and export as CSV
  or XLSX; the demo district's entries.
- :mod:`~handlers.knowledge.answering`: the published entries in memory and
  :meth:`KnowledgeBase.answer_for`, the one call intake makes.
- :mod:`~handlers.knowledge.reranking`: the configured LLM's second opinion when the local rule
  hesitates (only with an LLM configured).
- :mod:`~handlers.knowledge.reminders`: the sweep that tells an entry's unit before it expires.
"""

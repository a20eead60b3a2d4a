"""Photos of a case whoever took them: thumbnails, who may fetch them, workers' own uploads.

The bytes live in the media store of ``handlers.residents.media_store`` (residents uploaded
first); this package adds what staff and workers need around it.
"""

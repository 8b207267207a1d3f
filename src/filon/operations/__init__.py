"""Long operations run from the web pages in steps: the daily close and the import of a rate series.

There is no background worker (one WSGI server): a persisted run record is advanced one chunk per request by
the run page's polling, and any allowed user can resume a run that stopped when its tab was closed.
"""

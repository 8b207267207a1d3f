"""Settings for the test suite: fast hashing, isolated storage, no secure-cookie requirement."""

import os
import tempfile

os.environ.setdefault("FILON_DEBUG", "0")
os.environ.setdefault("FILON_SECRET_KEY", "filon-test-suite-key-not-secret")
os.environ.setdefault("FILON_SECURE_COOKIES", "0")

from filon.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="filon-test-media-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests serve no collected static files; an existing empty root keeps WhiteNoise quiet on a fresh clone.
STATIC_ROOT = tempfile.mkdtemp(prefix="filon-test-static-")
# TASKS stays the production database backend (filon.settings): starting a batch run or a job run writes its
# task row in the same transaction, as in production, and the tests run that work explicitly — through the
# services, or with `filon worker --once` (tests/operations/worker_support.py). The immediate backend would
# run a whole close inside the request that starts it, and hide the queue the worker and its sweep rely on.

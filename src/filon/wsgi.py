import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "filon.settings")
application = get_wsgi_application()

# What the process loaded (Django, the URL patterns, the templates as they compile) stays for its life: out
# of the garbage collector's generations, a collection walks only what requests create.
gc.collect()
gc.freeze()

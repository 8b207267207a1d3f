import sys

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "filon.web"
    verbose_name = "Páginas web"

    def ready(self) -> None:
        # The server's processes warm WeasyPrint's fonts at start, on a thread: the first PDF a user asks
        # for does not wait 5 s for them (filon.documents.warmup). Other commands and tests do not.
        from filon.documents.warmup import fonts_warm_in_background, serving_process

        if serving_process(sys.argv):
            fonts_warm_in_background()

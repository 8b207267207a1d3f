from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "filon.accounts"
    verbose_name = "Usuarios y oficinas"

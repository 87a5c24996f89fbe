import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create a local superuser (default 'admin') if it does not exist. The password comes from "
        "DJANGO_SUPERUSER_PASSWORD, or a random one is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin"))

    def handle(self, *args, username, **options):
        User = get_user_model()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        user = User.objects.filter(username=username).first()
        if user is not None:
            if password:
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"Admin user '{username}': password set from DJANGO_SUPERUSER_PASSWORD.")
            else:
                self.stdout.write(
                    f"Admin user '{username}' exists; its password was printed when it was created. "
                    f"Reset it with: .venv/bin/python manage.py changepassword {username}"
                )
            return
        generated = not password
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(f"Created admin user '{username}'."))
        if generated:
            self.stdout.write(f"  Log in at /admin/ as '{username}' with password: {password}")
            self.stdout.write("  (printed once; set DJANGO_SUPERUSER_PASSWORD to choose your own)")
        else:
            self.stdout.write("  Password: the value of DJANGO_SUPERUSER_PASSWORD.")

import os
import secrets

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create a local superuser (default 'admin') if it does not exist. The password comes from "
        "DJANGO_SUPERUSER_PASSWORD (held to the password rules), or a random one is printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin"))

    def handle(self, *args, username, **options):
        User = get_user_model()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        field = User._meta.get_field(User.USERNAME_FIELD)
        try:
            # As the admin's user form holds it: required, its length, its characters.
            field.clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"Username {username[:40]!r}: {' '.join(exc.messages)}") from None
        user = User.objects.filter(username=username).first()
        if password:
            try:
                password_validation.validate_password(password, user or User(username=username))
            except ValidationError as exc:
                raise CommandError(f"DJANGO_SUPERUSER_PASSWORD: {' '.join(exc.messages)}") from None
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

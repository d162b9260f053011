"""The `frontoffice` command: every management command behind one entry point.

frontoffice demo          frontoffice migrate          frontoffice db_worker
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["frontoffice", *sys.argv[1:]])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Django's command-line utility for the weather_apis DRF demo backend.

Run it with Debian's interpreter (/usr/bin/python3): the pyenv python3 on PATH
does not see Debian's Django.
"""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

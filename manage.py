#!/usr/bin/env python
"""Django's manage.py; `frontoffice` is the same entry point once installed."""

from frontoffice.__main__ import main

if __name__ == "__main__":
    main()

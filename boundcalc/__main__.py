"""``python -m boundcalc`` runs the command line."""

from .cli import main

main()

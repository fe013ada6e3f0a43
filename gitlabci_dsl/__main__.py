"""``python -m gitlabci_dsl``: the same CLI as the ``gitlabci-dsl`` command."""

from .cli import main

main()

"""`python -m cli` runs the `twin` command."""

from cli.main import main

main()

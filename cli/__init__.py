"""The `twin` command line (typer + rich): the face above every package; none imports it.

`cli.main` holds the app and registers the commands; `cli.shell` is what every command
shares (the console, the store it names, progress bars, input/output checks, exit codes).
"""

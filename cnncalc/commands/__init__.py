"""The subcommands, each imported only when it runs."""

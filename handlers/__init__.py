"""walkbot's entrypoints: the CLI, the console, and (later) Slack and the scheduler."""

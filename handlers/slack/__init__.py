"""walkbot in Slack: the Bolt app (build_slack_app in handlers.slack.app), its Block Kit views, and how it runs."""

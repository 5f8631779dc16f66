"""SLT's reports: the summary of findings, coverage against the caps, and equality monitoring.

Pure like the rest of the core: data comes through bot.ports (uow.reports and the other repositories); files are
read and written by handlers/reports_cli.py.
"""

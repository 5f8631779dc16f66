"""Microsoft Teams: walkbot for schools on Microsoft 365.

The same cards as every other surface, drawn as Adaptive Cards 1.5 (cards.py: messages, refreshed cards,
the answers to Action.Execute), the forms as dialog cards (forms.py) and the Teams app package a school
uploads (package.py). Nothing here reaches a use case: replies come from the router as cards.
"""

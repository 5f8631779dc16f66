"""The reply model (`card`) and its plain-text rendering (`text`): what every surface renders from."""

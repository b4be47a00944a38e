"""A local stand-in for the LINE platform: a fake Messaging API, a webhook signer and a control API.

Product code never imports this package; the CLI and the tests start it.
"""

"""WSGI entry for the scale-out setup: `gunicorn 'bot.wsgi:app'` beside `madoguchi worker` processes.

Web processes only store events and answer 200; the workers do everything else.
"""

from bot.app import create_app

app = create_app()

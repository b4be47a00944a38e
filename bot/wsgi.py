"""WSGI entry for the scale-out setup: `gunicorn 'bot.wsgi:app'` beside `madoguchi worker` processes.

Web processes only store events and answer 200; the workers do everything else. Settings come
from the environment: without both LINE credentials, or with the bot's clock out of range in
the database, importing this raises with the reason (the simulator runs only under `serve`).
"""

from bot.app import create_app

app = create_app()

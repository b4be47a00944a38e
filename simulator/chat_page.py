"""The chat page: a browser stand-in for the LINE app, served at `/simulator/`.

The page is static HTML, CSS and vanilla JS; everything it shows comes from the control API
(the transcript of what the bot sent through the fake Messaging API), never from bot internals.
"""

from flask import Blueprint, Response, make_response, render_template

# The page loads nothing from elsewhere; the policy makes the browser enforce that, so a bot
# message pointing at an outside image cannot make the page fetch it.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "style-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)


def create_chat_page_blueprint() -> Blueprint:
    """Return the page and its static files; nested in the simulator blueprint at its root."""
    blueprint = Blueprint(
        "chat_page",
        __name__,
        template_folder="page/templates",
        static_folder="page/static",
        static_url_path="/page/static",
    )

    @blueprint.get("/")
    def chat_page() -> Response:
        response = make_response(render_template("simulator_chat/index.html"))
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        # Transcripts are dev data, but there is no reason for a browser to keep the page.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return blueprint

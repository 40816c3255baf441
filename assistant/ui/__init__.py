"""Stage 7: the Gradio web chat (채팅, 연락처, 일정, 문서), mounted on the API's FastAPI app at /."""

from __future__ import annotations

from fastapi import FastAPI

from assistant.settings import Settings

CHAT_CONCURRENCY = 8  # answers computed at once; more wait in Gradio's queue


def mount_ui(app: FastAPI, settings: Settings) -> FastAPI:
    """Mount the web UI at / and return the app.

    Call it after every API route is added: Starlette tries routes in order, so /v1/..., /healthz and
    /docs stay in front of the mount. Gradio wraps the app's lifespan, which still creates the assistant.
    """
    import gradio as gr

    from assistant.ui.app import CSS, build_ui

    # read at call time: both live in app.state, set by the lifespan (and the assistant is swapped on a rebuild)
    blocks = build_ui(lambda: app.state.assistant, lambda: getattr(app.state, "builder", None))
    blocks.queue(default_concurrency_limit=CHAT_CONCURRENCY)
    # show_error=False: an exception's text never reaches the page (the callbacks turn failures into sentences)
    return gr.mount_gradio_app(app, blocks, path="/", css=CSS, show_error=False, footer_links=[],
                               run_history=False, ssr_mode=False, mcp_server=False)

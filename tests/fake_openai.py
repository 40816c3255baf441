"""A stand-in for an OpenAI-compatible chat server (vLLM, Ollama) that speaks the real protocol over HTTP.

The model name picks the behaviour: ``good`` answers from the evidence it was sent, ``invents``
states a number the evidence lacks, ``nocite`` gives no citation marker, ``slow`` answers after
the client's time-out, ``error`` fails with HTTP 500.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

app = FastAPI()
requests_seen: list[dict] = []


def _completion(model: str, content: str) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@app.post("/v1/chat/completions")
async def chat(request: Request):
    body = await request.json()
    requests_seen.append(body)
    model = body["model"]
    prompt = body["messages"][-1]["content"]
    if model == "error":
        return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
    if model == "slow":
        await asyncio.sleep(3)
    phone = re.search(r"\d{3,4}\s*-\s*\d{4}", prompt)
    found = phone.group(0) if phone else "없음"
    content = {
        "good": f"문의하실 번호는 {found}입니다 [1].",
        "invents": "문의하실 번호는 8073-9999입니다 [1].",
        "nocite": f"문의하실 번호는 {found}입니다.",
    }.get(model, f"문의하실 번호는 {found}입니다 [1].")
    if body.get("stream"):  # the writer streams: server-sent events, a chunk per word, then [DONE]
        return StreamingResponse(_chunks(model, content), media_type="text/event-stream")
    return _completion(model, content)


def _chunks(model: str, content: str):
    base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    for word in re.findall(r"\S+\s*", content):
        yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': {'content': word}}]})}\n\n"
    yield f"data: {json.dumps({**base, 'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
    yield "data: [DONE]\n\n"


class FakeOpenAIServer:
    def __init__(self, port: int) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake OpenAI server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

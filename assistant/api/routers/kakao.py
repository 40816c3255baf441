"""POST /kakao/skill: the Kakao i OpenBuilder skill protocol (to be filled in)."""

from fastapi import APIRouter

router = APIRouter(tags=["kakao"])

"""Fill in deploy/nginx.conf: the listen address, the replicas, the paths nginx writes to.

    .venv/bin/python deploy/render_nginx.py --listen 80 --server 10.0.0.11:8000 --server 10.0.0.12:8000 \\
        > /etc/nginx/nginx.conf

Only the dollar-brace placeholders (``LISTEN``, ``SERVERS``, ...) are replaced (nginx's own ``$variables`` are left alone); a placeholder
without a value is an error, so a typo never reaches nginx.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def render(listen: str, servers: list[str], *, temp_dir: str = "/var/lib/nginx", access_log: str = "/var/log/nginx/access.log",
           user: str = "www-data", worker_processes: str = "auto", mime_types: str = "/etc/nginx/mime.types",
           max_fails: int = 3, fail_timeout: str = "10s") -> str:
    """The nginx.conf text for replicas ``servers`` ("host:port" each) behind ``listen`` ("80", "127.0.0.1:8080")."""
    if not servers:
        raise ValueError("at least one replica (host:port) is needed")
    values = {
        "LISTEN": listen,
        "SERVERS": "\n".join(f"        server {s} max_fails={max_fails} fail_timeout={fail_timeout};" for s in servers),
        "TEMP_DIR": temp_dir, "ACCESS_LOG": "off" if access_log == "off" else f"{access_log} replicas", "NGINX_USER": user,
        "WORKER_PROCESSES": worker_processes, "MIME_TYPES": mime_types,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError(f"no value for {', '.join(missing)} in {TEMPLATE}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", default="80", help="what nginx listens on: port or address:port")
    parser.add_argument("--server", action="append", required=True, help="a replica, host:port (repeat)")
    parser.add_argument("--temp-dir", default="/var/lib/nginx")
    parser.add_argument("--access-log", default="/var/log/nginx/access.log")
    parser.add_argument("--user", default="www-data")
    parser.add_argument("--worker-processes", default="auto")
    args = parser.parse_args()
    sys.stdout.write(render(args.listen, args.server, temp_dir=args.temp_dir, access_log=args.access_log,
                            user=args.user, worker_processes=args.worker_processes))


if __name__ == "__main__":
    main()

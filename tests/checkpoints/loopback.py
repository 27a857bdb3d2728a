"""Servers on 127.0.0.1 for download tests without the internet: a small Hugging Face Hub
(the routes huggingface_hub calls: model info and file resolve, with Range) and a plain file
server for release archives that can cut its first transfer halfway."""

import hashlib
import http.server
import json
import re
import threading
from pathlib import Path


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet test output
        pass

    def do_HEAD(self):
        self.server.owner.handle(self, head=True)

    def do_GET(self):
        self.server.owner.handle(self, head=False)


class _Server:
    """A threaded loopback HTTP server; `requests` lists (method, path, Range header)."""

    def __init__(self):
        self.requests: list[tuple[str, str, str]] = []
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, request, head: bool) -> None:
        self.requests.append(("HEAD" if head else "GET", request.path, request.headers.get("Range", "")))
        self.respond(request, head)

    @staticmethod
    def send_json(request, status: int, body: dict, headers: dict = None) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}.items():
            request.send_header(k, v)
        request.end_headers()
        request.wfile.write(data)

    @staticmethod
    def send_bytes(request, data: bytes, head: bool, headers: dict, cut: bool = False) -> None:
        """`data` whole (200) or from a `Range: bytes=N-` start (206); `cut` sends half and closes."""
        match = re.fullmatch(r"bytes=(\d+)-", request.headers.get("Range", ""))
        start = int(match.group(1)) if match else 0
        body = data[start:]
        request.send_response(206 if match else 200)
        if match:
            headers = {**headers, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        for k, v in {"Content-Length": str(len(body)), "Accept-Ranges": "bytes", **headers}.items():
            request.send_header(k, v)
        request.end_headers()
        if head:
            return
        if cut:
            request.wfile.write(body[: len(body) // 2])
            request.wfile.flush()
            request.close_connection = True
            request.connection.shutdown(2)
            return
        request.wfile.write(body)


class LoopbackHub(_Server):
    """Serves model repos {repo_id: {revision: folder}}; every revision gets a fixed fake commit sha."""

    def __init__(self, repos: dict):
        super().__init__()
        self.repos = {repo: {rev: Path(folder) for rev, folder in revs.items()} for repo, revs in repos.items()}

    @staticmethod
    def commit(repo: str, revision: str) -> str:
        return hashlib.sha1(f"{repo}@{revision}".encode()).hexdigest()

    def fetched(self) -> set:
        """File names downloaded (GET on a resolve route)."""
        return {p.rsplit("/", 1)[1] for m, p, _ in self.requests if m == "GET" and "/resolve/" in p}

    def respond(self, request, head: bool) -> None:
        path = request.path.split("?", 1)[0]
        info = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
        if info:
            repo, revision = info.group(1), info.group(2) or "main"
            if repo not in self.repos:
                return self.send_json(request, 404, {"error": "Repository not found"},
                                      {"X-Error-Code": "RepoNotFound"})
            if revision not in self.repos[repo]:
                return self.send_json(request, 404, {"error": "Invalid rev id"},
                                      {"X-Error-Code": "RevisionNotFound"})
            files = sorted(p.name for p in self.repos[repo][revision].iterdir() if p.is_file())
            return self.send_json(request, 200, {"id": repo, "modelId": repo, "sha": self.commit(repo, revision),
                                                 "siblings": [{"rfilename": f} for f in files]})
        resolve = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if resolve and resolve.group(1) in self.repos:
            repo, revision, filename = resolve.groups()
            revisions = self.repos[repo]
            revision = next((r for r in revisions if revision in (r, self.commit(repo, r))), None)
            file = revisions[revision] / filename if revision else None
            if file is not None and file.is_file():
                data = file.read_bytes()
                return self.send_bytes(request, data, head, {
                    "ETag": f'"{hashlib.sha256(data).hexdigest()}"', "X-Repo-Commit": self.commit(repo, revision)})
        self.send_json(request, 404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})


class LoopbackFiles(_Server):
    """Serves {url path: bytes}; paths in `cut_first` have their first transfer cut halfway."""

    def __init__(self, files: dict, cut_first=()):
        super().__init__()
        self.files, self.to_cut = files, set(cut_first)

    def respond(self, request, head: bool) -> None:
        data = self.files.get(request.path)
        if data is None:
            return self.send_json(request, 404, {"error": "not found"})
        cut = not head and request.path in self.to_cut
        self.to_cut.discard(request.path)
        self.send_bytes(request, data, head, {"Content-Type": "application/octet-stream"}, cut=cut)

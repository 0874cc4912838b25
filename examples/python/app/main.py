"""The Python example of restart-frontend: a small HTTP server.

A live update syncs changed .py files into /app; the supervisor sees them
(RESTART_WATCH=/app) and restarts the interpreter, which loads the new
source. No reloader in the app, and no run step in the Tiltfile.
"""

import http.server
import os
import signal
import sys

import greeting


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{greeting.message()} (pid {os.getpid()})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print(f"pid {os.getpid()}: {fmt % args}")


def stop(signum, frame):
    print(f"python pid {os.getpid()}: stopping on signal {signum}")
    sys.exit(0)


def main():
    signal.signal(signal.SIGTERM, stop)
    port = int(os.environ.get("PORT", "8000"))
    server = http.server.HTTPServer(("", port), Handler)
    print(f"python {greeting.VERSION} pid {os.getpid()}: {greeting.message()}, serving on port {port}")
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# {{name}} {{version}}, installed by prov's {{name}} task service.
#
# A stand-in for your service's program, so that the template installs
# something that really runs: it answers GET /health with JSON naming its
# version. Replace it with your own program (and src/deployment.ts's upload
# of it with downloading your release, for instance with curl on the server).
import json
import logging
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

VERSION = "{{version}}"
PORT = int(os.environ.get("SERVICE_PORT", "{{port}}"))
LOG_LEVEL = os.environ.get("SERVICE_LOG_LEVEL", "info").upper()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            self.send_error(404)
            return
        body = json.dumps({"status": "ok", "service": "{{name}}", "version": VERSION}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        logging.debug("%s %s", self.address_string(), format % args)


logging.basicConfig(level=getattr(logging, LOG_LEVEL, logging.INFO), format="%(levelname)s %(message)s")
logging.info("{{name}} %s listening on 127.0.0.1:%d", VERSION, PORT)
HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()

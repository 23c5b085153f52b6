"""What the Azure credential tests share: code run in Debian's /usr/bin/python3 (python3-azure, which the
interpreter on PATH lacks) and a local token endpoint answering JSON on its own thread."""

import http.server
import json
import ssl
import subprocess
import threading

AZURE_PYTHON = "/usr/bin/python3"


def run_azure_json(code, env):
    """Runs `code` in the SDK interpreter with exactly `env`; its last stdout line is JSON."""
    out = subprocess.run([AZURE_PYTHON, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError("azure python failed:\n%s" % out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


class JsonServer(object):
    """Answers each `method` request on 127.0.0.1 with `answer(handler)` -> (status, body as JSON);
    `tls` = (cert, key) serves https. `origin` is its scheme, host and port."""

    def __init__(self, method, answer, tls=None):
        def reply(handler):
            status, body = answer(handler)
            data = json.dumps(body).encode()
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

        setattr(Handler, "do_" + method, reply)
        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.origin = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

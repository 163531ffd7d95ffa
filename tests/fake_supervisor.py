"""A fake Home Assistant Supervisor on loopback, for the add-on's tests (tests/addon_test.sh,
script/test-image): GET /services/mqtt with the right token answers the status in FOLDER/status and
the body in FOLDER/mqtt.json; anything else is 401 or 404 as the Supervisor answers them.
usage: fake_supervisor.py FOLDER PORT_FILE TOKEN"""
import http.server
import sys

folder, port_file, token = sys.argv[1], sys.argv[2], sys.argv[3]


class Supervisor(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer " + token:
            status, body = 401, b'{"result":"error","message":"Unauthorized"}'
        elif self.path != "/services/mqtt":
            status, body = 404, b'{"result":"error","message":"not found"}'
        else:
            status = int(open(folder + "/status").read())
            body = open(folder + "/mqtt.json", "rb").read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


httpd = http.server.HTTPServer(("127.0.0.1", 0), Supervisor)
open(port_file, "w").write(str(httpd.server_address[1]))
httpd.serve_forever()

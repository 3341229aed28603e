#!/usr/bin/env python3
"""tests/e2e/aws_standin.py: the AWS that sluice's HA mode talks to, on one HTTP port, for tests.

It serves the instance metadata service (IMDSv2) and the EC2 Query API:

  PUT  /latest/api/token                               a session token (needs
                                                       X-aws-ec2-metadata-token-ttl-seconds)
  GET  /latest/meta-data/placement/region              --region
  GET  /latest/meta-data/instance-id                   --instance-id
  GET  /latest/meta-data/iam/security-credentials/     --role
  GET  /latest/meta-data/iam/security-credentials/ROLE new credentials, expiring in --expires-in s
  POST /                                               AssignPrivateIpAddresses, AssociateAddress,
                                                       ReplaceRoute (Version 2016-11-15)

A metadata GET without a valid token is answered 401. Every EC2 request's SigV4 signature is
recomputed here, from the raw request and the credentials this stand-in issued, with hmac and
hashlib alone (nothing of sluice's signer): a bad one is answered 403 AuthFailure. Every
request is recorded as one JSON line in --log:

  {"t": 1700000000.1, "kind": "imds", "method": "GET", "path": "...", "token_ok": true, "status": 200}
  {"t": ..., "kind": "ec2", "action": "AssociateAddress", "params": {...}, "access_key": "...",
   "signature_ok": true, "status": 200, "code": ""}

Failures on demand:
  --fail NAME:ANSWER[,ANSWER...]  the next requests of NAME get these answers, in order, then
        success. NAME: an EC2 action, or token, region, instance-id, role, credentials.
        ANSWER: an HTTP status (503) or an EC2 error code (RequestLimitExceeded: 503,
        Unavailable: 503, InternalError: 500, AuthFailure: 403, any other: 400); "*N" repeats
        it N times (503*10).
  --throttle N      the first N EC2 requests, whatever their action, get 503
                    RequestLimitExceeded (after the signature check, before --fail).
  --hang NAME:N     the first N requests of NAME get no answer for 30 s.
  --wrong-secret    credentials are served with a secret other than the one signatures are
                    checked with: every EC2 request fails its check.

    aws_standin.py --listen 127.0.0.1 --port 0 --port-file /tmp/port --log /tmp/calls.jsonl

With --port 0 the kernel picks the port; --port-file receives it once the socket listens.
"""

import argparse
import collections
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

EC2_VERSION = "2016-11-15"
EC2_NAMESPACE = f"http://ec2.amazonaws.com/doc/{EC2_VERSION}/"
METADATA = "/latest/meta-data/"
ROLES = METADATA + "iam/security-credentials/"
MAX_BODY = 64 * 1024
MAX_SKEW_S = 300
CODE_STATUS = {"RequestLimitExceeded": 503, "Unavailable": 503, "InternalError": 500,
               "AuthFailure": 403}
STATUS_CODE = {500: "InternalError", 503: "Unavailable", 403: "AuthFailure"}
ID = {"eni": r"eni-([0-9a-f]{8}|[0-9a-f]{17})", "eipalloc": r"eipalloc-([0-9a-f]{8}|[0-9a-f]{17})",
      "rtb": r"rtb-([0-9a-f]{8}|[0-9a-f]{17})"}
# Each action's parameters: required ones with the form they must have.
ACTIONS = {
    "AssignPrivateIpAddresses": {"NetworkInterfaceId": ID["eni"]},
    "AssociateAddress": {"AllocationId": ID["eipalloc"], "NetworkInterfaceId": ID["eni"],
                         "PrivateIpAddress": r"[0-9.]+"},
    "ReplaceRoute": {"RouteTableId": ID["rtb"], "NetworkInterfaceId": ID["eni"]},
}
AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


class Answers:
    """The failures asked for on the command line, handed out under one lock."""

    def __init__(self, fails, throttle, hangs):
        self.lock = threading.Lock()
        self.fails = collections.defaultdict(collections.deque)
        for spec in fails:
            name, _, answers = spec.partition(":")
            for answer in answers.split(","):
                answer, _, times = answer.partition("*")
                self.fails[name].extend([answer] * int(times or 1))
        self.throttle = throttle
        self.hangs = collections.Counter()
        for spec in hangs:
            name, _, times = spec.partition(":")
            self.hangs[name] += int(times)

    def next_failure(self, name, ec2):
        with self.lock:
            if ec2 and self.throttle > 0:
                self.throttle -= 1
                return "RequestLimitExceeded"
            return self.fails[name].popleft() if self.fails[name] else None

    def hang(self, name):
        with self.lock:
            if self.hangs[name] <= 0:
                return False
            self.hangs[name] -= 1
            return True


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}       # metadata session token -> expiry (time.time())
        self.credentials = {}  # access key id -> (secret checked, session token)
        if args.credentials and os.path.exists(args.credentials):
            with open(args.credentials, encoding="utf-8") as f:
                self.credentials = {k: tuple(v) for k, v in json.load(f).items()}
        self.issued = len(self.credentials)
        self.answers = Answers(args.fail, args.throttle, args.hang)
        self.log = open(args.log, "a", encoding="utf-8")

    def record(self, entry):
        entry["t"] = time.time()
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def new_token(self, ttl):
        token = secrets.token_urlsafe(40)
        with self.lock:
            self.tokens[token] = time.time() + ttl
        return token

    def token_ok(self, token):
        with self.lock:
            return token is not None and self.tokens.get(token, 0) > time.time()

    def new_credentials(self):
        with self.lock:
            self.issued += 1
            key_id = f"ASIASTANDIN{self.issued:09d}"
            secret = secrets.token_urlsafe(30)
            session = secrets.token_urlsafe(300)
            self.credentials[key_id] = (secret, session)
            if self.args.credentials:
                with open(self.args.credentials + ".tmp", "w", encoding="utf-8") as f:
                    json.dump(self.credentials, f)
                os.replace(self.args.credentials + ".tmp", self.args.credentials)
        served = "x" + secret if self.args.wrong_secret else secret
        expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            seconds=self.args.expires_in)
        return {"Code": "Success", "LastUpdated": utc_text(datetime.datetime.now(datetime.timezone.utc)),
                "Type": "AWS-HMAC", "AccessKeyId": key_id, "SecretAccessKey": served,
                "Token": session, "Expiration": utc_text(expiration)}

    def issued_credentials(self, key_id):
        with self.lock:
            return self.credentials.get(key_id)


def utc_text(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def hmac_sha256(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def check_signature(state, method, path, headers, body):
    """Why the request's SigV4 signature fails, or None when it holds. Also its access key."""
    match = AUTHORIZATION.match(headers.get("Authorization", ""))
    if not match:
        return "no AWS4-HMAC-SHA256 Authorization", ""
    key_id, date, region, service, signed, signature = match.groups()
    issued = state.issued_credentials(key_id)
    if issued is None:
        return "unknown access key", key_id
    secret, session = issued
    amz_date = headers.get("X-Amz-Date", "")
    try:
        stamp = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return "bad X-Amz-Date", key_id
    if abs(time.time() - stamp.timestamp()) > MAX_SKEW_S:
        return "X-Amz-Date too far from now", key_id
    if date != amz_date[:8] or region != state.args.region or service != "ec2":
        return "wrong credential scope", key_id
    names = signed.split(";")
    if names != sorted(names) or not {"host", "x-amz-date", "x-amz-security-token"} <= set(names):
        return "host, x-amz-date or x-amz-security-token not signed", key_id
    if headers.get("X-Amz-Security-Token") != session:
        return "wrong session token", key_id
    if path != "/":
        return "path is not /", key_id
    canonical_headers = ""
    for name in names:
        values = headers.get_all(name) or []
        canonical_headers += name + ":" + ",".join(" ".join(v.split()) for v in values) + "\n"
    canonical_request = "\n".join(
        [method, "/", "", canonical_headers, signed, sha256_hex(body)])
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, sha256_hex(canonical_request.encode())])
    key = hmac_sha256(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        key = hmac_sha256(key, part)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature does not match", key_id
    return None, key_id


def ec2_error(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>")


def ec2_success(action):
    extra = f"<associationId>eipassoc-{secrets.token_hex(8)}0</associationId>" \
        if action == "AssociateAddress" else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{EC2_NAMESPACE}">'
            f"<requestId>{uuid.uuid4()}</requestId><return>true</return>{extra}"
            f"</{action}Response>")


def failure_answer(answer):
    """An --fail ANSWER as (status, EC2 error code)."""
    if answer.isdigit():
        status = int(answer)
        return status, STATUS_CODE.get(status, f"Status{status}")
    return CODE_STATUS.get(answer, 400), answer


def parameter_problem(action, params):
    if action not in ACTIONS:
        return "InvalidAction", f"The action {action} is not valid for this web service."
    if params.get("Version") != EC2_VERSION:
        return "InvalidParameterValue", "Version must be " + EC2_VERSION
    for name, form in ACTIONS[action].items():
        if name not in params:
            return "MissingParameter", f"The request must contain the parameter {name}"
        if not re.fullmatch(form, params[name]):
            return "InvalidParameterValue", f"Invalid value '{params[name]}' for {name}"
    if action == "AssignPrivateIpAddresses" and not any(k.startswith("PrivateIpAddress.")
                                                        for k in params):
        return "MissingParameter", "The request must contain PrivateIpAddress.N"
    if action == "ReplaceRoute" and not ("DestinationCidrBlock" in params or
                                         "DestinationIpv6CidrBlock" in params):
        return "MissingParameter", "The request must contain a destination"
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-standin"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(min(length, MAX_BODY))

    def do_PUT(self):
        state = self.server.state
        self.body()
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        entry = {"kind": "imds", "method": "PUT", "path": self.path, "token_ok": True}
        if self.path != "/latest/api/token":
            status, text = 404, "Not Found"
        elif not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            status, text = 400, "Bad Request"
        else:
            status, text = self.metadata_failure("token") or (200, state.new_token(int(ttl)))
        entry["status"] = status
        state.record(entry)
        self.answer(status, text)

    def do_GET(self):
        state = self.server.state
        token_ok = state.token_ok(self.headers.get("X-aws-ec2-metadata-token"))
        entry = {"kind": "imds", "method": "GET", "path": self.path, "token_ok": token_ok}
        if not token_ok:
            status, text = 401, "Unauthorized"
        else:
            status, text = self.metadata(self.path)
        entry["status"] = status
        state.record(entry)
        self.answer(status, text)

    def metadata(self, path):
        args = self.server.state.args
        values = {METADATA + "placement/region": ("region", lambda: args.region),
                  METADATA + "instance-id": ("instance-id", lambda: args.instance_id),
                  ROLES: ("role", lambda: args.role),
                  ROLES + args.role: ("credentials", lambda: json.dumps(
                      self.server.state.new_credentials(), indent=2))}
        if path not in values:
            return 404, "Not Found"
        name, value = values[path]
        return self.metadata_failure(name) or (200, value())

    def metadata_failure(self, name):
        if self.server.state.answers.hang(name):
            time.sleep(30)
        answer = self.server.state.answers.next_failure(name, ec2=False)
        return (failure_answer(answer)[0], "injected failure") if answer else None

    def do_POST(self):
        state = self.server.state
        body = self.body()
        params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                             keep_blank_values=True))
        action = params.get("Action", "")
        why, key_id = check_signature(state, "POST", self.path, self.headers, body)
        entry = {"kind": "ec2", "action": action,
                 "params": {k: v for k, v in params.items() if k not in ("Action", "Version")},
                 "access_key": key_id, "signature_ok": why is None}
        if why is not None:
            status, code, message = 403, "AuthFailure", why
        else:
            if state.answers.hang(action):
                time.sleep(30)
            answer = state.answers.next_failure(action, ec2=True)
            problem = parameter_problem(action, params)
            if answer:
                (status, code), message = failure_answer(answer), "injected failure"
            elif problem:
                (code, message), status = problem, 400
            else:
                status, code, message = 200, "", ""
        entry.update(status=status, code=code)
        state.record(entry)
        if status == 200:
            self.answer(200, ec2_success(action), "text/xml;charset=UTF-8")
        else:
            self.answer(status, ec2_error(code, message), "text/xml;charset=UTF-8")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--log", required=True)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--instance-id", default="i-0123456789abcdef0")
    parser.add_argument("--role", default="sluice-ha")
    parser.add_argument("--expires-in", type=int, default=6 * 3600)
    parser.add_argument("--fail", action="append", default=[])
    parser.add_argument("--throttle", type=int, default=0)
    parser.add_argument("--hang", action="append", default=[])
    parser.add_argument("--wrong-secret", action="store_true")
    parser.add_argument("--credentials")
    args = parser.parse_args()
    server = Server((args.listen, args.port), Handler)
    server.state = State(args)
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(f"{server.server_address[1]}\n")
        os.rename(temporary, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""bench/rest_instructions.sh helper. Fixed-count REST driver for instruction counting: seeds like `natter-bench rest` (4 users,
10 conversations each, 60 messages in one), then runs N requests of one endpoint over one
keep-alive connection, with callgrind_control -z before and -d after when --pid is given."""
import argparse, http.client, json, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--pid", type=int)
ap.add_argument("--n", type=int, default=2000)
ap.add_argument("--endpoints", default="me,conversations,messages,send")
a = ap.parse_args()

c = http.client.HTTPConnection("127.0.0.1", a.port)
def req(method, path, body=None, token=None):
    h = {}
    if token: h["Authorization"] = "Bearer " + token
    if body is not None:
        h["Content-Type"] = "application/json"; body = json.dumps(body)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse(); data = r.read()
    if r.status != 200: sys.exit(f"{method} {path}: {r.status} {data[:200]}")
    return json.loads(data)

tag = str(int(time.time()))
users = [f"u{i}-{tag}@bench.test" for i in range(4)]
tok = {u: req("POST", "/api/auth/login", {"email": u, "name": "User " + u[:3]})["access_token"] for u in users}
contacts = [f"c{i}-{tag}@bench.test" for i in range(10)]
for u in contacts: req("POST", "/api/auth/login", {"email": u, "name": "Contact"})
conv = None
for u in users:
    for i, other in enumerate(contacts):
        cv = req("POST", "/api/conversations/start", {"to_email": other}, tok[u])
        req("POST", "/api/messages/send", {"to_email": other, "message": "hello there"}, tok[u])
        if u == users[0] and i == 0: conv = cv["conversation_id"]
for k in range(60):
    req("POST", "/api/messages/send", {"to_email": contacts[0], "message": f"seed message number {k} with some text"}, tok[users[0]])

def ctl(flag):
    if a.pid: subprocess.run(["callgrind_control", flag, str(a.pid)], check=True, stdout=subprocess.DEVNULL)

u0 = users[0]; t0 = tok[u0]
for ep in a.endpoints.split(","):
    if ep == "me": f = lambda i: req("GET", "/api/users/me", token=t0)
    elif ep == "conversations": f = lambda i: req("GET", "/api/conversations", token=t0)
    elif ep == "messages": f = lambda i: req("GET", f"/api/conversations/{conv}/messages?limit=50", token=t0)
    elif ep == "send": f = lambda i: req("POST", "/api/messages/send", {"to_email": contacts[1], "message": f"bench message {i}"}, t0)
    for i in range(20): f(i)  # warm
    ctl("-z"); t = time.time()
    for i in range(a.n): f(i)
    dt = time.time() - t
    ctl("-d")
    print(f"{ep}: {a.n} requests in {dt:.2f}s", flush=True)

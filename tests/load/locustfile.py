"""The load run's user (scripts/load): complete journeys through the API
against the local stack, one after another, until the run has done
LOAD_JOURNEYS of them; then the run stops itself. A journey: sign-up,
confirm (with the code MiniStack's SES captured), sign-in, profile read,
data write, data read. Each step is one locust request name, so its
p50/p99 come out apart; an answer other than the expected is a failure."""
import os
import re
import threading
import time
import uuid

import gevent
import requests
from locust import HttpUser, constant, events, task
from locust.exception import StopUser

JOURNEYS = int(os.environ.get("LOAD_JOURNEYS", "1000"))
MAILBOX = os.environ["LOAD_MINISTACK"] + "/_ministack/ses/messages"
CONFIRMED = os.environ["LOAD_CONFIRMED"]
PASSWORD = "violet-Quasar-harbor-71!"
started = 0
ended = 0
codes = {}
lock = threading.Lock()


def read_mailbox():
    """Every captured mail, once a second: one reader for the whole run (the
    endpoint returns every message, so a reader per journey would load
    MiniStack with the test's own polling)."""
    while True:
        try:
            reply = requests.get(MAILBOX, timeout=30).json()
            for mails in (reply.get("messages") or {}).values():
                for mail in mails:
                    found = re.search(r"\b(\d{6})\b", f"{mail.get('BodyHtml') or ''} {mail.get('BodyText') or ''}")
                    for to in mail.get("To") or []:
                        if found:
                            codes[to] = found.group(1)
        except (requests.RequestException, ValueError):
            pass
        gevent.sleep(1)


@events.test_start.add_listener
def start_mailbox(environment, **_):
    gevent.spawn(read_mailbox)


class Journey(HttpUser):
    wait_time = constant(0)

    def expect(self, method, path, name, status, **kwargs):
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as reply:
            if reply.status_code != status:
                reply.failure(f"{reply.status_code}: {reply.text[:200]}")
                return None
            return reply.json()

    @task
    def journey(self):
        global started, ended
        with lock:
            if started >= JOURNEYS:
                raise StopUser()
            started += 1
        try:
            self.one_journey()
        finally:
            with lock:
                ended += 1
                last = ended == JOURNEYS
            if last:
                self.environment.runner.quit()

    def one_journey(self):
        email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        if self.expect("POST", "/api/auth/signup", "1 sign-up", 201,
                       json={"email": email, "password": PASSWORD, "name": "Load Test"}) is None:
            return
        deadline = time.monotonic() + 30
        while email not in codes and time.monotonic() < deadline:
            gevent.sleep(0.2)
        if email not in codes:
            events.request.fire(request_type="MAIL", name="code mailed", response_time=30000,
                                response_length=0, exception=RuntimeError(f"no code mailed to {email}"))
            return
        if self.expect("POST", "/api/auth/confirm", "2 confirm", 200,
                       json={"email": email, "code": codes.pop(email)}) is None:
            return
        with lock, open(CONFIRMED, "a") as confirmed:
            confirmed.write(email + "\n")
        tokens = self.expect("POST", "/api/auth/signin", "3 sign-in", 200,
                             json={"email": email, "password": PASSWORD})
        if tokens is None:
            return
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = self.expect("GET", "/api/users/me", "4 profile read", 200, headers=auth)
        if me is None:
            return
        item = self.expect("POST", "/api/data", "5 data write", 201, headers=auth,
                           json={"title": "load", "content": "written under load"})
        if item is None:
            return
        listed = self.expect("GET", "/api/data", "6 data read", 200, headers=auth)
        if listed is None:
            return
        if len(listed.get("items") or []) != 1:
            events.request.fire(request_type="CHECK", name="item read back", response_time=0,
                                response_length=0, exception=RuntimeError(f"{email}: {listed}"))
            return

"""A fake of Twilio's REST API at the HTTP boundary (so the real twilio client runs), and
signed webhook requests as Twilio sends them: what the SMS tests share."""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from assistant.settings import Settings
from channels.sms.signing import WEBHOOK_PATH
from tests.conftest import LiveServer

TOKEN = "test-auth-token-8f14e45fceea167a"
ACCOUNT_SID = "AC" + "1" * 32
CITIZEN = "+15555550123"
OUR_NUMBER = "+15555550199"


class FakeTwilioApi:
    """Twilio's Messages endpoint on 127.0.0.1: records each message and says it is queued.

    ``plan`` holds the answers to give first, in order, as ``(HTTP status, JSON body)``
    (e.g. a 500, or a 400 with a Twilio error code); then every message is accepted.
    """

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.auth: list[str] = []
        self.plan: list[tuple[int, dict[str, object]]] = []
        self.received = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                api.auth.append(self.headers.get("Authorization", ""))
                api.sent.append({"path": self.path, **form})
                status, answer = api.plan.pop(0) if api.plan else (201, {})
                if status == 201:
                    answer = {"sid": f"SM{len(api.sent):032d}", "status": "queued"}
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                api.received.set()

            def log_message(self, *args: object) -> None:  # keep numbers out of test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTwilioApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def twilio_form(body: str, sid: str, sender: str = CITIZEN) -> dict[str, str]:
    to = f"whatsapp:{OUR_NUMBER}" if sender.startswith("whatsapp:") else OUR_NUMBER
    return {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": to, "Body": body}


def text_to(
    server: LiveServer, body: str, sid: str, *, sender: str = CITIZEN, token: str = TOKEN
) -> httpx.Response:
    url = server.url + WEBHOOK_PATH
    form = twilio_form(body, sid, sender)
    signature = RequestValidator(token).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def messages(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ["".join(m.itertext()) for m in ET.fromstring(response.text).iter("Message")]


def with_sms(settings: Settings, api: FakeTwilioApi, **extra: object) -> Settings:
    """``settings`` with SMS on, talking to the fake Twilio API with the test credentials."""
    return settings.model_copy(
        update={
            "sms_enabled": True,
            "twilio_auth_token": SecretStr(TOKEN),
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_api_base_url": api.url,
            "phone_hash_key": SecretStr("test-phone-key"),
            **extra,
        }
    )

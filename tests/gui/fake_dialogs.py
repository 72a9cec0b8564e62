"""Stand-ins for the desktop's dialog programs (zenity, kdialog, gdbus talking
to the XDG portal), written into a folder that becomes the whole $PATH. They
are the operating system's programs, not the thing under test: each records
its arguments and answers what the test put in its answer file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: zenity / kdialog: log the arguments, wait a little (the app must keep Tk
#: running meanwhile), print the answer, exit with the wanted status.
PROGRAM = """#!{python}
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
time.sleep(0.4)
answer = json.load(open(os.path.join(here, "answer.json")))
sys.stdout.write(answer["output"])
sys.exit(answer["status"])
"""

#: gdbus: "monitor" says it listens, then prints the Response once "call" has
#: written it; "call" logs its arguments and returns a request object path.
GDBUS = """#!{python}
import json, os, re, sys, time
here = os.path.dirname(os.path.abspath(__file__))
answer = json.load(open(os.path.join(here, "answer.json")))
response = os.path.join(here, "response.txt")
if sys.argv[1] == "monitor":
    print("Monitoring signals from all objects owned by org.freedesktop.portal.Desktop", flush=True)
    while not os.path.exists(response):
        time.sleep(0.02)
    print("/org/freedesktop/portal/desktop: org.freedesktop.portal.Settings.SettingChanged ('x', 'y', <0>)", flush=True)
    print(open(response).read(), flush=True)
    time.sleep(60)
    sys.exit(0)
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["gdbus", *sys.argv[1:]]) + "\\n")
if answer["status"] != 0:
    sys.exit(answer["status"])
token = re.search(r"'handle_token': <'([^']+)'>", sys.argv[-1]).group(1)
handle = "/org/freedesktop/portal/desktop/request/1_42/" + token
print(f"(objectpath '{{handle}}',)", flush=True)
time.sleep(0.3)
with open(response + ".tmp", "w") as f:
    f.write(f"{{handle}}: org.freedesktop.portal.Request.Response {{answer['output']}}")
os.replace(response + ".tmp", response)
"""


class FakePrograms:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)

    def install(self, name: str) -> None:
        script = GDBUS if name == "gdbus" else PROGRAM
        path = self.folder / name
        path.write_text(script.format(python=sys.executable))
        path.chmod(0o755)

    def answer(self, output: str, status: int = 0) -> None:
        (self.folder / "answer.json").write_text(json.dumps({"output": output, "status": status}))

    def calls(self) -> list[list[str]]:
        log = self.folder / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

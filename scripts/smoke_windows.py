"""The Windows build under Wine, against a Linux `bosun sim`: --version, where the configuration
lives (%APPDATA%), ls, a shell with piped stdin, a tunnel carrying bytes both ways (checked), a
background tunnel served on its named pipe (up, ls, bytes, down ending its session at AWS), the
session-manager-plugin argv contract as the AWS CLI calls it, and `bosun.exe sim` itself (its
fleet, and a shell started on a ConPTY; what the shell prints cannot be read under Wine, see
below). Wine does not turn a Unix signal into a Windows console event, so how bosun.exe ends
sessions on Ctrl-C or a closed console is not checked here.

usage: smoke_windows.py WINE BOSUN_EXE BOSUN_LINUX"""

import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

import botocore.session

wine, exe, linux = sys.argv[1:4]
checked = []


def check(what, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
    checked.append(ok)


sim = subprocess.Popen([linux, "sim", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
env = dict(os.environ)
for _ in range(3):
    key, _, value = sim.stdout.readline().strip().partition("=")
    env[key] = value
threading.Thread(target=lambda: [None for _ in sim.stdout], daemon=True).start()
env["AWS_REGION"] = "us-east-1"
env.pop("AWS_PROFILE", None)


ssm = botocore.session.get_session().create_client(
    "ssm", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
    aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


def active_sessions():
    return {s["SessionId"] for s in ssm.describe_sessions(State="Active")["Sessions"]}


def run(args, stdin=None, timeout=120):
    return subprocess.run([wine, exe, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout)


def round_trip(host, port, payload):
    """Sends `payload` through the tunnel at host:port to an echo server; what came back."""
    with socket.create_connection((host, int(port)), timeout=30) as client:
        client.sendall(payload)
        back = b""
        while len(back) < len(payload):
            chunk = client.recv(65536)
            if not chunk:
                break
            back += chunk
    return back


def run_to_files(args, timeout=60):
    """For a command that leaves a process behind: under Wine the detached process keeps the
    Unix ends of its parent's pipes open (Windows handles were nulled, Unix descriptors were
    not), so output goes to files, which nobody waits on."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        done = subprocess.run([wine, exe, *args], stdout=out, stderr=err, env=env, timeout=timeout)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, out.read().decode(),
                                           err.read().decode())


try:
    version = run(["--version"])
    check("bosun.exe --version", version.stdout.startswith("bosun "), version.stdout + version.stderr)

    config = run(["config", "path"])
    check("configuration under %APPDATA%",
          "\\AppData\\Roaming\\bosun\\" in config.stdout and config.stdout.strip().endswith("config.toml"),
          config.stdout + config.stderr)

    listed = run(["ls"])
    check("bosun.exe ls", "data-etl-1" in listed.stdout and "finance-reporting" in listed.stdout,
          listed.stdout[-300:] + listed.stderr[-300:])

    shell = run(["shell", "data-etl-1"], stdin="echo hello-from-$((6*7))\nexit\n")
    check("bosun.exe shell with piped stdin", "hello-from-42" in shell.stdout,
          shell.stdout[-300:] + shell.stderr[-300:])

    # A tunnel: 256 KiB of random bytes out and back through an echo server.
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen()

    def serve():
        connection, _ = echo.accept()
        while data := connection.recv(65536):
            connection.sendall(data)
        connection.close()

    threading.Thread(target=serve, daemon=True).start()
    tunnel = subprocess.Popen([wine, exe, "tunnel", "data-etl-1", "--remote-port",
                               str(echo.getsockname()[1])], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env)
    line = tunnel.stdout.readline()
    address = line.split("Listening on ", 1)[-1].split(" ")[0]
    host, port = address.rsplit(":", 1)
    payload = os.urandom(256 * 1024)
    back = round_trip(host, port, payload)
    check("bosun.exe tunnel carries 256 KiB both ways intact",
          hashlib.sha256(back).digest() == hashlib.sha256(payload).digest(),
          f"{line.strip()}; {len(back)} bytes back")
    tunnel.kill()

    # A background tunnel: `tunnel up` starts the server (detached) on its named pipe, returns,
    # and the tunnel keeps serving; `tunnel down` ends its session at AWS.
    env["BOSUN_TUNNELS_SOCKET"] = rf"\\.\pipe\bosun-smoke-{os.getpid()}"
    threading.Thread(target=serve, daemon=True).start()
    before = active_sessions()
    up = run_to_files(["tunnel", "up", "data-etl-1", "--remote-port", str(echo.getsockname()[1]),
                       "--name", "smoke"])
    check("bosun.exe tunnel up returns with the address", up.returncode == 0 and up.stdout.startswith("smoke "),
          up.stdout + up.stderr)
    if up.returncode == 0:
        host, port = up.stdout.split()[1].rsplit(":", 1)
        back = round_trip(host, port, payload)
        check("the background tunnel carries 256 KiB both ways intact", back == payload,
              f"{len(back)} bytes back")
    opened = active_sessions() - before
    listed = run(["tunnel", "ls", "--json"], timeout=60)
    try:
        tunnels = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    except ValueError:
        tunnels = []
    check("bosun.exe tunnel ls --json lists it (through the named pipe)",
          any(t.get("name") == "smoke" and t.get("sessions", 0) >= 1 for t in tunnels),
          listed.stdout[-300:] + listed.stderr[-300:])
    down = run(["tunnel", "down", "--all"], timeout=60)
    time.sleep(1)
    check("bosun.exe tunnel down --all ends its session at AWS",
          down.returncode == 0 and opened and not (opened & active_sessions()),
          f"{down.stdout}{down.stderr} opened {opened}, active {active_sessions()}")

    # The AWS CLI's plugin contract: StartSession first, then the plugin with its answer.
    instance = next(i["InstanceId"] for i in ssm.describe_instance_information()["InstanceInformationList"]
                    if i["PingStatus"] == "Online" and i["PlatformType"] == "Linux")
    plugin_exe = os.path.join(os.path.dirname(exe), "session-manager-plugin.exe")
    for label, program, first in [("bosun.exe session-manager-plugin", exe, ["session-manager-plugin"]),
                                  ("session-manager-plugin.exe (bosun under the plugin's name)",
                                   plugin_exe, [])]:
        started = ssm.start_session(Target=instance)
        response = json.dumps({k: started[k] for k in ("SessionId", "StreamUrl", "TokenValue")})
        plugin = subprocess.run(
            [wine, program, *first, response, "us-east-1", "StartSession", "",
             json.dumps({"Target": instance}), env["AWS_ENDPOINT_URL"]],
            input="echo plugin-$((40+2))\nexit\n", capture_output=True, text=True, env=env,
            timeout=120)
        check(label, "plugin-42" in plugin.stdout, plugin.stdout[-300:] + plugin.stderr[-300:])
finally:
    sim.terminate()

# The simulator itself on Windows: `bosun.exe sim` under Wine serves the fleet to the Linux
# bosun, and its shells start on a ConPTY (cmd.exe), which the session says first. What the
# shell prints is not checked: Wine 8's pseudoconsole runs the program but passes none of its
# output through the pipes (a twenty-line portable-pty program under Wine shows the same:
# `cmd /c echo` exits 0 and nothing is read), where Windows' ConPTY does.
win_sim = subprocess.Popen([wine, exe, "sim", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, env=env)
try:
    win_env = dict(env)
    for _ in range(3):
        key, _, value = win_sim.stdout.readline().strip().partition("=")
        win_env[key] = value
    threading.Thread(target=lambda: [None for _ in win_sim.stdout], daemon=True).start()
    listed = subprocess.run([linux, "ls"], capture_output=True, text=True, env=win_env, timeout=120)
    check("bosun.exe sim serves the fleet (the Linux bosun lists it)",
          "data-etl-1" in listed.stdout, listed.stdout[-300:] + listed.stderr[-300:])
    shell = subprocess.run([linux, "shell", "data-etl-1"], input="exit\r\n",
                           capture_output=True, text=True, env=win_env, timeout=120)
    check("bosun.exe sim starts a shell on a ConPTY (cmd.exe) and says so",
          "this is cmd.exe" in shell.stdout and "cannot start" not in shell.stdout + shell.stderr,
          shell.stdout[-400:] + shell.stderr[-300:])
finally:
    win_sim.terminate()

print(f"windows smoke: {sum(checked)} of {len(checked)} passed")
sys.exit(0 if checked and all(checked) else 1)

"""The Windows build under Wine, against a Linux `bosun sim`: --version, ls, a shell with piped
stdin, a tunnel carrying bytes both ways (checked), and the session-manager-plugin argv contract
as the AWS CLI calls it. Wine does not turn a Unix signal into a Windows console event, so how
bosun.exe ends sessions on Ctrl-C or a closed console is not checked here.

usage: smoke_windows.py WINE BOSUN_EXE BOSUN_LINUX"""

import hashlib
import json
import os
import socket
import subprocess
import sys
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


def run(args, stdin=None, timeout=120):
    return subprocess.run([wine, exe, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout)


try:
    version = run(["--version"])
    check("bosun.exe --version", version.stdout.startswith("bosun "), version.stdout + version.stderr)

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
    with socket.create_connection((host, int(port)), timeout=30) as client:
        client.sendall(payload)
        back = b""
        while len(back) < len(payload):
            chunk = client.recv(65536)
            if not chunk:
                break
            back += chunk
    check("bosun.exe tunnel carries 256 KiB both ways intact",
          hashlib.sha256(back).digest() == hashlib.sha256(payload).digest(),
          f"{line.strip()}; {len(back)} bytes back")
    tunnel.kill()

    # The AWS CLI's plugin contract: StartSession first, then the plugin with its answer.
    ssm = botocore.session.get_session().create_client(
        "ssm", region_name="us-east-1", endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
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

print(f"windows smoke: {sum(checked)} of {len(checked)} passed")
sys.exit(0 if checked and all(checked) else 1)

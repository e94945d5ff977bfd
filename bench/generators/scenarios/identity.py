"""Scenarios about what a value *is*: processes and files, and columns of untyped files.

* :func:`process_bystander` (issue 12, point 3): three incidents on workstations. An encoded
  PowerShell started by Word, ``cmd.exe /c whoami /all`` started by a dropped binary, and a
  dropped ``C:\\Users\\Public\\update.exe``. A configuration-management client runs an
  inventory script with the same PowerShell image, and the same ``whoami`` command line, on
  ten servers, three times as often on the alert day (a patch day); a vendor's
  ``update.exe`` runs from ``Program Files`` on every workstation. The bystanders' hosts,
  parents and accounts are traps; the account that ran each malicious process (and, for
  the workstation, its parent) is planted.
* :func:`untyped_custom_table` (point 4): a CSV custom log with a ``SessionId_g`` column (one
  GUID per session, a few hundred rows each) and a JSON custom log with an unsuffixed
  ``ConnectionId`` holding GUIDs. The victim's session and connection ids are traps; a
  brand-new action and category are planted.
"""

from __future__ import annotations

from pathlib import Path

from bench.generators.scenarios.common import (
    HOUR,
    Builder,
    Scenario,
    account,
    file,
    guid,
    host,
    poisson,
    process,
)
from lookup.demo.generator import account_name, user_principal_name

WORKSTATIONS = 40
SERVERS = 10
_PS_DIR = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0"
_PS = f"{_PS_DIR}\\powershell.exe"
_CMD = "C:\\Windows\\System32\\cmd.exe"
_CCM = "C:\\Windows\\CCM\\CcmExec.exe"
_WORD = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"
_DROPPED = "C:\\Users\\Public\\svch0st.exe"
_EXPLORER = "C:\\Windows\\explorer.exe"
_VENDOR_UPDATE = "C:\\Program Files\\Contoso Agent\\update.exe"
_BAD_UPDATE = "C:\\Users\\Public\\update.exe"
_INVENTORY = f"{_PS} -NoProfile -ExecutionPolicy Bypass -File C:\\Windows\\CCM\\inventory.ps1"
_WHOAMI = f'"{_CMD}" /c whoami /all'
_ENCODED = (
    "powershell.exe -nop -w hidden -enc "
    "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"
)
_APPS = (
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
    "C:\\Windows\\System32\\notepad.exe",
    _WORD,
)


def _ws(index: int) -> str:
    return f"WS-{index:04d}"


def _srv(index: int) -> str:
    return f"SRV-{index:02d}"


def _proc(
    b: Builder,
    times: list,  # type: ignore[type-arg]
    computer: str,
    user: str,
    image: str,
    parent: str,
    command: str,
    *,
    entities: tuple[str, ...] = (),
    planted: bool = False,
) -> None:
    columns = dict(
        Computer=computer,
        Account=user,
        SubjectUserName=user.rpartition("\\")[2],
        EventID=4688,
        Activity="4688 - A new process has been created.",
        NewProcessName=image,
        Process=image.rpartition("\\")[2],
        ParentProcessName=parent,
        CommandLine=command,
    )
    if planted:
        b.plant("SecurityEvent", times, entities=entities, **columns)
    else:
        b.add("SecurityEvent", times, entities=entities, **columns)


def _workstations(b: Builder, tags: dict[str, tuple[str, ...]]) -> None:
    for index in range(WORKSTATIONS):
        user = f"CONTOSO\\{account_name(index)}"
        tag = tags.get(_ws(index), ())
        for offset in b.history_days():
            times = b.office(offset, poisson(b.rng, 20.0))
            for when in times:
                image = _APPS[int(b.rng.integers(0, len(_APPS)))]
                _proc(b, [when], _ws(index), user, image, _EXPLORER, f'"{image}"', entities=tag)
            shells = b.office(offset, poisson(b.rng, 1.0))
            _proc(b, shells, _ws(index), user, _PS, _EXPLORER, "powershell.exe", entities=tag)
            updates = b.office(offset, poisson(b.rng, 2.0))
            _proc(b, updates, _ws(index), "NT AUTHORITY\\SYSTEM", _VENDOR_UPDATE, _EXPLORER,
                  f'"{_VENDOR_UPDATE}" --check', entities=tag)  # fmt: skip


def _servers(b: Builder) -> None:
    """Inventory and whoami on every server; three times as many in the last 24 hours."""
    system = "NT AUTHORITY\\SYSTEM"
    for index in range(1, SERVERS + 1):
        for back in range(24 * 30, 0, -1):
            start = b.alert - HOUR * back
            boost = 3.0 if back <= 24 else 1.0
            runs = b.within(start, start + HOUR, poisson(b.rng, boost))
            _proc(b, runs, _srv(index), system, _PS, _CCM, _INVENTORY)
            checks = b.within(start, start + HOUR, poisson(b.rng, boost / 12))
            _proc(b, checks, _srv(index), system, _CMD, _CCM, _WHOAMI)


def _bystander_traps(b: Builder, entity: str) -> None:
    for index in range(1, SERVERS + 1):
        b.trap(entity, "SecurityEvent", "Computer", _srv(index), "bystander host")
    b.trap(entity, "SecurityEvent", "ParentProcessName", _CCM, "bystander parent")
    b.trap(entity, "SecurityEvent", "Account", "NT AUTHORITY\\SYSTEM", "bystander account")


def process_bystander(directory: Path, seed: int = 123) -> Scenario:
    """Point 3: processes and files known by their image name only are someone else's."""
    b = Builder("process bystander", seed)
    hosts = {7: "h7", 12: "h12", 21: "h21"}
    host_ids = {k: host(v, _ws(k))["id"] for k, v in hosts.items()}
    image = file("f1", _PS_DIR, "powershell.exe")
    b.incident(
        "Encoded PowerShell started by Word",
        [host("h7", _ws(7)), image, process("p1", _ENCODED, image["id"], host_ids[7])],
        9301,
    )
    cmd = file("f2", "C:\\Windows\\System32", "cmd.exe")
    b.incident(
        "Discovery from a dropped binary",
        [host("h12", _ws(12)), cmd, process("p2", _WHOAMI, cmd["id"], host_ids[12])],
        9302,
    )
    b.incident(
        "Dropped update.exe",
        [host("h21", _ws(21)), file("f3", "C:\\Users\\Public", "update.exe", host_ids[21])],
        9303,
    )
    _workstations(b, {})
    _servers(b)
    victims = {7: account_name(7), 12: account_name(12), 21: account_name(21)}
    # Incident 1: the encoded PowerShell, twelve runs started by Word.
    b.use(0)
    for entity in (_ENCODED, _PS):
        _bystander_traps(b, entity)
    _proc(b, b.before_alert(12, 110), _ws(7), f"CONTOSO\\{victims[7]}", _PS, _WORD, _ENCODED,
          entities=(_ENCODED, _PS, _ws(7)), planted=True)  # fmt: skip
    b.wanted(_ws(7), "SecurityEvent", "ParentProcessName", _WORD, "brand-new value")
    b.wanted(_ENCODED, "SecurityEvent", "Account", f"CONTOSO\\{victims[7]}", "brand-new value")
    b.wanted(_PS, "SecurityEvent", "Account", f"CONTOSO\\{victims[7]}", "spike on a usual value")
    # Incident 2: whoami from the dropped binary.
    b.use(1)
    for entity in (_WHOAMI, _CMD):
        _bystander_traps(b, entity)
    _proc(b, b.before_alert(6, 40), _ws(12), f"CONTOSO\\{victims[12]}", _CMD, _DROPPED,
          _WHOAMI, entities=(_WHOAMI, _CMD, _ws(12)), planted=True)  # fmt: skip
    b.wanted(_ws(12), "SecurityEvent", "ParentProcessName", _DROPPED, "brand-new value")
    for entity in (_WHOAMI, _CMD):
        b.wanted(entity, "SecurityEvent", "Account", f"CONTOSO\\{victims[12]}", "brand-new value")
    # Incident 3: the dropped update.exe, eight runs started by the same binary.
    b.use(2)
    for index in range(WORKSTATIONS):
        if index != 21:
            b.trap(_BAD_UPDATE, "SecurityEvent", "Computer", _ws(index), "bystander host")
    b.trap(_BAD_UPDATE, "SecurityEvent", "Account", "NT AUTHORITY\\SYSTEM", "bystander account")
    _proc(b, b.before_alert(8, 60), _ws(21), f"CONTOSO\\{victims[21]}", _BAD_UPDATE, _DROPPED,
          f'"{_BAD_UPDATE}" /silent', entities=(_BAD_UPDATE, _ws(21)), planted=True)  # fmt: skip
    b.wanted(_ws(21), "SecurityEvent", "ParentProcessName", _DROPPED, "brand-new value")
    b.wanted(_BAD_UPDATE, "SecurityEvent", "Account", f"CONTOSO\\{victims[21]}", "brand-new value")
    return b.write(
        directory,
        point="3. process bystander",
        description=(
            "encoded PowerShell started by Word, `cmd.exe /c whoami /all` started by a dropped "
            "binary, a dropped C:\\Users\\Public\\update.exe; bystanders: an inventory script "
            "with the same PowerShell image and the same whoami command line on 10 servers "
            "(3x on the alert day), a vendor's update.exe on every workstation"
        ),
    )


def _sessions(b: Builder, user: int, offset: int, tag: tuple[str, ...]) -> list[str]:
    """A user's application sessions on one day (CSV, ``SessionId_g``): their ids."""
    ids = []
    for _ in range(1 + int(b.rng.random() < 0.3)):
        session = guid(b.rng)
        ids.append(session)
        times = b.office(offset, 120 + poisson(b.rng, 40.0), start=8, end=14)
        actions = [f"action-{int(i)}" for i in b.rng.choice(8, len(times))]
        b.add("AppSessions_CL", times, entities=tag, User_s=user_principal_name(user),
              SessionId_g=session, Action_s=actions, Latency_d=[round(float(x), 1) for x in
              b.rng.gamma(2.0, 40.0, len(times))], ClientIP_s=f"10.20.0.{user + 1}")  # fmt: skip
    return ids


def _connections(b: Builder, user: int, offset: int, tag: tuple[str, ...]) -> list[str]:
    """A user's proxy connections on one day (JSON, unsuffixed ``ConnectionId``): their ids."""
    connection = guid(b.rng)
    times = b.office(offset, 110 + poisson(b.rng, 30.0), start=8, end=14)
    categories = [f"category-{int(i)}" for i in b.rng.choice(6, len(times))]
    b.add("WebProxy_CL", times, entities=tag, UserName=user_principal_name(user),
          ConnectionId=connection, Category=categories, BytesSent=[int(x) for x in
          b.rng.integers(100, 5000, len(times))])  # fmt: skip
    return [connection]


def untyped_custom_table(directory: Path, seed: int = 124) -> Scenario:
    """Point 4: GUID-valued id columns of custom tables read from CSV and JSON files."""
    b = Builder("untyped custom table", seed)
    b.formats["AppSessions_CL"] = "csv"
    victim_index = 9
    victim = user_principal_name(victim_index)
    b.incident("Bulk export from the line-of-business app", [account("a1", victim)], 9401)
    for user in range(15):
        tag = (victim,) if user == victim_index else ()
        for offset in b.history_days():
            if b.day(offset).weekday() >= 5:
                continue
            sessions = _sessions(b, user, offset, tag)
            connections = _connections(b, user, offset, tag)
            if offset == 0 and tag:
                for value in sessions:
                    b.trap(victim, "AppSessions_CL", "SessionId_g", value, "id-like column")
                for value in connections:
                    b.trap(victim, "WebProxy_CL", "ConnectionId", value, "id-like column")
    session = guid(b.rng)
    b.trap(victim, "AppSessions_CL", "SessionId_g", session, "id-like column")
    b.plant("AppSessions_CL", b.before_alert(25, 40), entities=(victim,), User_s=victim,
            SessionId_g=session, Action_s="ExportAll", Latency_d=900.0,
            ClientIP_s=f"10.20.0.{victim_index + 1}")  # fmt: skip
    b.wanted(victim, "AppSessions_CL", "Action_s", "ExportAll", "brand-new value")
    connection = guid(b.rng)
    b.trap(victim, "WebProxy_CL", "ConnectionId", connection, "id-like column")
    b.plant("WebProxy_CL", b.before_alert(30, 40), entities=(victim,), UserName=victim,
            ConnectionId=connection, Category="file-sharing", BytesSent=4_000_000)  # fmt: skip
    b.wanted(victim, "WebProxy_CL", "Category", "file-sharing", "brand-new value")
    return b.write(
        directory,
        point="4. untyped custom table",
        description=(
            "AppSessions_CL.csv with SessionId_g (one GUID per session, ~160 rows each) and "
            "WebProxy_CL.jsonl with an unsuffixed GUID ConnectionId; planted: a brand-new "
            "action (ExportAll) and category (file-sharing) in a new session/connection"
        ),
    )

"""The values the generated rows draw from: names, apps, result codes, events, ports (data only)."""

from __future__ import annotations

FIRST_NAMES = (
    "alex allan ben carla dana emil fatima gregor hana ivan jun kira liam maya nils olga "
    "pedro quinn rosa sam tariq uma vera wes xena yusuf zoe aiko bruno chloe diego elin finn"
).split()
LAST_NAMES = (
    "smith berg chen diaz evans fox garcia hoang ito jensen khan lopez moreau novak okafor "
    "park quist rossi silva tanaka ueda vargas wagner xu young zeller"
).split()
COUNTRIES = ("US", "US", "US", "GB", "DE", "NL", "FR", "CA", "IN", "SE")
APPS = (
    "Office 365 Exchange Online",
    "Microsoft Teams",
    "Office 365 SharePoint Online",
    "Microsoft Office",
    "OneDrive SyncEngine",
    "Azure Portal",
    "Microsoft Edge",
    "Outlook Mobile",
    "Power BI",
    "Visual Studio Code",
)
CLIENT_APPS = ("Browser", "Mobile Apps and Desktop clients", "Exchange ActiveSync")
#: Sign-in (ResultType, ResultDescription): 0 success, 1 bad password, 2 MFA required.
RESULTS = (
    ("0", "Success"),
    ("50126", "Error validating credentials due to invalid username or password."),
    ("50074", "Strong Authentication is required."),
    ("50140", "This error occurred due to 'Keep me signed in' interrupt."),
    ("700016", "Application not found in the directory."),
)
EVENTS = (
    (4624, "4624 - An account was successfully logged on."),
    (4634, "4634 - An account was logged off."),
    (4688, "4688 - A new process has been created."),
    (4672, "4672 - Special privileges assigned to new logon."),
    (4625, "4625 - An account failed to log on."),
    (4768, "4768 - A Kerberos authentication ticket (TGT) was requested."),
    (4720, "4720 - A user account was created."),
    (4732, "4732 - A member was added to a security-enabled local group."),
)
#: SecurityEvent Activity text of each EventID.
ACTIVITY = dict(EVENTS)
PROCESSES = (
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    "C:\\Windows\\System32\\taskhostw.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\System32\\RuntimeBroker.exe",
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\net.exe",
)
POWERSHELL = PROCESSES[8]
CMD = PROCESSES[9]
#: OfficeActivity (Operation, OfficeWorkload, RecordType).
OPERATIONS = (
    ("FileAccessed", "SharePoint", "SharePointFileOperation"),
    ("FileModified", "SharePoint", "SharePointFileOperation"),
    ("FileDownloaded", "OneDrive", "SharePointFileOperation"),
    ("MailItemsAccessed", "Exchange", "ExchangeItem"),
    ("Send", "Exchange", "ExchangeItem"),
    ("UserLoggedIn", "AzureActiveDirectory", "AzureActiveDirectoryStsLogon"),
    ("FileUploaded", "OneDrive", "SharePointFileOperation"),
    ("New-InboxRule", "Exchange", "ExchangeAdmin"),
    ("Set-Mailbox", "Exchange", "ExchangeAdmin"),
)
FILE_ACCESSED, FILE_DOWNLOADED, NEW_INBOX_RULE = 0, 2, 7
#: Team sites of the tenant's SharePoint.
SITES = 2500
FACILITIES = ("auth", "authpriv", "daemon", "cron", "kern", "syslog")
SEVERITIES = ("info", "notice", "warning", "err")
SYSLOG_PROCESSES = ("sshd", "sudo", "CRON", "systemd", "kernel", "rsyslogd")
PORTS = (443, 80, 53, 22, 3389, 445, 8080, 123)
APP_PROTOCOLS = {
    443: "ssl",
    80: "web-browsing",
    53: "dns",
    22: "ssh",
    3389: "ms-rdp",
    445: "ms-ds-smb",
    8080: "web-browsing",
    123: "ntp",
}

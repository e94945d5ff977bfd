"""Where each entity kind appears, table by table: named columns and free-text columns.

This module is data, meant to be read. For each searched kind (:mod:`lookup.entity_kinds`),
each known table maps to the columns that hold entities of that kind, written as
``"NamedColumn OtherColumn | FreeTextColumn"``:

* **named** columns (left of ``|``) hold the entity itself: ``SigninLogs.UserPrincipalName``,
  ``DnsEvents.Name``, or a dynamic document holding it (``AuditLogs.InitiatedBy``);
* **free-text** columns (right of ``|``) are messages and command lines that mention it:
  ``Syslog.SyslogMessage``, ``CommonSecurityLog.AdditionalExtensions``,
  ``SecurityEvent.CommandLine``.

Both are searched the same way, in the same two queries per table, with Kusto's ``has``
(whole terms, case-insensitive): free text is just more columns for the entity. The
split only documents why a column is there.

Tables nobody mapped (custom ``_CL`` tables, new connectors) get a name-based guess
(:data:`GUESS_RULES`, :func:`lookup.tables.guess_entity_columns`), and kinds whose values
stand out in any text (URLs, domains, hashes) are also searched in the usual free-text
columns of such tables (:data:`FREE_TEXT_COLUMNS`).
"""

from __future__ import annotations

from lookup.models import EntityKind

_DEVICE_ACCOUNT = (
    "InitiatingProcessAccountUpn InitiatingProcessAccountName InitiatingProcessAccountSid "
    "InitiatingProcessAccountObjectId"
)
_DEVICE_HASHES = "InitiatingProcessSHA256 InitiatingProcessSHA1 InitiatingProcessMD5"
_DEVICE_PROCESS = (
    "InitiatingProcessCommandLine InitiatingProcessFolderPath InitiatingProcessFileName "
    "InitiatingProcessParentFileName"
)
_DEVICE_IMAGES = (
    "InitiatingProcessFolderPath InitiatingProcessFileName InitiatingProcessParentFileName"
)
_DEVICE_COMMAND_LINES = "InitiatingProcessCommandLine"
_EMAIL_ADDRESSES = "SenderFromAddress SenderMailFromAddress RecipientEmailAddress"

#: Entity kind → table → ``"named columns | free-text columns"``.
COLUMNS: dict[EntityKind, dict[str, str]] = {
    EntityKind.ACCOUNT: {
        "SigninLogs": "UserPrincipalName UserId AlternateSignInName SignInIdentifier",
        "AADNonInteractiveUserSignInLogs": "UserPrincipalName UserId AlternateSignInName",
        # InitiatedBy.user.{userPrincipalName,id}; TargetResources[].{userPrincipalName,id}
        "AuditLogs": "InitiatedBy TargetResources",
        "SecurityEvent": "Account TargetAccount SubjectAccount TargetUserName SubjectUserName "
        "TargetUserSid SubjectUserSid TargetSid UserPrincipalName AccountName SamAccountName "
        "MemberName MemberSid",
        # No structured user field; sshd/sudo/su lines name the user in the message.
        "Syslog": "| SyslogMessage",
        "CommonSecurityLog": "SourceUserName DestinationUserName SourceUserID DestinationUserID",
        "OfficeActivity": "UserId UserKey MailboxOwnerUPN MailboxOwnerSid LogonUserSid "
        "TargetUserOrGroupName DestMailboxOwnerUPN Actor",
        "AzureActivity": "Caller",
        "DeviceEvents": f"AccountName AccountSid {_DEVICE_ACCOUNT}",
        "DeviceProcessEvents": "AccountUpn AccountName AccountSid AccountObjectId "
        + _DEVICE_ACCOUNT,
        "DeviceLogonEvents": f"AccountName AccountSid {_DEVICE_ACCOUNT}",
        "DeviceNetworkEvents": _DEVICE_ACCOUNT,
        "IdentityLogonEvents": "AccountUpn AccountName AccountSid AccountObjectId",
        "CloudAppEvents": "AccountId AccountObjectId",
        # A user's UPN is usually also their SMTP address.
        "EmailEvents": "RecipientEmailAddress RecipientObjectId SenderFromAddress "
        "SenderMailFromAddress SenderObjectId",
        "W3CIISLog": "csUserName",
        "BehaviorAnalytics": "UserPrincipalName UserName ActorPrincipalName ActorName "
        "TargetPrincipalName",
        "SecurityAlert": "CompromisedEntity Entities",
        "Anomalies": "UserPrincipalName UserName Entities",
    },
    EntityKind.HOST: {
        "SigninLogs": "DeviceDetail",  # DeviceDetail.displayName / deviceId
        "AADNonInteractiveUserSignInLogs": "DeviceDetail",
        "SecurityEvent": "Computer WorkstationName Workstation TargetServerName "
        "SubjectMachineName FullyQualifiedSubjectMachineName",
        "Syslog": "Computer HostName",
        "CommonSecurityLog": "DeviceName SourceHostName DestinationHostName Computer",
        "OfficeActivity": "ClientMachineName",
        "DeviceEvents": "DeviceName DeviceId RemoteDeviceName",
        "DeviceProcessEvents": "DeviceName DeviceId",
        "DeviceLogonEvents": "DeviceName DeviceId RemoteDeviceName",
        "DeviceNetworkEvents": "DeviceName DeviceId",
        "IdentityLogonEvents": "DeviceName DestinationDeviceName TargetDeviceName",
        "DnsEvents": "Computer Name",
        "W3CIISLog": "Computer csHost",
        "BehaviorAnalytics": "SourceDevice DestinationDevice Device",
        "SecurityAlert": "CompromisedEntity Entities",
        "Anomalies": "SourceDevice DestinationDevice Entities",
    },
    EntityKind.IP: {
        "SigninLogs": "IPAddress",
        "AADNonInteractiveUserSignInLogs": "IPAddress",
        "AuditLogs": "InitiatedBy",  # InitiatedBy.user.ipAddress
        "SecurityEvent": "IpAddress ClientIPAddress ClientAddress RemoteIpAddress",
        "Syslog": "HostIP | SyslogMessage",
        "CommonSecurityLog": "SourceIP DestinationIP SourceTranslatedAddress "
        "DestinationTranslatedAddress DeviceAddress RemoteIP MaliciousIP",
        "OfficeActivity": "ClientIP ActorIpAddress Client_IPAddress",
        "AzureActivity": "CallerIpAddress",
        "DeviceEvents": "RemoteIP LocalIP FileOriginIP",
        "DeviceLogonEvents": "RemoteIP",
        "DeviceNetworkEvents": "RemoteIP LocalIP",
        "IdentityLogonEvents": "IPAddress DestinationIPAddress",
        "CloudAppEvents": "IPAddress",
        "EmailEvents": "SenderIPv4 SenderIPv6",
        "DnsEvents": "ClientIP IPAddresses MaliciousIP",
        "W3CIISLog": "cIP sIP",
        "BehaviorAnalytics": "SourceIPAddress DestinationIPAddress",
        "SecurityAlert": "Entities",
        "Anomalies": "SourceIpAddress DestinationIpAddress Entities",
    },
    EntityKind.URL: {
        "CommonSecurityLog": "RequestURL DestinationHostName | Message AdditionalExtensions",
        "OfficeActivity": "Site_Url OfficeObjectId",
        "DeviceEvents": f"RemoteUrl FileOriginUrl | ProcessCommandLine {_DEVICE_COMMAND_LINES}",
        "DeviceNetworkEvents": f"RemoteUrl | {_DEVICE_COMMAND_LINES}",
        "DeviceProcessEvents": f"| ProcessCommandLine {_DEVICE_COMMAND_LINES}",
        "SecurityEvent": "| CommandLine",
        "Syslog": "| SyslogMessage",
        "DnsEvents": "Name",
        "W3CIISLog": "csHost csReferer",
        "EmailEvents": "| Subject",
        "SecurityAlert": "Entities | ExtendedProperties",
        "Anomalies": "Entities",
    },
    EntityKind.FILE_HASH: {
        "SecurityEvent": "FileHash | CommandLine",
        "CommonSecurityLog": "FileHash OldFileHash | Message AdditionalExtensions",
        "DeviceEvents": f"SHA256 SHA1 MD5 {_DEVICE_HASHES} | AdditionalFields ProcessCommandLine "
        f"{_DEVICE_COMMAND_LINES}",
        "DeviceProcessEvents": f"SHA256 SHA1 MD5 {_DEVICE_HASHES} | ProcessCommandLine "
        f"{_DEVICE_COMMAND_LINES}",
        "DeviceLogonEvents": _DEVICE_HASHES,
        "DeviceNetworkEvents": f"{_DEVICE_HASHES} | {_DEVICE_COMMAND_LINES}",
        "Syslog": "| SyslogMessage",
        "SecurityAlert": "Entities | ExtendedProperties",
    },
    EntityKind.PROCESS: {
        "SecurityEvent": "CommandLine NewProcessName ParentProcessName Process ProcessName "
        "CallerProcessName",
        "Syslog": "ProcessName",
        "CommonSecurityLog": "SourceProcessName DestinationProcessName",
        "DeviceEvents": f"ProcessCommandLine {_DEVICE_PROCESS}",
        "DeviceProcessEvents": f"ProcessCommandLine FolderPath FileName {_DEVICE_PROCESS}",
        "DeviceLogonEvents": _DEVICE_PROCESS,
        "DeviceNetworkEvents": _DEVICE_PROCESS,
        "SecurityAlert": "Entities",
    },
    EntityKind.MAILBOX: {
        "SigninLogs": "UserPrincipalName UserId",
        "AADNonInteractiveUserSignInLogs": "UserPrincipalName UserId",
        "AuditLogs": "InitiatedBy TargetResources",
        "OfficeActivity": "MailboxOwnerUPN UserId DestMailboxOwnerUPN SendAsUserSmtp "
        "SendOnBehalfOfUserSmtp",
        "CloudAppEvents": "AccountId AccountObjectId",
        "EmailEvents": f"{_EMAIL_ADDRESSES} RecipientObjectId SenderObjectId",
        "SecurityAlert": "Entities",
    },
    EntityKind.CLOUD_APPLICATION: {
        "SigninLogs": "AppDisplayName AppId ResourceDisplayName ResourceIdentity",
        "AADNonInteractiveUserSignInLogs": "AppDisplayName AppId ResourceDisplayName "
        "ResourceIdentity",
        "AuditLogs": "InitiatedBy TargetResources",  # InitiatedBy.app.{displayName,appId}
        "OfficeActivity": "AppId ClientAppId AzureADAppId Application",
        "CloudAppEvents": "Application ApplicationId OAuthAppId",
        "SecurityAlert": "Entities",
    },
    EntityKind.AZURE_RESOURCE: {
        # _ResourceId is bookkeeping for every other purpose, but for a resource entity it
        # is exactly "rows this resource emitted".
        "AzureActivity": "ResourceId _ResourceId",
        "SecurityAlert": "ResourceId Entities",
        "SecurityEvent": "_ResourceId",
        "Syslog": "_ResourceId",
        "CommonSecurityLog": "_ResourceId",
        "DnsEvents": "_ResourceId",
        "W3CIISLog": "_ResourceId",
    },
    EntityKind.DNS_RESOLUTION: {
        "DnsEvents": "Name",
        "DeviceEvents": f"RemoteUrl FileOriginUrl | ProcessCommandLine {_DEVICE_COMMAND_LINES}",
        "DeviceNetworkEvents": f"RemoteUrl | {_DEVICE_COMMAND_LINES}",
        "DeviceProcessEvents": f"| ProcessCommandLine {_DEVICE_COMMAND_LINES}",
        "CommonSecurityLog": "DestinationHostName DestinationDnsDomain RequestURL | Message "
        "AdditionalExtensions",
        "SecurityEvent": "| CommandLine",
        "Syslog": "| SyslogMessage",
        "W3CIISLog": "csHost csReferer",
        "EmailEvents": "SenderFromDomain SenderMailFromDomain",
        "SecurityAlert": "Entities | ExtendedProperties",
    },
    EntityKind.FILE: {
        "SecurityEvent": "NewProcessName ParentProcessName ProcessName Process FilePath "
        "ObjectName ServiceFileName",
        "CommonSecurityLog": "FileName FilePath OldFileName OldFilePath",
        "OfficeActivity": "SourceFileName DestinationFileName OfficeObjectId",
        "DeviceEvents": f"FileName FolderPath {_DEVICE_IMAGES}",
        "DeviceProcessEvents": f"FileName FolderPath {_DEVICE_IMAGES}",
        "DeviceNetworkEvents": _DEVICE_IMAGES,
        "DeviceLogonEvents": _DEVICE_IMAGES,
        "W3CIISLog": "csUriStem",
        "SecurityAlert": "Entities",
    },
    EntityKind.MAIL_MESSAGE: {
        "EmailEvents": f"NetworkMessageId InternetMessageId {_EMAIL_ADDRESSES} SenderIPv4 "
        "SenderIPv6",
        # Exchange audit: MailItemsAccessed, Send... name the message in these documents.
        "OfficeActivity": "| AffectedItems Item Folders",
        "SecurityAlert": "Entities",
    },
    EntityKind.SUBMISSION_MAIL: {
        "EmailEvents": f"NetworkMessageId {_EMAIL_ADDRESSES} SenderIPv4 SenderIPv6",
        "SecurityAlert": "Entities",
    },
    EntityKind.REGISTRY_KEY: {
        "DeviceEvents": "RegistryKey",
        "SecurityEvent": "ObjectName | CommandLine",
        "DeviceProcessEvents": f"| ProcessCommandLine {_DEVICE_COMMAND_LINES}",
        "SecurityAlert": "Entities",
    },
    EntityKind.REGISTRY_VALUE: {
        "DeviceEvents": "RegistryValueName RegistryValueData",
        "SecurityEvent": "ObjectValueName NewValue OldValue",
        "SecurityAlert": "Entities",
    },
    EntityKind.SECURITY_GROUP: {
        # 4727-4764: group created/changed, member added/removed (TargetSid = the group).
        "SecurityEvent": "TargetSid TargetUserName TargetAccount | GroupMembership",
        "AuditLogs": "TargetResources",
        "OfficeActivity": "TargetUserOrGroupName AADGroupId",
        "SecurityAlert": "Entities",
    },
    EntityKind.IOT_DEVICE: {
        "CommonSecurityLog": "DeviceName SourceHostName DestinationHostName SourceIP "
        "DestinationIP SourceMACAddress DestinationMACAddress DeviceMacAddress",
        "Syslog": "Computer HostName HostIP",
        "DeviceEvents": "DeviceName DeviceId RemoteDeviceName RemoteIP LocalIP",
        "DeviceNetworkEvents": "DeviceName DeviceId RemoteIP LocalIP",
        "SecurityAlert": "CompromisedEntity Entities",
    },
    EntityKind.MALWARE: {
        "EmailEvents": "ThreatNames",
        "DeviceEvents": "| AdditionalFields",  # AntivirusDetection: ThreatName
        "CommonSecurityLog": "| Message AdditionalExtensions",
        "Syslog": "| SyslogMessage",
        "SecurityAlert": "Entities | AlertName Description ExtendedProperties",
    },
    EntityKind.NIC: {
        "CommonSecurityLog": "SourceIP DestinationIP SourceMACAddress DestinationMACAddress "
        "DeviceMacAddress",
        "DeviceEvents": "RemoteIP LocalIP",
        "DeviceNetworkEvents": "RemoteIP LocalIP",
        "Syslog": "HostIP",
        "SecurityAlert": "Entities",
    },
}

#: Usual free-text column names, searched in tables nobody mapped for the kinds below.
FREE_TEXT_COLUMNS: tuple[str, ...] = (
    "SyslogMessage", "Message", "RawData", "AdditionalExtensions", "CommandLine",
    "ProcessCommandLine", "InitiatingProcessCommandLine", "AdditionalFields",
)  # fmt: skip

#: Kinds whose values stand out in any text, so free text of unmapped tables is searched.
FREE_TEXT_KINDS: frozenset[EntityKind] = frozenset(
    {EntityKind.URL, EntityKind.DNS_RESOLUTION, EntityKind.FILE_HASH, EntityKind.MALWARE}
)

#: Per kind, for tables nobody mapped: column-name words (or adjacent word pairs, joined)
#: that make a column a candidate, and words that rule it out. Names are split into words:
#: ``SourceUserName_s`` → source, user, name, s; ``cIP`` → c, ip; ``SHA256`` → sha, 256.
GUESS_RULES: dict[EntityKind, tuple[str, str]] = {
    EntityKind.ACCOUNT: (
        "user users username account accounts upn caller principal sid actor login samaccountname",
        "agent type types count domain display group kind role tenant",
    ),
    EntityKind.HOST: (
        "host hostname computer device machine workstation server",
        "ip ips address addr mac type vendor product version action event custom category "
        "facility interface zone payload domain group os platform translated port count",
    ),
    EntityKind.IP: (
        "ip ips ipv4 ipv6 ipaddress ipaddr srcip dstip address addresses addr",
        "mac mail email smtp from type country location city latitude longitude category "
        "tags tag count geo asn isp port",
    ),
    EntityKind.URL: (
        "url urls uri domain referer referrer link links",
        "account user nt sid version policy behavior controller count category",
    ),
    EntityKind.FILE_HASH: (
        "hash hashes sha1 sha256 sha384 sha512 md5 imphash ssdeep",
        "algorithm type count",
    ),
    EntityKind.PROCESS: (
        "process processname commandline cmdline cmd image executable parentprocess",
        "id guid integrity level token elevation creation time version info company "
        "description signature signer size count account sha1 sha256 md5 hash loaded",
    ),
    EntityKind.MAILBOX: (
        "mailbox mail email smtp recipient recipients sender upn",
        "domain display ip ipv4 ipv6 count action policy language direction cluster size "
        "type location",
    ),
    EntityKind.CLOUD_APPLICATION: (
        "app apps application applications appid appname",
        "used guard container pool protocol mode owner tenant version type count",
    ),
    EntityKind.AZURE_RESOURCE: (
        "resource resources resourceid azureid",
        "group provider type display tenant owner location service principal name identity",
    ),
    EntityKind.DNS_RESOLUTION: (
        "domain domainname dns query queryname fqdn hostname url uri",
        "account user nt sid controller count category type policy",
    ),
    EntityKind.FILE: (
        "file filename filepath path folder folderpath image",
        "size hash sha1 sha256 md5 type count time created modified permission id owner version",
    ),
    EntityKind.MAIL_MESSAGE: (
        "messageid networkmessageid internetmessageid sender recipient",
        "display domain count type action policy language direction size",
    ),
    EntityKind.SUBMISSION_MAIL: (
        "messageid networkmessageid submissionid sender recipient",
        "display domain count type action policy language direction size",
    ),
    EntityKind.REGISTRY_KEY: ("registry registrykey regkey", "value data type count"),
    EntityKind.REGISTRY_VALUE: (
        "registryvalue registryvaluename registryvaluedata regvalue",
        "type count",
    ),
    EntityKind.SECURITY_GROUP: ("group groups groupname groupid", "policy type count"),
    EntityKind.IOT_DEVICE: (
        "device devicename deviceid mac macaddress ip ipaddress",
        "vendor product version type category count model",
    ),
    EntityKind.MALWARE: (
        "malware threat threatname threatnames virus signature",
        "type count severity level id category",
    ),
    EntityKind.NIC: (
        "mac macaddress ip ipaddress ipv4 ipv6",
        "country location city latitude longitude count port type",
    ),
}


def split_columns(spec: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``"A B | C"`` → (named ``(A, B)``, free text ``(C,)``)."""
    named, _, free = spec.partition("|")
    return tuple(named.split()), tuple(free.split())

"""Every Sentinel entity kind, what the lookup searches it by, or why it is not searched.

This module is data, meant to be read: one row per kind of Sentinel's ``EntityKind`` enum
(azure-rest-api-specs ``common/EntityTypes.json``) plus the alert-only entity types that
``SecurityAlert.Entities`` carries (``host-logon-session``, ``network-connection``...).
Where each searched kind is looked for, table by table, is :mod:`lookup.entity_columns`;
the README's table of entity kinds is generated from both (:mod:`lookup.entity_table`).

A searched kind either lists the entity **properties** whose values are its identifiers,
in order (the first one present is the display value; ``a|B`` reads ``a``, else ``B``;
property names match camelCase and the alert form's PascalCase alike; list-valued
properties such as ``urls`` give one identifier per item), or names a **rule** in
:mod:`lookup.identifier_rules` when identifiers are derived (a UPN from name + suffix, a
path from directory + file name, a machine name from an ARM id). ``friendly`` says whether
``friendlyName`` is the last resort when no listed property is present.
"""

from __future__ import annotations

from dataclasses import dataclass

from lookup.models import EntityKind


@dataclass(frozen=True)
class KindSpec:
    """How one entity kind becomes search terms, or why it does not."""

    name: str
    #: What is searched, in words (the README's "Identifiers" column).
    identifiers: str = ""
    #: Properties read in order (``a|B`` = ``a``, else ``B``), for kinds without a rule.
    properties: tuple[str, ...] = ()
    #: Name of the derivation in :mod:`lookup.identifier_rules`, for the other kinds.
    rule: str | None = None
    #: ``friendlyName`` is used when none of ``properties`` is present.
    friendly: bool = False
    #: Why the kind is not searched (None for searched kinds).
    skip: str | None = None

    @property
    def searched(self) -> bool:
        """Whether entities of this kind are looked for in the logs."""
        return self.skip is None


def _props(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Searched kinds, in :class:`EntityKind` order.
SEARCHED: dict[EntityKind, KindSpec] = {
    EntityKind.ACCOUNT: KindSpec(
        "Account",
        "UPN (userPrincipalName, or accountName + upnSuffix), NTDOMAIN\\name (HOST\\name for "
        "a local account), SID, AAD object id, objectGuid, PUID, bare account name",
        rule="account",
    ),
    EntityKind.HOST: KindSpec(
        "Host",
        "FQDN, host name, NetBIOS name, Defender device id; a host known only by its "
        "azureID (or an ARM id as friendlyName) is searched by the machine name of "
        "Microsoft.Compute/virtualMachines/NAME or Microsoft.HybridCompute/machines/NAME",
        rule="host",
    ),
    EntityKind.IP: KindSpec(
        "Ip", "the address, its canonical form, the IPv4 of an IPv4-mapped IPv6", rule="ip"
    ),
    EntityKind.URL: KindSpec(
        "Url", "the URL, the URL without its scheme, its host name", rule="url"
    ),
    EntityKind.FILE_HASH: KindSpec(
        "FileHash", "hashValue (never friendlyName, which reads `<hash>(SHA1)`)",
        properties=_props("hashValue|Value"),
    ),
    EntityKind.PROCESS: KindSpec(
        "Process",
        "command line; without one, the image file's full path (its File entity), or its "
        "name when no directory is known (never the image name next to a command line); on "
        "its host (hostEntityId) in tables with host columns",
        rule="process",
    ),
    EntityKind.MAILBOX: KindSpec(
        "Mailbox", "primary SMTP address, UPN, external directory object id",
        properties=_props("mailboxPrimaryAddress upn externalDirectoryObjectId"),
        friendly=True,
    ),
    EntityKind.CLOUD_APPLICATION: KindSpec(
        "CloudApplication", "app name, app id, instance name",
        properties=_props("appName|Name appId instanceName"), friendly=True,
    ),
    EntityKind.AZURE_RESOURCE: KindSpec(
        "AzureResource", "the resource id (names such as `default` repeat across resources)",
        properties=_props("resourceId"),
    ),
    EntityKind.DNS_RESOLUTION: KindSpec(
        "DnsResolution", "the domain name (its IPs arrive as Ip entities)",
        properties=_props("domainName|DomainName"), friendly=True,
    ),
    EntityKind.FILE: KindSpec(
        "File",
        "full path (directory + file name); the file name only without a directory; on its "
        "host (its own, or that of the Process running it) in tables with host columns",
        rule="file",
    ),
    EntityKind.MAIL_MESSAGE: KindSpec(
        "MailMessage",
        "network message id, internet message id, senders (P1, P2), recipient, sender IP, "
        "URLs in the message",
        properties=_props(
            "networkMessageId internetMessageId p1Sender p2Sender recipient senderIP urls"
        ),
    ),
    EntityKind.SUBMISSION_MAIL: KindSpec(
        "SubmissionMail", "network message id, submission id, recipient, sender, sender IP",
        properties=_props("networkMessageId submissionId recipient sender senderIp"),
    ),
    EntityKind.REGISTRY_KEY: KindSpec(
        "RegistryKey",
        "hive\\key in its long (HKEY_LOCAL_MACHINE\\…), short (HKLM\\…) and kernel "
        "(\\REGISTRY\\MACHINE\\…) forms",
        rule="registry_key",
    ),
    EntityKind.REGISTRY_VALUE: KindSpec(
        "RegistryValue", "value name, value data (its key is a RegistryKey entity)",
        properties=_props("valueName|Name valueData|Value"),
    ),
    EntityKind.SECURITY_GROUP: KindSpec(
        "SecurityGroup", "SID, objectGuid, distinguished name and its CN (the group name)",
        rule="security_group",
    ),
    EntityKind.IOT_DEVICE: KindSpec(
        "IoTDevice",
        "device id, device name, MAC address, IP address (its Ip and Nic entities)",
        rule="iot_device",
    ),
    EntityKind.MALWARE: KindSpec(
        "Malware", "the malware (threat) name", properties=_props("malwareName|Name"),
        friendly=True,
    ),
    EntityKind.NIC: KindSpec(
        "Nic", "IP address, MAC address", properties=_props("ipAddress macAddress"),
    ),
}  # fmt: skip

#: Kinds with nothing to search, each with its reason (README "not searched").
SKIPPED: dict[str, str] = {
    "SecurityAlert": "an alert, not an actor: what it is about arrives as its other entities",
    "Bookmark": "a hunting bookmark: its entities are listed with the incident",
    "MailCluster": "a set of messages described by a query, not one value; its messages "
    "arrive as MailMessage entities",
    "HostLogonSession": "a logon id is unique only on its host and time; its Account and "
    "Host are searched",
    "NetworkConnection": "a connection between addresses; its addresses arrive as Ip entities",
    "CloudLogonSession": "a session id of a cloud sign-in; its Account and Ip are searched",
}

#: Alert entity ``Type`` spellings that do not normalise to a kind name by themselves.
ALIASES: dict[str, str] = {"dns": "DnsResolution"}


def spec(kind: EntityKind) -> KindSpec:
    """The :class:`KindSpec` of a searched kind."""
    return SEARCHED[kind]


def known_kind_names() -> tuple[str, ...]:
    """Every kind name the lookup knows, searched first, in table order."""
    return (*(s.name for s in SEARCHED.values()), *SKIPPED)

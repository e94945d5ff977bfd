"""Entity → identifiers: the rules per kind, both property spellings, hostile strings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lookup.entities import (
    MIN_IDENTIFIER_LENGTH,
    canonical_kind,
    clean_identifiers,
    entities_from_payload,
    entity_from_payload,
    entity_kind,
    usable_identifier,
)
from lookup.errors import PayloadError
from lookup.models import Entity, EntityKind, SkippedEntity


def ent(kind: str, **props: Any) -> dict[str, Any]:
    return {"kind": kind, "properties": props}


def ids(raw: object, related: list[Any] | None = None) -> tuple[str, ...]:
    result = entity_from_payload(raw, related or [])
    assert isinstance(result, Entity), result
    assert result.value == result.identifiers[0]
    return result.identifiers


def skipped(raw: object, related: list[Any] | None = None) -> SkippedEntity:
    result = entity_from_payload(raw, related or [])
    assert isinstance(result, SkippedEntity), result
    return result


# --- kinds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("Ip", EntityKind.IP),
        ("ip", EntityKind.IP),
        ("IP", EntityKind.IP),
        ("account", EntityKind.ACCOUNT),
        ("filehash", EntityKind.FILE_HASH),
        ("cloud-application", EntityKind.CLOUD_APPLICATION),
        ("azure-resource", EntityKind.AZURE_RESOURCE),
        ("MAILBOX", EntityKind.MAILBOX),
        ("File", EntityKind.FILE),
        ("dns", EntityKind.DNS_RESOLUTION),
        ("registry-key", EntityKind.REGISTRY_KEY),
        ("iotdevice", EntityKind.IOT_DEVICE),
        ("host-logon-session", None),
        ("MailCluster", None),
        ("", None),
    ],
)
def test_entity_kind(kind: str, expected: EntityKind | None) -> None:
    assert entity_kind(kind) is expected


def test_canonical_kind() -> None:
    assert canonical_kind("host-logon-session") == "HostLogonSession"
    assert canonical_kind("dns") == "DnsResolution"
    assert canonical_kind(" Brand-New ") == "Brand-New"


# --- identifier hygiene ------------------------------------------------------------------


def test_min_length_and_punctuation_rule() -> None:
    assert MIN_IDENTIFIER_LENGTH == 3
    assert not usable_identifier("a")
    assert not usable_identifier("ab")
    assert not usable_identifier("---")
    assert not usable_identifier("...")
    assert usable_identifier("abc")
    assert usable_identifier("::1")
    assert usable_identifier("例え.")
    assert clean_identifiers(["  Alice ", "alice", "-", "x", None, "ALICE", "bob"]) == (
        "Alice",
        "bob",
    )


def test_account_with_only_short_names_is_skipped() -> None:
    result = skipped(ent("Account", accountName="jd", ntDomain="-"))
    assert result.kind == "Account"
    assert "shorter than 3" in result.reason
    # A short name is still specific once qualified.
    assert ids(ent("Account", accountName="jd", ntDomain="CONTOSO")) == ("CONTOSO\\jd",)
    assert ids(ent("Account", accountName="jd", upnSuffix="contoso.com")) == ("jd@contoso.com",)


# --- Account ------------------------------------------------------------------------------

JDOE = (
    "jdoe@contoso.com",
    "CONTOSO\\jdoe",
    "S-1-5-21-1-2-3-1105",
    "6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "jdoe",
)


@pytest.mark.parametrize(
    "props",
    [
        # 2026 shape: accountName is the UPN prefix; userPrincipalName / UPNSuffix are new.
        {
            "accountName": "jdoe",
            "userPrincipalName": "jdoe@contoso.com",
            "UPNSuffix": "contoso.com",
        },
        {"accountName": "jdoe", "upnSuffix": "contoso.com"},
        # Before: accountName is the full UPN.
        {"accountName": "jdoe@contoso.com", "upnSuffix": "contoso.com"},
        {"accountName": "jdoe@contoso.com"},
        # Alert PascalCase form.
        {"Name": "jdoe", "UPNSuffix": "contoso.com"},
        # DOMAIN\name in accountName, ntDomain missing.
        {"accountName": "CONTOSO\\jdoe", "userPrincipalName": "jdoe@contoso.com"},
    ],
)
def test_account_shapes_agree(props: dict[str, Any]) -> None:
    common = {
        "ntDomain": "CONTOSO",
        "sid": "S-1-5-21-1-2-3-1105",
        "aadUserId": "6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    }
    if "\\" in props.get("accountName", ""):
        del common["ntDomain"]
    assert ids(ent("Account", **common, **props)) == JDOE


def test_account_pascal_case_alert_entity() -> None:
    raw = {
        "$id": "3",
        "Name": "jdoe",
        "UPNSuffix": "contoso.com",
        "NTDomain": "CONTOSO",
        "AadUserId": "6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        "Sid": "S-1-5-21-1-2-3-1105",
        "IsDomainJoined": True,
        "Type": "account",
    }
    assert ids(raw) == JDOE


def test_account_list_entities_example() -> None:
    raw = ent(
        "Account", friendlyName="administrator", accountName="administrator", ntDomain="domain"
    )
    assert ids(raw) == ("domain\\administrator", "administrator")


def test_account_object_guid_and_sid_only() -> None:
    assert ids(
        ent("Account", sid="S-1-5-18", objectGuid="f1e2d3c4-0000-4000-8000-000000000001")
    ) == (
        "S-1-5-18",
        "f1e2d3c4-0000-4000-8000-000000000001",
    )


def test_local_account_is_qualified_with_its_host() -> None:
    host = {"$id": "4", "HostName": "WinAttackSim", "Type": "host"}
    account = {
        "$id": "5",
        "Name": "ADMINISTRATOR",
        "NTDomain": "",
        "Host": {"$ref": "4"},
        "Type": "account",
    }
    assert ids(account, [host, account]) == ("WinAttackSim\\ADMINISTRATOR", "ADMINISTRATOR")
    camel_host = {"id": "/x/Entities/h1", "kind": "Host", "properties": {"hostName": "web01"}}
    camel = ent("Account", accountName="svc", hostEntityId="/x/entities/H1")
    assert ids(camel, [camel_host, camel]) == ("web01\\svc", "svc")


def test_account_friendly_name_is_the_last_resort() -> None:
    assert ids(ent("Account", friendlyName="jdoe@contoso.com")) == ("jdoe@contoso.com", "jdoe")
    result = skipped(ent("Account", displayName="John Doe", isDomainJoined=True))
    assert result.reason.startswith("no userPrincipalName")


# --- Host ---------------------------------------------------------------------------------


def test_host_fqdn_hostname_netbios_and_device_id() -> None:
    raw = ent(
        "Host",
        hostName="vm1",
        dnsDomain="contoso.local",
        netBiosName="VM1",
        azureID="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
        additionalData={"MdatpDeviceId": "95ffd3240bde37ef347cf836db74b13f85cbf185"},
    )
    assert ids(raw) == (
        "vm1.contoso.local",
        "vm1",
        "95ffd3240bde37ef347cf836db74b13f85cbf185",
    )


def test_host_name_that_is_already_an_fqdn() -> None:
    assert ids(ent("Host", hostName="web01.contoso.com")) == ("web01.contoso.com", "web01")
    assert ids(ent("Host", hostName="10.0.0.4")) == ("10.0.0.4",)


def test_host_pascal_case() -> None:
    raw = {
        "HostName": "MSTICALERTSWIN1",
        "DnsDomain": "",
        "NetBiosName": "MSTICALERTSWIN1",
        "Type": "host",
    }
    assert ids(raw) == ("MSTICALERTSWIN1",)


def test_host_ignores_non_string_additional_data() -> None:
    assert ids(ent("Host", hostName="vm1", additionalData={"MdatpDeviceId": 12})) == ("vm1",)


# --- Ip -----------------------------------------------------------------------------------


def test_ip_v4_and_v6_forms() -> None:
    assert ids(ent("Ip", address="110.136.66.60")) == ("110.136.66.60",)
    assert ids(ent("Ip", address="2001:0DB8:0000:0000:0000:0000:0000:0001")) == (
        "2001:0DB8:0000:0000:0000:0000:0000:0001",
        "2001:db8::1",
    )
    assert ids(ent("Ip", address="::ffff:10.1.2.3")) == (
        "::ffff:10.1.2.3",
        "::ffff:a01:203",
        "10.1.2.3",
    )
    assert ids({"Address": "75.10.91.22", "Type": "ip"}) == ("75.10.91.22",)


@pytest.mark.parametrize("address", ["999.1.1.1", "10.0.0.0/24", "not-an-ip", "1.2.3"])
def test_invalid_ip_is_skipped(address: str) -> None:
    result = skipped(ent("Ip", address=address, friendlyName=address))
    assert result == SkippedEntity(
        "Ip", f"address {address!r} is not a valid IPv4 or IPv6 address", address
    )


# --- Url, FileHash ------------------------------------------------------------------------


def test_url_forms() -> None:
    assert ids(ent("Url", url="https://evil.example.com/a/b?x=1")) == (
        "https://evil.example.com/a/b?x=1",
        "evil.example.com/a/b?x=1",
        "evil.example.com",
    )
    assert ids(ent("Url", url="http://Evil.Example.com/")) == (
        "http://Evil.Example.com/",
        "Evil.Example.com",
    )
    assert ids(ent("Url", url="evil.example.com/login")) == (
        "evil.example.com/login",
        "evil.example.com",
    )
    assert ids({"Url": "http://[::1]:8080/x", "Type": "url"}) == (
        "http://[::1]:8080/x",
        "[::1]:8080/x",
        "::1",
    )


def test_file_hash_never_uses_friendly_name() -> None:
    raw = ent(
        "FileHash",
        hashValue="3395856ce81f2b7382dee72602f798b642f14140",
        algorithm="SHA1",
        friendlyName="3395856ce81f2b7382dee72602f798b642f14140(SHA1)",
    )
    assert ids(raw) == ("3395856ce81f2b7382dee72602f798b642f14140",)
    only_friendly = ent("FileHash", friendlyName="3395856ce81f2b7382dee72602f798b642f14140(SHA1)")
    assert skipped(only_friendly).reason.startswith("no hashValue")
    assert ids({"Algorithm": "SHA256", "Value": "ab" * 32, "Type": "filehash"}) == ("ab" * 32,)


# --- Process ------------------------------------------------------------------------------


def test_process_resolves_image_file_entity_id() -> None:
    file = {
        "id": "/subscriptions/s/providers/Microsoft.SecurityInsights/Entities/f1",
        "kind": "File",
        "properties": {
            "fileName": "powershell.exe",
            "directory": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
        },
    }
    process = ent(
        "Process",
        commandLine="powershell.exe -enc SQBFAFgA",
        imageFileEntityId="/subscriptions/s/providers/Microsoft.SecurityInsights/entities/F1",
        processId="4242",
    )
    # A process is its command line: the image (every powershell.exe) is not searched.
    assert ids(process, [process, file]) == ("powershell.exe -enc SQBFAFgA",)


def test_process_without_command_line_uses_the_image() -> None:
    file = {
        "id": "f2",
        "kind": "File",
        "properties": {"fileName": "curl", "directory": "/usr/bin/"},
    }
    process = ent("Process", commandLine="", imageFileEntityId="f2")
    assert ids(process, [file, process]) == ("/usr/bin/curl",)
    bare = {"id": "f3", "kind": "File", "properties": {"fileName": "curl"}}
    assert ids(ent("Process", imageFileEntityId="f3"), [bare]) == ("curl",)
    assert skipped(ent("Process", commandLine=" ", imageFileEntityId="missing")).kind == "Process"


def test_process_alert_form_with_inline_and_referenced_image() -> None:
    inline = {
        "$id": "7",
        "CommandLine": "net  user adm1nistrator bob_testing /add",
        "ImageFile": {
            "$id": "6",
            "Directory": "c:\\windows\\system32",
            "Name": "net.exe",
            "Type": "file",
        },
        "Type": "process",
    }
    referencing = {"$id": "8", "CommandLine": "", "ImageFile": {"$ref": "6"}, "Type": "process"}
    assert ids(inline, [inline, referencing]) == ("net  user adm1nistrator bob_testing /add",)
    assert ids(referencing, [inline, referencing]) == ("c:\\windows\\system32\\net.exe",)


def test_reference_to_an_entity_of_another_kind_is_ignored() -> None:
    host = {"id": "same", "kind": "Host", "properties": {"hostName": "h1"}}
    process = ent("Process", commandLine="whoami.exe /all", imageFileEntityId="same")
    assert ids(process, [host, process]) == ("whoami.exe /all",)


# --- Mailbox, CloudApplication, AzureResource ---------------------------------------------


def test_mailbox() -> None:
    raw = ent(
        "Mailbox",
        mailboxPrimaryAddress="jdoe@contoso.com",
        upn="jdoe@contoso.onmicrosoft.com",
        externalDirectoryObjectId="6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
        displayName="John Doe",
    )
    assert ids(raw) == (
        "jdoe@contoso.com",
        "jdoe@contoso.onmicrosoft.com",
        "6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    )


def test_cloud_application_accepts_numeric_app_id() -> None:
    raw = ent(
        "CloudApplication",
        appName="Microsoft Exchange Online",
        appId=20893,
        instanceName="Office 365",
    )
    assert ids(raw) == ("Microsoft Exchange Online", "20893", "Office 365")
    assert ids({"Name": "Office 365", "AppId": 11161, "Type": "cloud-application"}) == (
        "Office 365",
        "11161",
    )


def test_azure_resource_is_the_resource_id_only() -> None:
    rid = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct01"
    assert ids(ent("AzureResource", resourceId=rid, subscriptionId="s1")) == (rid,)
    assert skipped(ent("AzureResource", subscriptionId="s1")).reason.startswith("no resourceId")


# --- hostile strings ----------------------------------------------------------------------

HOSTILE = ["O'Brien", 'a"b', "CONTOSO\\jdoe", "line1\nline2", "ユーザー@例え.jp", "take", "union *"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_pass_through_unchanged(value: str) -> None:
    assert ids(ent("FileHash", hashValue=value)) == (value,)
    assert ids(ent("Process", commandLine=value))[0] == value
    assert ids(ent("AzureResource", resourceId=value)) == (value,)
    assert ids(ent("Host", netBiosName=value)) == (value,)
    assert ids(ent("Account", sid=value)) == (value,)


def test_hostile_account_names() -> None:
    assert ids(ent("Account", accountName="O'Brien", ntDomain="CONTOSO")) == (
        "CONTOSO\\O'Brien",
        "O'Brien",
    )
    assert ids(ent("Account", accountName="CONTOSO\\jdoe")) == ("CONTOSO\\jdoe", "jdoe")
    assert ids(ent("Account", userPrincipalName="ユーザー@例え.jp")) == (
        "ユーザー@例え.jp",
        "ユーザー",
    )
    assert ids(ent("Account", accountName='a"b', upnSuffix="x.com")) == ('a"b@x.com', 'a"b')
    assert ids(ent("Account", accountName="union *")) == ("union *",)
    assert ids(ent("Account", accountName="take\nline")) == ("take\nline",)


# --- structure errors and the whole-list helper -------------------------------------------


def test_structure_errors_name_the_field() -> None:
    with pytest.raises(PayloadError) as info:
        entity_from_payload("Ip", path="x[0]")
    assert info.value.field == "x[0]"
    with pytest.raises(PayloadError) as info:
        entity_from_payload({"type": "Microsoft.SecurityInsights/Entities"}, path="x[1]")
    assert info.value.field == "x[1].kind"
    with pytest.raises(PayloadError) as info:
        entity_from_payload(ent("Host", hostName=True), path="x[2]")
    assert info.value.field == "x[2].properties.hostName"
    with pytest.raises(PayloadError) as info:
        entity_from_payload({"Type": "account", "Name": ["a"]}, path="Entities[3]")
    assert info.value.field == "Entities[3].Name"


def test_entities_from_payload_sorts_merges_and_dedupes() -> None:
    raws = [
        ent("Ip", address="10.0.0.1"),
        ent("Account", accountName="jdoe", upnSuffix="contoso.com"),
        ent("File", fileName="a.exe"),
        ent("Account", userPrincipalName="JDOE@contoso.com", sid="S-1-5-21-9"),
        ent("File", fileName="a.exe"),
        ent("ip", address="10.0.0.1"),
    ]
    found, skipped_entities = entities_from_payload(raws)
    # Same kind and value (case-insensitively): one entity, the union of identifiers, and
    # a spelling that does not depend on the payload order.
    assert found == (
        Entity(EntityKind.ACCOUNT, "JDOE@contoso.com", ("JDOE@contoso.com", "S-1-5-21-9", "JDOE")),
        Entity(EntityKind.IP, "10.0.0.1", ("10.0.0.1",)),
        Entity(EntityKind.FILE, "a.exe", ("a.exe",)),
    )
    assert skipped_entities == ()
    assert entities_from_payload(list(reversed(raws))) == (found, skipped_entities)


def test_entities_from_payload_default_paths() -> None:
    with pytest.raises(PayloadError) as info:
        entities_from_payload([ent("Ip", address="1.1.1.1"), {"properties": {}}])
    assert info.value.field == "entities[1].kind"


# --- every kind, on Microsoft's REST API examples (tests/fixtures/real/rest-api-specs) -----

REST = Path(__file__).resolve().parent / "fixtures" / "real" / "rest-api-specs"


def rest_entity(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((REST / name).read_text("utf-8"))["responses"]["200"]["body"]
    return body


@pytest.mark.parametrize(
    ("example", "kind", "identifiers"),
    [
        ("GetAccountEntityById.json", EntityKind.ACCOUNT, (
            "administrator@contoso", "domain\\administrator", "S-1-5-18",
            "f7033626-2572-46b1-bba0-06646f4f95b3", "11227b78-3c6e-436e-a2a2-02fc7662eca0",
            "ee3cb2d8-14ba-45ef-8009-d6f1cacfa04d", "administrator",
        )),
        ("GetHostEntityById.json", EntityKind.HOST, ("vm1.contoso", "vm1", "contoso")),
        ("GetIpEntityById.json", EntityKind.IP, ("10.3.2.8",)),
        ("GetUrlEntityById.json", EntityKind.URL, ("https://bing.com", "bing.com")),
        ("GetFileHashEntityById.json", EntityKind.FILE_HASH,
         ("E923636F1093C414AAB39F846E9D7A372BEEFA7B628B28179197E539C56AA0F0",)),
        ("GetProcessEntityById.json", EntityKind.PROCESS, ('"cmd"',)),
        ("GetMailboxEntityById.json", EntityKind.MAILBOX,
         ("emailAddress1", "upn1", "18cc8fdc-e169-4451-983a-bd027db286eb")),
        # appId 1 is too short to search.
        ("GetCloudApplicationEntityById.json", EntityKind.CLOUD_APPLICATION,
         ("AppName", "InstanceName")),
        ("GetAzureResourceEntityById.json", EntityKind.AZURE_RESOURCE, (
            "/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg"
            "/providers/Microsoft.Compute/virtualMachines/vm1",
        )),
        ("GetDnsEntityById.json", EntityKind.DNS_RESOLUTION, ("domain",)),
        ("GetFileEntityById.json", EntityKind.FILE, ("C:\\Windows\\System32\\cmd.exe",)),
        ("GetMailMessageEntityById.json", EntityKind.MAIL_MESSAGE, (
            "message id", "email@fake.com", "the sender", "recipient", "1.23.34.43",
            "http://moqbrarcwmnk.banxhdcojlg.biz",
        )),
        ("GetSubmissionMailEntityById.json", EntityKind.SUBMISSION_MAIL,
         ("5bb3d8fe-54bc-499c-bc21-86fe8df2a184", "recipient", "sender", "1.4.35.34")),
        ("GetSecurityGroupEntityById.json", EntityKind.SECURITY_GROUP,
         ("Sid", "fb1b8e04-d944-4986-b39a-1ce9adedcd98", "Name")),
        ("GetIoTDeviceEntityById.json", EntityKind.IOT_DEVICE, ("device1",)),
        ("GetMalwareEntityById.json", EntityKind.MALWARE, ("Win32/Toga!rfn",)),
        ("GetRegistryKeyEntityById.json", EntityKind.REGISTRY_KEY,
         ("HKEY_LOCAL_MACHINE\\SOFTWARE", "HKLM\\SOFTWARE", "\\REGISTRY\\MACHINE\\SOFTWARE")),
        ("GetRegistryValueEntityById.json", EntityKind.REGISTRY_VALUE, ("Name", "Data")),
    ],
)  # fmt: skip
def test_every_kind_of_the_rest_api_examples(
    example: str, kind: EntityKind, identifiers: tuple[str, ...]
) -> None:
    result = entity_from_payload(rest_entity(example))
    assert result == Entity(kind, identifiers[0], identifiers)


@pytest.mark.parametrize(
    ("example", "reason"),
    [
        ("GetMailClusterEntityById.json", "a set of messages described by a query"),
        ("GetSecurityAlertEntityById.json", "an alert, not an actor"),
    ],
)
def test_kinds_with_nothing_to_search_are_skipped_with_a_reason(example: str, reason: str) -> None:
    result = skipped(rest_entity(example))
    assert result.reason.startswith(reason)
    assert result.name


def test_every_kind_is_covered_by_a_real_example() -> None:
    kinds = {rest_entity(p.name).get("kind") for p in REST.glob("Get*ById.json")}
    assert {str(kind) for kind in EntityKind} - kinds == {"Nic"}  # no Nic example upstream


def test_iot_device_addresses_come_from_its_nic_and_ip_entities() -> None:
    device = rest_entity("GetIoTDeviceEntityById.json")
    nic_id = device["properties"]["nicEntityIds"][0]
    nic_props = {"ipAddress": "10.1.0.7", "macAddress": "00-0D-3A-F9-80-E0"}
    nic = {"id": nic_id, "kind": "Nic", "properties": nic_props}
    assert ids(device, [device, nic]) == ("device1", "10.1.0.7", "00-0D-3A-F9-80-E0")
    assert ids(nic) == ("10.1.0.7", "00-0D-3A-F9-80-E0")


def test_alert_form_registry_key_and_value() -> None:
    # From the SecurityAlert export of msticpy (tests/fixtures/sample-data, alertlist.csv).
    key = {"$id": "10", "Hive": "HKEY_CURRENT_USER", "Key": "console", "Type": "registry-key"}
    assert ids(key) == ("HKEY_CURRENT_USER\\console", "HKCU\\console")
    value = {"$id": "11", "Key": {"$ref": "10"}, "ValueType": "Unknown", "Type": "registry-value"}
    assert skipped(value, [key, value]).reason.startswith("no valueName or valueData")


# --- Host known only by its ARM id (Defender for Cloud) ---------------------------------

# The _ResourceId of the real Syslog rows in tests/fixtures/sample-data (Computer UBUNTU5).
UBUNTU5 = (
    "/subscriptions/redacted/resourcegroups/redacted/providers/microsoft.compute"
    "/virtualmachines/ubuntu5"
)
ARC = (
    "/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg"
    "/providers/Microsoft.HybridCompute/machines/onprem-sql-01"
)


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        # As Sentinel's entities API returns a Defender for Cloud host: no hostName, the ARM
        # id twice (shape of ibmresilient/resilient-community-apps' captured response).
        ({"azureID": UBUNTU5, "friendlyName": UBUNTU5}, ("ubuntu5",)),
        ({"friendlyName": UBUNTU5}, ("ubuntu5",)),
        ({"azureID": ARC, "friendlyName": ARC}, ("onprem-sql-01",)),
        ({"azureID": ARC, "hostName": "SQL01", "dnsDomain": "corp.local"},
         ("SQL01.corp.local", "SQL01", "onprem-sql-01")),
        # Not a machine: the ARM id is no host name, and nothing else names one.
        ({"friendlyName": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app"},
         ()),
    ],
)  # fmt: skip
def test_host_known_by_its_arm_id_is_searched_by_machine_name(
    props: dict[str, Any], expected: tuple[str, ...]
) -> None:
    result = entity_from_payload(ent("Host", **props))
    if expected:
        assert result == Entity(EntityKind.HOST, expected[0], expected)
    else:
        assert isinstance(result, SkippedEntity)
        assert result.reason.startswith("no hostName, netBiosName, device id or azureID")


# --- the host a process or file lives on (issue 12) ----------------------------------------


def test_a_process_and_its_image_are_scoped_to_the_host_the_payload_names() -> None:
    host = {"id": "h1", "kind": "Host", "properties": {"hostName": "WS-7", "dnsDomain": "c.com"}}
    image = {
        "id": "f1",
        "kind": "File",
        "properties": {"fileName": "powershell.exe", "directory": "C:\\Windows\\System32"},
    }
    process = {
        "id": "p1",
        "kind": "Process",
        "properties": {"commandLine": "powershell -enc AAAA", "imageFileEntityId": "f1",
                       "hostEntityId": "h1"},
    }  # fmt: skip
    dropped = {
        "id": "f2",
        "kind": "File",
        "properties": {"fileName": "x.exe", "directory": "C:\\Users\\Public", "hostEntityId": "h1"},
    }
    loose = {"id": "f3", "kind": "File", "properties": {"fileName": "y.exe"}}
    found, _ = entities_from_payload([host, image, process, dropped, loose])
    scopes = {e.value: e.scope for e in found}
    assert scopes == {
        "WS-7.c.com": (),
        "powershell -enc AAAA": ("WS-7.c.com", "WS-7"),
        # the image runs where its process runs; a file with a host lives there
        "C:\\Windows\\System32\\powershell.exe": ("WS-7.c.com", "WS-7"),
        "C:\\Users\\Public\\x.exe": ("WS-7.c.com", "WS-7"),
        "y.exe": (),
    }

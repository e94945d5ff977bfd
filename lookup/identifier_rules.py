r"""Identifier derivations for the entity kinds whose search terms are not plain properties.

:mod:`lookup.entity_kinds` names, per kind, either the properties read as they are or one
of the rules here (``rule="host"``). Each rule yields candidate identifiers, most specific
first; :func:`lookup.entities.clean_identifiers` strips, dedupes and drops short ones.

* **account**: UPN = coalesce(userPrincipalName, accountName when it is a full UPN,
  accountName + "@" + upnSuffix); ``NTDOMAIN\name``, or ``HOST\name`` for a local account
  of a known host; SID, AAD object id, objectGuid, PUID; the bare name (accountName without
  its domain part, or the UPN prefix), so payloads from before and after Sentinel's 2026
  account-naming change yield the same identifiers.
* **host**: FQDN (hostName + "." + dnsDomain, or hostName when it already is one), host
  name, NetBIOS name, the Defender device id (``additionalData.MdatpDeviceId``). A host
  known only by its ``azureID`` (Defender for Cloud alerts; Sentinel then writes the ARM
  id as friendlyName too) is searched by the machine name in the id:
  ``.../Microsoft.Compute/virtualMachines/NAME`` or ``.../Microsoft.HybridCompute/machines/NAME``.
* **ip**: the address as sent, its canonical form, the IPv4 of an IPv4-mapped IPv6.
* **url**: the URL, the URL without its scheme (proxy logs drop it), its host name.
* **process**: what identifies the process, not its image: its command line; only a
  process without one is searched by its image file's full path (its File entity), and
  by the bare file name only when no directory is known. Every ``powershell.exe`` of the
  tenant is not the incident's process (issue 12).
* **file**: the full path (directory + file name); the bare file name only when the
  entity has no directory (a vendor's ``update.exe`` in ``Program Files`` is not the
  dropped ``C:\Users\Public\update.exe``).
* **registry_key**: ``HIVE\key`` in the long, short (``HKLM``) and kernel
  (``\REGISTRY\MACHINE``) spellings.
* **security_group**: SID, objectGuid, distinguished name and the CN it starts with.
* **iot_device**: device id, device name, MAC address, then the addresses of its Ip and
  Nic entities.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from lookup.entity_props import Props, RefIndex

Rule = Callable[[Props, RefIndex], Iterator[str | None]]

# A scheme-less URL that starts with a host name: "evil.example/path", "10.0.0.1:8080/x".
_SCHEMELESS_URL = re.compile(r"^[A-Za-z0-9.-]+(?:[/?#:]|$)")
# The machine name in the ARM id of an Azure VM or an Arc-enabled server.
_MACHINE_ARM_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"(?:Microsoft\.Compute/virtualMachines|Microsoft\.HybridCompute/machines)/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
_HIVES = {
    "HKEY_LOCAL_MACHINE": ("HKLM", "\\REGISTRY\\MACHINE"),
    "HKEY_USERS": ("HKU", "\\REGISTRY\\USER"),
    "HKEY_CURRENT_USER": ("HKCU", None),
    "HKEY_CLASSES_ROOT": ("HKCR", None),
    "HKEY_CURRENT_CONFIG": ("HKCC", None),
}


def has_alnum(text: str) -> bool:
    """Whether the text holds at least one letter or digit."""
    return any(ch.isalnum() for ch in text)


def machine_name(arm_id: str | None) -> str | None:
    """``NAME`` of a ``Microsoft.Compute/virtualMachines/NAME`` (or Arc machine) ARM id."""
    match = _MACHINE_ARM_ID.match((arm_id or "").strip())
    return match["name"] if match else None


def _split_account(text: str) -> tuple[str | None, str | None, str | None]:
    r"""``DOMAIN\name`` or ``name@suffix`` or ``name`` → (domain, name, upn)."""
    domain: str | None = None
    if "\\" in text:
        head, _, text = text.partition("\\")
        domain = head.strip() or None
        text = text.strip()
    if "@" in text:
        prefix = text.rpartition("@")[0].strip()
        return domain, prefix or None, text
    return domain, text or None, None


def account(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of an Account entity (see the module docstring)."""
    upn = props.text("userPrincipalName")
    account_name = props.text("accountName", "Name")
    suffix = props.text("upnSuffix")
    nt_domain = props.text("ntDomain")
    sid = props.text("sid")
    aad_user_id = props.text("aadUserId")
    object_guid = props.text("objectGuid")
    puid = props.text("puid")
    if not any((upn, account_name, sid, aad_user_id, object_guid, puid)):
        # Last resort, as Sentinel itself names such accounts: the friendly name.
        account_name = props.text("friendlyName")
    name: str | None = None
    if account_name:
        domain, name, name_upn = _split_account(account_name)
        nt_domain = nt_domain or domain
        upn = upn or name_upn
    # Windows logs write "-" for an absent domain; such a part must not build "-\name".
    nt_domain = nt_domain if nt_domain and has_alnum(nt_domain) else None
    suffix = suffix if suffix and has_alnum(suffix) else None
    if upn is None and name and suffix:
        upn = f"{name}@{suffix.lstrip('@')}"
    if name is None and upn and "@" in upn:
        name = upn.rpartition("@")[0] or None
    qualified: str | None = None
    if name and nt_domain:
        qualified = f"{nt_domain}\\{name}"
    elif name and upn is None:
        host = index.resolve(props.reference("hostEntityId", "Host"), "Host")
        host_name = host.text("hostName", "HostName") if host else None
        if host_name:
            qualified = f"{host_name.partition('.')[0]}\\{name}"
    yield from (upn, qualified, sid, aad_user_id, object_guid, puid, name)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def host(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of a Host entity (see the module docstring)."""
    host_name = props.text("hostName")
    dns_domain = props.text("dnsDomain")
    netbios = props.text("netBiosName")
    extra = props.sub("additionalData")
    device_id = extra.loose_text("MdatpDeviceId") if extra else None
    vm_name = machine_name(props.loose_text("azureID"))
    if not any((host_name, netbios, device_id, vm_name)):
        friendly = props.text("friendlyName")
        # Defender for Cloud hosts: friendlyName is the ARM id, never a host name.
        vm_name = machine_name(friendly)
        is_arm_id = (friendly or "").casefold().startswith("/subscriptions/")
        host_name = None if is_arm_id else friendly
    fqdn: str | None = None
    if host_name and "." in host_name.strip(".") and not _is_ip(host_name):
        fqdn = host_name.strip(".")
        host_name = fqdn.partition(".")[0]
    elif host_name and dns_domain and dns_domain.strip("."):
        fqdn = f"{host_name}.{dns_domain.strip('.')}"
    yield from (fqdn, host_name, netbios, device_id, vm_name)


def ip_forms(text: str) -> list[str] | None:
    """The address as sent, compressed, and the IPv4 of a mapped IPv6; None if not an IP."""
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    forms = [text, address.compressed]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        forms.append(str(address.ipv4_mapped))
    return forms


def ip(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of an Ip entity."""
    address = props.text("address") or props.text("friendlyName")
    if address:
        yield from ip_forms(address) or ()


def url(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of a Url entity."""
    text = props.text("url") or props.text("friendlyName")
    if not text:
        return
    yield text
    host_name: str | None = None
    try:
        if "://" in text:
            yield text.split("://", 1)[1].rstrip("/")
            host_name = urlsplit(text).hostname
        elif _SCHEMELESS_URL.match(text):
            host_name = urlsplit("//" + text).hostname
    except ValueError:
        host_name = None
    yield host_name


def _file_forms(file: Props | None) -> tuple[str | None, str | None]:
    if file is None:
        return None, None
    name = file.text("fileName", "Name")
    directory = file.text("directory", "Directory")
    if not name:
        return None, None
    if not directory:
        return None, name
    separator = "/" if "/" in directory and "\\" not in directory else "\\"
    if directory.endswith(("/", "\\")):
        return directory + name, name
    return f"{directory}{separator}{name}", name


def process(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of a Process entity: its command line, else its image's path or name."""
    command_line = props.text("commandLine")
    if command_line and has_alnum(command_line):
        yield command_line
        return
    image = index.resolve(props.reference("imageFileEntityId", "ImageFile"), "File")
    path, name = _file_forms(image)
    yield path or name


def file(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of a File entity: its full path, else its name."""
    path, name = _file_forms(props)
    if not name:
        name = props.text("friendlyName")
    yield path or name


def registry_key(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of a RegistryKey entity: the key path in its usual spellings."""
    hive = props.text("hive")
    key = props.text("key")
    if not key:
        yield props.text("friendlyName")
        return
    key = key.strip("\\")
    if not hive:
        yield key
        return
    hive = hive.strip("\\").upper()
    yield f"{hive}\\{key}"
    short, kernel = _HIVES.get(hive, (None, None))
    if short:
        yield f"{short}\\{key}"
    if kernel:
        yield f"{kernel}\\{key}"


def security_group(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of a SecurityGroup entity."""
    sid = props.text("sid")
    object_guid = props.text("objectGuid")
    dn = props.text("distinguishedName")
    name = None
    if dn and dn.upper().startswith("CN="):
        name = re.split(r"(?<!\\),", dn[3:], maxsplit=1)[0].replace("\\,", ",")
    if not any((sid, object_guid, dn)):
        name = props.text("friendlyName")
    yield from (sid, object_guid, dn, name)


def iot_device(props: Props, index: RefIndex) -> Iterator[str | None]:
    """Identifiers of an IoTDevice entity, with the addresses of its Ip and Nic entities."""
    yield from (props.text("deviceId"), props.text("deviceName"), props.text("macAddress"))
    address = index.resolve(props.reference("ipAddressEntityId", "IpAddress"), "Ip")
    if address is not None:
        yield from ip(address, index)
    for nic_id in props.texts("nicEntityIds"):
        nic = index.resolve(nic_id, "Nic")
        if nic is not None:
            yield from (nic.text("ipAddress"), nic.text("macAddress"))
    if not any((props.text("deviceId"), props.text("deviceName"))):
        yield props.text("friendlyName")


RULES: dict[str, Rule] = {
    "account": account,
    "host": host,
    "ip": ip,
    "url": url,
    "process": process,
    "file": file,
    "registry_key": registry_key,
    "security_group": security_group,
    "iot_device": iot_device,
}

#: Why an entity of a rule-based kind yielded no identifier (before "(or all shorter...)").
NOTHING_FOUND: dict[str, str] = {
    "account": "no userPrincipalName, accountName, sid, aadUserId or objectGuid",
    "host": "no hostName, netBiosName, device id or azureID",
    "ip": "no valid IPv4 or IPv6 address",
    "url": "no url",
    "process": "no command line and no resolvable image file",
    "file": "no fileName",
    "registry_key": "no key",
    "security_group": "no sid, objectGuid or distinguishedName",
    "iot_device": "no deviceId, deviceName or address",
}

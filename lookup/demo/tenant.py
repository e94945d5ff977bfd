"""Who is who in the demo: the tenant's ids, the victim, her workstation, the attacker."""

from __future__ import annotations

from datetime import UTC, datetime

DEFAULT_ALERT_TIME = datetime(2026, 11, 19, 14, 30, tzinfo=UTC)  # a Thursday afternoon
HISTORY_DAYS = 21
TENANT_ID = "8f2c1f55-3a0e-4c52-9a39-5b0c1f7e2d11"
WORKSPACE_ID = "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f"
SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555"

VICTIM_UPN = "adele.vance@contoso.com"
VICTIM_NAME = "adele.vance"
VICTIM_SID = "S-1-5-21-3623811015-3361044348-30300820-1104"
VICTIM_AAD_ID = "4f1c2b3a-9d8e-4c7b-a6f5-1e2d3c4b5a69"
VICTIM_HOST = "WS-ADELE"
VICTIM_HOST_FQDN = "WS-ADELE.contoso.com"
VICTIM_HOST_IP = "10.20.4.17"
#: Where the victim usually signs in and works from.
VICTIM_HOME_IP = "198.51.100.200"
ATTACKER_IP = "203.0.113.66"

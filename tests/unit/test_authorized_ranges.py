"""API server authorized ranges are judged by the address space they open, in the spec, in rule AKS-005 and in
the Azure Policy export alike: one table of lists through all three, and a property that only the union of the
ranges decides the verdict (shuffling, splitting a range into its halves or merging ranges changes nothing)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from components.spec import load_stack
from components.spec.checks import check_cluster
from components.spec.cluster import ClusterSpec
from fleet import cli
from fleet.policy.azure_policy import CONDITIONS, HALVES, MC, PARTIALLY_EXPRESSIBLE, export_initiative
from fleet.policy.config import CONFIG_DIR, load_config
from policies.baseline import BY_ID, ENVIRONMENTS, Context, Resource, evaluate, ip_ranges
from tests.conftest import STACKS_DIR
from tests.fakes import azure_policy

CLUSTER = "azure-native:containerservice:ManagedCluster"
RULE = BY_ID["AKS-005"]
RANGES_PATH = "apiServer.authorizedIpRanges"


# --- the three places ---------------------------------------------------------------------------------------


@cache
def _dev_spec() -> ClusterSpec:
    return load_stack(STACKS_DIR, "dev").spec


def spec_verdict(ranges: list[str]) -> set[str]:
    """The kinds of spec problem the ranges raise (the dev stack's public API server, these ranges)."""
    base = _dev_spec()
    spec = base.model_copy(update={"api_server": base.api_server.model_copy(update={"authorized_ip_ranges": ranges})})
    kinds = set()
    for path, message in check_cluster(spec):
        if not path.startswith(RANGES_PATH):
            continue
        kind = next((k for k, marker in _SPEC_KINDS.items() if marker in message), None)
        assert kind, f"unclassified spec problem {path}: {message}"
        kinds.add(kind)
    return kinds


_SPEC_KINDS = {
    "whole": "(the whole internet)",
    "unreadable": "not a CIDR",
    "ipv6": "IPv4 only",
    "host-bits": "host bits are set",
    "too-many": "AKS accepts at most 200",
}


@cache
def _env_config(environment: str) -> dict[str, Any]:
    entry = dict(load_config(CONFIG_DIR / f"{environment}.json")[RULE.policy_name])
    return {k: v for k, v in entry.items() if k not in ("enforcementLevel", "environment")}


def _props(ranges: list[Any]) -> dict[str, Any]:
    return {"apiServerAccessProfile": {"enablePrivateCluster": False, "authorizedIPRanges": ranges}}


def rule_messages(ranges: list[Any], environment: str = "prod") -> list[str]:
    ctx = Context(environment=environment, config=_env_config(environment))
    return [f.message for f in evaluate(RULE, Resource(CLUSTER, "aks", _props(ranges)), ctx)]


def rule_verdict(ranges: list[Any], environment: str = "prod") -> set[str]:
    markers = {"whole": "the whole Internet", "wide": "more than a /", "unreadable": "space it opens is unknown"}
    kinds = set()
    for message in rule_messages(ranges, environment):
        kind = next((k for k, marker in markers.items() if marker in message), None)
        assert kind, f"unclassified finding: {message}"
        kinds.add(kind)
    return kinds


def azure_verdict(ranges: list[Any], environment: str = "prod") -> str:
    definition = export_initiative(environment)["definitions/aksfleet-aks-005.json"]
    return azure_policy.verdict(definition, "Microsoft.ContainerService/managedClusters", _props(ranges), MC)


# --- the table ----------------------------------------------------------------------------------------------

QUARTERS = ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]
EIGHTHS = [f"{i * 32}.0.0.0/3" for i in range(8)]
NONE: set[str] = set()

# (case, ranges, spec problems, rule findings, Azure Policy verdict or None where Azure's reading is undocumented)
TABLE: list[tuple[str, list[Any], set[str], set[str], str | None]] = [
    ("0.0.0.0/0", ["0.0.0.0/0"], {"whole"}, {"whole"}, "deny"),
    ("the Internet in halves", ["0.0.0.0/1", "128.0.0.0/1"], {"whole"}, {"whole"}, "deny"),
    ("the Internet in quarters", QUARTERS, {"whole"}, {"whole"}, "allow"),  # beyond Azure Policy: notExpressed
    ("the Internet in eighths, shuffled", EIGHTHS[::-1], {"whole"}, {"whole"}, "allow"),
    (
        "the Internet, overlapping pieces",
        ["0.0.0.0/1", "64.0.0.0/2", "128.0.0.0/1", "1.2.3.0/24"],
        {"whole"},
        {"whole"},
        "deny",
    ),
    ("half the Internet", ["0.0.0.0/1"], NONE, {"wide"}, "deny"),  # not the whole: policy, not spec
    ("::/0", ["::/0"], {"ipv6"}, {"whole"}, "deny"),
    ("IPv6 in halves", ["::/1", "8000::/1"], {"ipv6"}, {"whole"}, "deny"),
    ("all global unicast IPv6", ["2000::/3"], {"ipv6"}, {"wide"}, "allow"),
    ("one IPv6 /48", ["2a01:110::/48"], {"ipv6"}, NONE, "allow"),
    ("0.0.0.0/0 with a leading space", [" 0.0.0.0/0"], {"unreadable"}, {"unreadable"}, "deny"),
    ("0.0.0.0/0 with a trailing newline", ["0.0.0.0/0\n"], {"unreadable"}, {"unreadable"}, "deny"),
    ("0.0.0.0/0 with a zero-padded octet", ["00.0.0.0/0"], {"unreadable"}, {"unreadable"}, "deny"),
    ("0.0.0.0/0 with a zero-padded prefix", ["0.0.0.0/00"], {"unreadable"}, {"unreadable"}, "deny"),
    ("a netmask instead of a prefix", ["1.2.3.4/255.0.0.0"], {"unreadable"}, {"unreadable"}, None),
    ("not an address", ["office"], {"unreadable"}, {"unreadable"}, "deny"),
    ("two public /8s", ["11.0.0.0/8", "12.0.0.0/8"], NONE, {"wide"}, "allow"),
    ("one public /8, overlapping", ["11.0.0.0/8", "11.128.0.0/9", "11.1.2.0/24"], NONE, NONE, "allow"),
    ("private ranges only", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], NONE, NONE, "allow"),
    ("the shipped dev ranges", ["203.0.113.0/24", "198.51.100.16/28"], NONE, NONE, "allow"),
    ("one /32", ["20.30.40.50/32"], NONE, NONE, "allow"),
    ("one bare address", ["20.30.40.50"], NONE, NONE, "allow"),
    ("AKS's 'outbound IP only' value", ["0.0.0.0/32"], NONE, NONE, "allow"),
    ("host bits set", ["137.117.106.90/29"], {"host-bits"}, NONE, "allow"),
    ("201 ranges", [f"20.0.{i}.0/24" for i in range(201)], {"too-many"}, NONE, "allow"),
]


@pytest.mark.parametrize(("case", "ranges", "spec", "rule", "azure"), TABLE, ids=[row[0] for row in TABLE])
def test_table_through_spec_rule_and_azure_policy(
    case: str, ranges: list[str], spec: set[str], rule: set[str], azure: str | None
) -> None:
    assert spec_verdict(ranges) == spec
    for environment in ENVIRONMENTS:
        assert rule_verdict(ranges, environment) == rule, environment
        if azure is not None:
            assert azure_verdict(ranges, environment) == azure, environment
    # Whatever Azure Policy denies, the rule blocks too: the export is weaker than the rule, never stricter.
    if azure == "deny":
        assert rule


def test_the_rule_blocks_in_every_environment() -> None:
    assert {RULE.enforcement_for(environment) for environment in ENVIRONMENTS} == {"mandatory"}


def test_rule_messages_name_what_the_union_opens() -> None:
    (whole,) = rule_messages(QUARTERS)
    assert whole == (
        "authorizedIPRanges: together they open the API server to every public IPv4 address: the whole Internet; "
        "accepted: the ranges you administer from"
    )
    (wide,) = rule_messages(["11.0.0.0/8", "12.0.0.0/8"])
    assert "open 33,554,432 public IPv4 addresses, more than a /8 (16,777,216)" in wide
    (bad,) = rule_messages([42])
    assert bad.startswith("authorizedIPRanges[0] '42': expected a CIDR string, found int")


def test_threshold_is_a_per_environment_setting() -> None:
    two_eights = Resource(CLUSTER, "aks", _props(["11.0.0.0/8", "12.0.0.0/8"]))
    assert evaluate(RULE, two_eights, Context("dev", config={"widestIPv4Prefix": 7})) == []
    assert evaluate(RULE, two_eights, Context("dev", config={"widestIPv4Prefix": 8}))


def test_bad_threshold_settings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"aks-005": {"widestIPv4Prefix": 0, "widestIPv6Prefix": 129}}))
    result = CliRunner().invoke(cli.app, ["plan", "-s", "dev", "--policy-config", str(path)])
    assert result.exit_code == 2, result.output
    assert "aks-005.widestIPv4Prefix: 0 is out of range; accepted: 2..32" in result.stderr
    assert "aks-005.widestIPv6Prefix: 129 is out of range; accepted: 2..128" in result.stderr


def test_azure_policy_halves_are_blocked_by_the_rule_at_any_setting() -> None:
    """The export denies a range holding a half; the rule must block that range at its laxest setting."""
    schema = RULE.config_schema
    laxest = {"widestIPv4Prefix": schema["widestIPv4Prefix"]["minimum"], "widestIPv6Prefix": 2}
    assert laxest["widestIPv6Prefix"] == schema["widestIPv6Prefix"]["minimum"]
    for half in (*HALVES["IPv4"], *HALVES["IPv6"]):
        resource = Resource(CLUSTER, "aks", _props([half]))
        assert evaluate(RULE, resource, Context(config=laxest)), half
        assert azure_verdict([half]) == "deny", half


def test_the_export_says_what_it_cannot_express() -> None:
    files = export_initiative("prod")
    props = files["definitions/aksfleet-aks-005.json"]["properties"]
    assert (
        "only in part" in props["description"] and props["metadata"]["notExpressed"] == PARTIALLY_EXPRESSIBLE["AKS-005"]
    )
    assert "four /2s" in PARTIALLY_EXPRESSIBLE["AKS-005"]
    metadata = files["initiative.json"]["properties"]["metadata"]
    assert metadata["partiallyExported.AKS-005"] == PARTIALLY_EXPRESSIBLE["AKS-005"]
    assert set(PARTIALLY_EXPRESSIBLE) <= set(CONDITIONS)


def test_the_export_does_not_deny_the_shipped_dev_cluster() -> None:
    ranges = list(_dev_spec().api_server.authorized_ip_ranges)
    assert ranges and azure_verdict(ranges) == "allow" and rule_messages(ranges) == []


def test_a_half_of_the_internet_blocks_fleet_plan(derived_stack: Callable[..., Path]) -> None:
    """Spec-valid (not the whole Internet) but wider than the policy allows: `fleet plan` exits 1 on AKS-005."""
    stacks = derived_stack("dev", lambda c: c["apiServer"].update(authorizedIpRanges=["0.0.0.0/1"]))
    result = CliRunner().invoke(cli.app, ["plan", "-s", "test", "--stacks-dir", str(stacks)], env={"COLUMNS": "250"})
    assert result.exit_code == 1, result.output
    assert "AKS-005" in result.output and "more than a /8" in result.output


def test_the_whole_internet_in_pieces_stops_fleet_plan(derived_stack: Callable[..., Path]) -> None:
    stacks = derived_stack("dev", lambda c: c["apiServer"].update(authorizedIpRanges=QUARTERS))
    result = CliRunner().invoke(cli.app, ["plan", "-s", "test", "--stacks-dir", str(stacks)])
    assert result.exit_code == 2, result.output
    assert "Pulumi.test.yaml: aksfleet:cluster.apiServer.authorizedIpRanges: together these ranges open" in (
        result.stderr
    )
    assert "Traceback" not in result.output


# --- the property: only the union decides -------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn, versions: tuple[int, ...] = (4, 6)) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    version = draw(st.sampled_from(versions))
    bits = 32 if version == 4 else 128
    # Short prefixes are where whole-Internet and threshold verdicts live; weight them.
    prefix = draw(st.one_of(st.integers(0, 12), st.integers(0, bits)))
    address = draw(st.integers(0, 2**bits - 1)) >> (bits - prefix) << (bits - prefix)
    return ipaddress.ip_network((address, prefix))  # type: ignore[arg-type]


def _split_one(nets: list[Any], index: int) -> list[Any]:
    target = nets[index % len(nets)]
    if target.prefixlen == target.max_prefixlen:
        return nets
    return [n for n in nets if n is not target] + list(target.subnets(prefixlen_diff=1))


def _variants(nets: list[Any], seed: int) -> list[list[Any]]:
    shuffled = sorted(nets, key=lambda n: hash((seed, str(n))))
    merged = [n for version in (4, 6) for n in ipaddress.collapse_addresses(x for x in nets if x.version == version)]
    return [shuffled, _split_one(nets, seed), merged, nets + nets[:1]]


@settings(max_examples=300, deadline=None)
@given(nets=st.lists(networks(), min_size=1, max_size=12), seed=st.integers(0, 1000))
def test_rule_and_export_judge_only_the_union(nets: list[Any], seed: int) -> None:
    expected = sorted(rule_messages([str(n) for n in nets]))
    for variant in _variants(nets, seed):
        assert sorted(rule_messages([str(n) for n in variant])) == expected, variant
    # The export is weaker than the rule: whatever it denies, the rule blocks.
    if azure_verdict([str(n) for n in nets]) == "deny":
        assert expected


@settings(max_examples=200, deadline=None)
@given(nets=st.lists(networks(versions=(4,)), min_size=1, max_size=12), seed=st.integers(0, 1000))
def test_spec_judges_only_the_union(nets: list[Any], seed: int) -> None:
    expected = spec_verdict([str(n) for n in nets])
    for variant in _variants(nets, seed):
        assert spec_verdict([str(n) for n in variant]) == expected, variant
    assert ("whole" in expected) == ("whole" in rule_verdict([str(n) for n in nets]))


def test_public_space_excludes_only_non_global_blocks() -> None:
    # Disjoint, so the measure subtracts each at most once; and the IPv4 Internet is 2^32 minus exactly these.
    for version, blocks in ip_ranges.NOT_PUBLIC.items():
        assert not [(a, b) for a in blocks for b in blocks if a is not b and a.overlaps(b)], version
    assert ip_ranges.whole_internet(4) == 2**32 - sum(b.num_addresses for b in ip_ranges.NOT_PUBLIC[4])
    assert ip_ranges.measure(["10.0.0.0/8", "11.0.0.0/8"]).public(4) == 2**24

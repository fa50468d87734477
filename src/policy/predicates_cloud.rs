//! Predicates for Azure and Google Cloud policies: port specifications
//! written as strings (`"22"`, `"1000-2000"`, `"*"`), durations written as
//! seconds (`"7776000s"`), IPv4 address ranges, the subject's resource
//! type, and whether the configuration hands a resource to its callers.

use super::condition::{Outcome, Tri, Witness, witness_for};
use super::path::{Resolution, resolve};
use super::predicates::{Predicate, PredicateCx, only_keys, string_list};
use crate::terraform::eval::functions::{IpRange, rfc1918_block};
use crate::value::{Val, ValKind};

pub const PORT_SPEC_INCLUDES: Predicate = Predicate {
    name: "port-spec-includes",
    description: "A port specification at `path` (`\"22\"`, `\"1000-2000\"`, `\"*\"`, a number, or a list of these, as Azure security rules and Google firewall rules write them) includes one of `ports` (or of `port-set`); without either, whether it includes every port.",
    arguments: &[
        (
            "ports",
            "port numbers, e.g. [22, 3389]; omit to ask for every port (`*` or `0-65535`)",
        ),
        super::predicates::PORT_SET_ARGUMENT,
    ],
    needs_path: true,
    regex_argument: None,
    validate: validate_port_spec,
    eval: port_spec_includes,
};

pub const DURATION_EXCEEDS: Predicate = Predicate {
    name: "duration-exceeds",
    description: "The duration at `path`, written in seconds as Google APIs do (`\"7776000s\"`, `\"86400.5s\"`) or in ISO 8601 as AWS does (`\"PT2H\"`, `\"PT1H30M\"`; years and months are not read), is longer than `seconds`. An absent value is false.",
    arguments: &[("seconds", "the longest acceptable duration, in seconds")],
    needs_path: true,
    regex_argument: None,
    validate: validate_duration,
    eval: duration_exceeds,
};

/// A script that may be held base64-encoded (EC2 user data).
pub const TEXT_MATCHES: Predicate = Predicate {
    name: "text-matches",
    description: "The text at `path`, or the UTF-8 text it holds base64-encoded (`user_data_base64`, a launch template's `user_data`), matches the regular expression `matches`.",
    arguments: &[(
        "matches",
        "the regular expression the text (or its decoded form) matches to fail",
    )],
    needs_path: true,
    regex_argument: Some("matches"),
    validate: validate_text_matches,
    eval: text_matches,
};

pub const IP_RANGE_ADDRESSES: Predicate = Predicate {
    name: "ip-range-addresses",
    description: "The subject's IPv4 range, `start_ip_address` to `end_ip_address` (or `start_ip` to `end_ip`, as Azure firewall rules write it), holds at least `at-least` addresses. Reported at the start address; an unknown bound is inconclusive, a bound that is not an IPv4 address is false, and so is a range lying wholly inside one private (RFC 1918) block, which admits only the owner's own networks.",
    arguments: &[("at-least", "the smallest number of addresses that fails, e.g. 256")],
    needs_path: false,
    regex_argument: None,
    validate: validate_ip_range,
    eval: ip_range_addresses,
};

/// A resource whose identity leaves the configuration: a caller may attach
/// what this configuration does not (a WAF web ACL to a load balancer).
pub const HANDED_TO_CALLERS: Predicate = Predicate {
    name: "handed-to-callers",
    description: "A value of the subject (its ARN, its id, the whole resource) is handed out of the configuration: an `output` of the root module or an argument of a `module` call refers to it, so what the caller or the called module does with it (attaching a WAF web ACL, a policy) cannot be seen here. A reference lost in an expression Palisade does not follow is not seen.",
    arguments: &[],
    needs_path: false,
    regex_argument: None,
    validate: super::predicates_aws::no_arguments,
    eval: handed_to_callers,
};

pub const CIDR_RANGE: Predicate = Predicate {
    name: "cidr-range",
    description: "An address range at `path` (CIDR notation or one address, a string or a list of them) whose prefix is at most `max-prefix` bits long, and with `private = true` that lies wholly in the RFC 1918 private IPv4 space. Reported at the range; an unknown range is inconclusive, text that is not an address range (a service tag, `*`) is false.",
    arguments: &[
        (
            "max-prefix",
            "the longest prefix that fails, e.g. 15 for ranges wider than a /16",
        ),
        (
            "private",
            "`true` to ask only about RFC 1918 ranges (10/8, 172.16/12, 192.168/16)",
        ),
    ],
    needs_path: true,
    regex_argument: None,
    validate: validate_cidr_range,
    eval: cidr_range,
};

/// For `refers-to` and `related`, which look at data sources too: the other
/// subject is a `resource` the configuration manages, not a data source.
pub const MANAGED_RESOURCE: Predicate = Predicate {
    name: "managed-resource",
    description: "The subject is a resource the configuration manages (a `resource` block), not a data source; in the `where` of `refers-to` or `related`, which look at both.",
    arguments: &[],
    needs_path: false,
    regex_argument: None,
    validate: super::predicates_aws::no_arguments,
    eval: managed_resource,
};

pub const ARGUMENTS_KNOWN: Predicate = Predicate {
    name: "arguments-known",
    description: "The block in focus (an element of `some`/`every`) sets no argument other than `arguments`. One that sets another (a misspelt `source_security_groups_ids`) is inconclusive: Terraform rejects the configuration, and what was meant cannot be told. For blocks whose few arguments a policy reads by name, so that a missing one is not taken for a misspelt one.",
    arguments: &[(
        "arguments",
        "every argument the provider accepts in the block, e.g. [\"ec2_ssh_key\", \"source_security_group_ids\"]",
    )],
    needs_path: false,
    regex_argument: None,
    validate: validate_arguments_known,
    eval: arguments_known,
};

pub const RESOURCE_TYPE_IS: Predicate = Predicate {
    name: "resource-type-is",
    description: "The subject is of one of `types` (for policies that match several resource types whose provider defaults differ).",
    arguments: &[("types", "resource types, e.g. [\"azurerm_app_service\"]")],
    needs_path: false,
    regex_argument: None,
    validate: validate_types,
    eval: resource_type_is,
};

fn validate_port_spec(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["ports", "port-set"])?;
    super::predicates::validate_port_arguments(args, true)
}

fn validate_duration(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["seconds"])?;
    match args.get("seconds").and_then(|v| v.as_integer()) {
        Some(n) if n > 0 => Ok(()),
        _ => Err("`seconds` is required: a positive whole number".into()),
    }
}

fn validate_text_matches(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["matches"])?;
    match args.get("matches") {
        // Compiled with the condition (`regex_argument`).
        Some(toml::Value::String(_)) => Ok(()),
        _ => Err("`matches` is required: a regular expression".into()),
    }
}

fn validate_ip_range(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["at-least"])?;
    match args.get("at-least").and_then(|v| v.as_integer()) {
        Some(n) if n > 0 => Ok(()),
        _ => Err("`at-least` is required: a positive whole number".into()),
    }
}

fn validate_cidr_range(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["max-prefix", "private"])?;
    if args.get("private").is_some_and(|v| v.as_bool().is_none()) {
        return Err("`private` must be true or false".into());
    }
    match args.get("max-prefix").and_then(|v| v.as_integer()) {
        Some(n) if (0..=128).contains(&n) => Ok(()),
        _ => Err("`max-prefix` is required: a prefix length from 0 to 128".into()),
    }
}

/// Whether `args.key` is a non-empty list of strings.
fn non_empty_strings(args: &toml::Table, key: &str) -> bool {
    string_list(args, key).ok().flatten().is_some_and(|l| !l.is_empty())
}

fn validate_arguments_known(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["arguments"])?;
    if non_empty_strings(args, "arguments") {
        Ok(())
    } else {
        Err("`arguments` is required: a non-empty list of argument names".into())
    }
}

fn validate_types(args: &toml::Table) -> Result<(), String> {
    only_keys(args, &["types"])?;
    if non_empty_strings(args, "types") {
        Ok(())
    } else {
        Err("`types` is required: a non-empty list of resource types".into())
    }
}

/// An inclusive port range from one element of a port specification.
/// `None` when the text is not a port specification.
fn port_range(spec: &Val) -> Option<(u32, u32)> {
    let text = match &spec.kind {
        ValKind::String(s) => s.trim().to_string(),
        ValKind::Number(n) if *n >= 0.0 && n.fract() == 0.0 => return Some((*n as u32, *n as u32)),
        _ => return None,
    };
    if text == "*" {
        return Some((0, 65535));
    }
    match text.split_once('-') {
        Some((lo, hi)) => Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?)),
        None => text.parse().ok().map(|p| (p, p)),
    }
}

/// Each value reached, with lists flattened into their elements.
pub(super) fn each_value<'v>(r: &Resolution<'v>) -> Vec<(&'v Val, crate::source::Span, String)> {
    let mut out = Vec::new();
    for reached in &r.found {
        match &reached.val.kind {
            ValKind::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    out.push((v, reached.loc, format!("{}[{i}]", reached.path)));
                }
            }
            _ => out.push((reached.val, reached.loc, reached.path.clone())),
        }
    }
    out
}

fn unresolved(r: &Resolution) -> Option<Witness> {
    r.unknown.as_ref().map(|(span, path, why)| Witness {
        span: *span,
        path: path.clone(),
        value: Some(format!("unknown ({why})")),
        related: vec![],
    })
}

/// Decide over every value at the predicate's path: true when one value
/// satisfies `test`, unknown when none does but one is unknown.
fn any_value(p: &PredicateCx, test: impl Fn(&Val) -> bool) -> Outcome {
    let Some(path) = p.path else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let r = resolve(p.focus, path);
    let mut unknown = unresolved(&r);
    for (val, loc, at) in each_value(&r) {
        let loc = super::condition::element_loc(p.cx, val, loc);
        if val.is_unknown() {
            unknown.get_or_insert(witness_for(p.cx, loc, &at, Some(val)));
        } else if test(val) {
            return Outcome {
                truth: Tri::True,
                witness: Some(witness_for(p.cx, loc, &at, Some(val))),
            };
        }
    }
    Outcome {
        truth: if unknown.is_some() { Tri::Unknown } else { Tri::False },
        witness: unknown,
    }
}

fn port_spec_includes(p: &PredicateCx) -> Outcome {
    // Azure and GCP rules are judged on their ports alone.
    let ports = super::predicates::port_arguments(p.args, false);
    any_value(p, |v| {
        port_range(v).is_some_and(|(lo, hi)| {
            if ports.is_empty() {
                lo <= 1 && hi >= 65535
            } else {
                ports.iter().any(|port| (lo..=hi).contains(port))
            }
        })
    })
}

/// Seconds in a Google duration string (`"3600s"`, `"1.5s"`) or an ISO 8601
/// duration as AWS writes them (`"PT2H"`, `"PT1H30M"`, `"P1D"`).
fn duration_seconds(v: &Val) -> Option<f64> {
    match &v.kind {
        ValKind::String(s) => {
            let s = s.trim();
            match s.strip_prefix('P') {
                Some(iso) => iso_duration_seconds(iso),
                None => s.strip_suffix('s')?.parse().ok(),
            }
        }
        _ => None,
    }
}

/// Seconds in the part of an ISO 8601 duration after its `P`: days and
/// weeks, then `T` and hours, minutes, seconds. Years and months have no
/// fixed length, so a duration using them is not read.
fn iso_duration_seconds(iso: &str) -> Option<f64> {
    let (date, time) = match iso.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, t),
        Some(_) => return None,
        None => (iso, ""),
    };
    let mut total = 0.0;
    let mut read = false;
    for (part, units) in [
        (date, &[('W', 604_800.0), ('D', 86_400.0)][..]),
        (time, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)][..]),
    ] {
        let mut rest = part;
        let mut unit_at = 0;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
            let number: f64 = rest[..end].parse().ok()?;
            let designator = rest[end..].chars().next()?;
            // Designators come in order, each at most once.
            let position = units[unit_at..].iter().position(|(u, _)| *u == designator)?;
            total += number * units[unit_at + position].1;
            unit_at += position + 1;
            read = true;
            rest = &rest[end + 1..];
        }
    }
    read.then_some(total)
}

fn duration_exceeds(p: &PredicateCx) -> Outcome {
    let limit = p.args.get("seconds").and_then(|v| v.as_integer()).unwrap_or(i64::MAX) as f64;
    any_value(p, |v| duration_seconds(v).is_some_and(|secs| secs > limit))
}

fn text_matches(p: &PredicateCx) -> Outcome {
    let Some(re) = p.regex else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    any_value(p, |v| match &v.kind {
        ValKind::String(text) => {
            re.is_match(text)
                || crate::secrets::decode_base64(text.trim())
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .is_some_and(|decoded| re.is_match(&decoded))
        }
        _ => false,
    })
}

/// The first value at `name` under the focus, if any.
fn attribute<'v>(p: &PredicateCx<'_, 'v>, name: &str) -> Option<(&'v Val, crate::source::Span, String)> {
    let path = super::path::Path::parse(name).ok()?;
    let r = resolve(p.focus, &path);
    r.found.first().map(|f| (f.val, f.loc, f.path.clone()))
}

fn ip_range_addresses(p: &PredicateCx) -> Outcome {
    let at_least = p.args.get("at-least").and_then(|v| v.as_integer()).unwrap_or(i64::MAX);
    let bounds = [("start_ip_address", "end_ip_address"), ("start_ip", "end_ip")]
        .iter()
        .find_map(|(start, end)| Some((attribute(p, start)?, attribute(p, end)?)));
    let Some(((start, loc, at), (end, _, _))) = bounds else {
        return Outcome {
            truth: Tri::False,
            witness: None,
        };
    };
    let witness = Some(witness_for(p.cx, loc, &at, Some(start)));
    if start.is_unknown() || end.is_unknown() {
        return Outcome {
            truth: Tri::Unknown,
            witness,
        };
    }
    let address = |v: &Val| v.as_str()?.trim().parse::<core::net::Ipv4Addr>().ok().map(u32::from);
    let wide = match (address(start), address(end)) {
        (Some(a), Some(b)) => i64::from(a.abs_diff(b)) + 1 >= at_least && !within_one_private_block(a, b),
        _ => false,
    };
    Outcome {
        truth: Tri::from_bool(wide),
        witness: if wide { witness } else { None },
    }
}

/// Both ends of the range lie in the same RFC 1918 block (10/8, 172.16/12, 192.168/16), so every
/// address between them does too.
fn within_one_private_block(a: u32, b: u32) -> bool {
    rfc1918_block(a).is_some() && rfc1918_block(a) == rfc1918_block(b)
}

fn cidr_range(p: &PredicateCx) -> Outcome {
    let max_prefix = p.args.get("max-prefix").and_then(|v| v.as_integer()).unwrap_or(-1);
    let private = p.args.get("private").and_then(|v| v.as_bool()).unwrap_or(false);
    any_value(p, |v| {
        v.as_str()
            .and_then(IpRange::parse)
            .is_some_and(|range| i64::from(range.prefix()) <= max_prefix && (!private || range.is_private()))
    })
}

fn resource_type_is(p: &PredicateCx) -> Outcome {
    let kind = &*p.cx.subject.kind;
    let hit = p
        .args
        .get("types")
        .and_then(|v| v.as_array())
        .is_some_and(|a| a.iter().any(|t| t.as_str() == Some(kind)));
    Outcome {
        truth: Tri::from_bool(hit),
        witness: None,
    }
}

fn arguments_known(p: &PredicateCx) -> Outcome {
    let known: Vec<&str> = p
        .args
        .get("arguments")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
        .unwrap_or_default();
    // A block that is not a map (unknown content) is left to the other tests.
    let stray = p.focus.val.entries().and_then(|entries| {
        entries
            .iter()
            .find(|e| !matches!(e.value.kind, ValKind::Null) && !known.contains(&&*e.key))
    });
    match stray {
        None => Outcome {
            truth: Tri::True,
            witness: None,
        },
        Some(e) => {
            let path = if p.focus.path.is_empty() {
                e.key.to_string()
            } else {
                format!("{}.{}", p.focus.path, e.key)
            };
            Outcome {
                truth: Tri::Unknown,
                witness: Some(witness_for(p.cx, e.key_span.unwrap_or(p.focus.loc), &path, None)),
            }
        }
    }
}

fn managed_resource(p: &PredicateCx) -> Outcome {
    Outcome {
        truth: Tri::from_bool(&*p.cx.subject.class == "resource"),
        witness: None,
    }
}

fn handed_to_callers(p: &PredicateCx) -> Outcome {
    let subject = p.cx.subject;
    let set = p.cx.set;
    // Root outputs only: a called module's outputs are read by its caller,
    // which is in this scope and judged on its own.
    let outputs = set.select("output", &[]).filter(|o| !o.address.starts_with("module."));
    let handed = outputs
        .chain(set.select("module", &[]))
        .find(|holder| refers_anywhere(&holder.value, subject));
    Outcome {
        truth: Tri::from_bool(handed.is_some()),
        witness: handed.map(|holder| Witness {
            span: holder.header,
            path: holder.address.to_string(),
            value: None,
            related: vec![],
        }),
    }
}

/// Whether `v` or a value inside it was read from `subject` (any instance
/// of it: `aws_lb.this[0].arn`, `aws_lb.this[*].arn`), or from a module
/// call that holds it (`module.app`, whose outputs may carry it).
fn refers_anywhere(v: &Val, subject: &crate::subject::Subject) -> bool {
    let base = subject.base_address();
    let names = |r: &str| {
        r == &*subject.address
            || r == base
            || r.strip_prefix(base).is_some_and(|rest| rest.starts_with('['))
            || subject.is_inside_call(r)
    };
    if v.reference.as_deref().is_some_and(names) {
        return true;
    }
    match &v.kind {
        ValKind::List(items) => items.iter().any(|i| refers_anywhere(i, subject)),
        ValKind::Map(entries) => entries.iter().any(|e| refers_anywhere(&e.value, subject)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Val {
        Val::string(text, None)
    }

    #[test]
    fn port_specifications() {
        assert_eq!(port_range(&s("22")), Some((22, 22)));
        assert_eq!(port_range(&s("20-25")), Some((20, 25)));
        assert_eq!(port_range(&s("*")), Some((0, 65535)));
        assert_eq!(port_range(&Val::new(ValKind::Number(3389.0), None)), Some((3389, 3389)));
        assert_eq!(port_range(&s("ssh")), None);
        assert_eq!(port_range(&s("")), None);
    }

    #[test]
    fn private_blocks() {
        let ip = |text: &str| u32::from(text.parse::<core::net::Ipv4Addr>().unwrap());
        assert!(within_one_private_block(ip("10.2.3.4"), ip("10.3.4.5")));
        assert!(within_one_private_block(ip("172.16.0.0"), ip("172.31.255.255")));
        assert!(within_one_private_block(ip("192.168.0.0"), ip("192.168.255.255")));
        assert!(!within_one_private_block(ip("172.16.0.0"), ip("172.32.0.0")));
        assert!(!within_one_private_block(ip("10.0.0.0"), ip("11.0.0.0")));
        assert!(!within_one_private_block(ip("1.2.3.4"), ip("2.3.4.5")));
        assert!(!within_one_private_block(ip("10.0.0.0"), ip("192.168.0.1")));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_seconds(&s("7776000s")), Some(7_776_000.0));
        assert_eq!(duration_seconds(&s("1.5s")), Some(1.5));
        assert_eq!(duration_seconds(&s("90d")), None);
        assert_eq!(duration_seconds(&s("PT1H")), Some(3_600.0));
        assert_eq!(duration_seconds(&s("PT1H30M")), Some(5_400.0));
        assert_eq!(duration_seconds(&s("PT3600S")), Some(3_600.0));
        assert_eq!(duration_seconds(&s("P1DT2H")), Some(93_600.0));
        assert_eq!(duration_seconds(&s("PT12H")), Some(43_200.0));
        assert_eq!(duration_seconds(&s("P1M")), None);
        assert_eq!(duration_seconds(&s("PT")), None);
        assert_eq!(duration_seconds(&s("PT30M1H")), None);
        assert_eq!(duration_seconds(&s("P")), None);
    }
}

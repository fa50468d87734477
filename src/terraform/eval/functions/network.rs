//! IP network functions, for IPv4 and IPv6.

// Address types only, from `core`: nothing here can open a connection.
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Args, FnResult, fail};
use crate::value::{Unknown, Val};

pub(super) const NAMES: &[&str] = &["cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets"];

/// A network: its address as a number, prefix length and address width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    base: u128,
    len: u32,
    bits: u32,
}

impl Net {
    fn parse(text: &str) -> Result<Net, Unknown> {
        let Some((addr, len)) = text.split_once('/') else {
            return fail(format!("{text:?} is not in CIDR notation"));
        };
        let ip: IpAddr = addr
            .parse()
            .or_else(|_| fail(format!("{addr:?} is not an IP address")))?;
        let (value, bits) = match ip {
            IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let len: u32 = len
            .parse()
            .or_else(|_| fail(format!("bad prefix length in {text:?}")))?;
        if len > bits {
            return fail(format!("prefix length {len} is too long for {text:?}"));
        }
        Ok(Net {
            base: value & mask(len, bits),
            len,
            bits,
        })
    }

    fn host_bits(&self) -> u32 {
        self.bits - self.len
    }

    fn address(&self, value: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(value as u32).to_string()
        } else {
            Ipv6Addr::from(value).to_string()
        }
    }

    fn subnet(&self, newbits: i64, netnum: i64) -> Result<Net, Unknown> {
        if newbits < 0 || self.len + newbits as u32 > self.bits {
            return fail(format!("cannot add {newbits} bits to a /{} prefix", self.len));
        }
        let newlen = self.len + newbits as u32;
        if netnum < 0 || (newbits < 64 && netnum as u128 >= 1u128 << newbits) {
            return fail(format!("network number {netnum} does not fit in {newbits} bits"));
        }
        let shift = self.bits - newlen;
        let offset = if shift >= 128 { 0 } else { (netnum as u128) << shift };
        Ok(Net {
            base: self.base | offset,
            len: newlen,
            bits: self.bits,
        })
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address(self.base), self.len)
    }
}

/// An address range as a rule writes its source: CIDR notation
/// (`10.0.0.0/8`, `::/0`) or a single address (`10.1.2.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange(Net);

/// The IPv4 private blocks of RFC 1918 (10/8, 172.16/12, 192.168/16), as
/// (first address, prefix length).
const RFC1918: [(u32, u32); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];

/// The RFC 1918 block holding an IPv4 address, as (first address, prefix
/// length); `None` for a public address.
pub fn rfc1918_block(address: u32) -> Option<(u32, u32)> {
    RFC1918
        .into_iter()
        .find(|&(first, len)| address & (u32::MAX << (32 - len)) == first)
}

impl IpRange {
    /// `None` for text that is neither CIDR notation nor an address (a
    /// service tag such as `VirtualNetwork`, `*`, a bare `/0`).
    pub fn parse(text: &str) -> Option<IpRange> {
        let text = text.trim();
        if text.contains('/') {
            return Net::parse(text).ok().map(IpRange);
        }
        let bits = match text.parse::<IpAddr>().ok()? {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        Net::parse(&format!("{text}/{bits}")).ok().map(IpRange)
    }

    /// The prefix length: 0 for the whole address space, 32 (IPv4) or 128
    /// (IPv6) for one address.
    pub fn prefix(&self) -> u32 {
        self.0.len
    }

    /// Whether every address of the range is an RFC 1918 private IPv4 address.
    pub fn is_private(&self) -> bool {
        self.0.bits == 32 && rfc1918_block(self.0.base as u32).is_some_and(|(_, len)| self.0.len >= len)
    }
}

/// The mask of a prefix of `len` bits in an address of `bits` bits.
fn mask(len: u32, bits: u32) -> u128 {
    let all = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    if len == 0 { 0 } else { all & !(all >> len) }
}

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        "cidrsubnet" => a.arity(3, 3).and_then(|_| {
            let net = Net::parse(&a.string(0)?)?;
            a.str_val(net.subnet(a.int(1)?, a.int(2)?)?.to_string())
        }),
        "cidrhost" => a.arity(2, 2).and_then(|_| {
            let net = Net::parse(&a.string(0)?)?;
            let host = a.int(1)?;
            let size: u128 = if net.host_bits() >= 128 {
                u128::MAX
            } else {
                1u128 << net.host_bits()
            };
            let offset = if host >= 0 {
                host as u128
            } else {
                size.checked_sub(host.unsigned_abs() as u128).ok_or_else(out_of_range)?
            };
            if offset >= size {
                return Err(out_of_range());
            }
            a.str_val(net.address(net.base + offset))
        }),
        "cidrnetmask" => a.arity(1, 1).and_then(|_| {
            let net = Net::parse(&a.string(0)?)?;
            if net.bits != 32 {
                return fail("`cidrnetmask` only applies to IPv4");
            }
            a.str_val(Ipv4Addr::from(mask(net.len, 32) as u32).to_string())
        }),
        "cidrsubnets" => a.arity(1, usize::MAX).and_then(|_| {
            let net = Net::parse(&a.string(0)?)?;
            let end = net.base | (!mask(net.len, net.bits) & mask(net.bits, net.bits));
            let mut next = net.base;
            let mut out = Vec::new();
            for i in 1..a.len() {
                let newbits = a.int(i)?;
                if newbits < 1 || net.len + newbits as u32 > net.bits {
                    return fail(format!("`cidrsubnets`: cannot add {newbits} bits"));
                }
                let newlen = net.len + newbits as u32;
                let step: u128 = 1u128 << (net.bits - newlen);
                // Align the next free address to the new prefix.
                let start = next.div_ceil(step) * step;
                if start > end || start < net.base {
                    return fail("`cidrsubnets`: not enough address space");
                }
                out.push(Val::string(
                    Net {
                        base: start,
                        len: newlen,
                        bits: net.bits,
                    }
                    .to_string(),
                    a.span,
                ));
                next = start.saturating_add(step);
            }
            a.list_val(out)
        }),
        _ => return None,
    })
}

fn out_of_range() -> Unknown {
    Unknown::Error("host number out of range".into())
}

//! Numeric functions.

use super::{Args, FnResult, fail};

pub(super) const NAMES: &[&str] = &["abs", "ceil", "floor", "log", "max", "min", "parseint", "pow", "signum"];

pub(super) fn call(a: &Args) -> Option<FnResult> {
    Some(match a.name {
        "abs" => a.arity(1, 1).and_then(|_| a.num_val(a.number(0)?.abs())),
        "ceil" => a.arity(1, 1).and_then(|_| a.num_val(a.number(0)?.ceil())),
        "floor" => a.arity(1, 1).and_then(|_| a.num_val(a.number(0)?.floor())),
        "log" => a.arity(2, 2).and_then(|_| a.num_val(a.number(0)?.log(a.number(1)?))),
        "pow" => a.arity(2, 2).and_then(|_| a.num_val(a.number(0)?.powf(a.number(1)?))),
        "signum" => a.arity(1, 1).and_then(|_| {
            let n = a.number(0)?;
            a.num_val(if n == 0.0 { 0.0 } else { n.signum() })
        }),
        "max" | "min" => a.arity(1, usize::MAX).and_then(|_| {
            let mut best = a.number(0)?;
            for i in 1..a.len() {
                let n = a.number(i)?;
                best = if a.name == "max" { best.max(n) } else { best.min(n) };
            }
            a.num_val(best)
        }),
        "parseint" => a.arity(2, 2).and_then(|_| {
            let s = a.string(0)?;
            let base = a.int(1)?;
            if !(2..=62).contains(&base) {
                return fail("`parseint` base must be between 2 and 62");
            }
            let (neg, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.strip_prefix('+').unwrap_or(&s)),
            };
            if digits.is_empty() {
                return fail("`parseint` of an empty string");
            }
            let mut n: f64 = 0.0;
            for c in digits.chars() {
                let d = match c {
                    '0'..='9' => c as i64 - '0' as i64,
                    'a'..='z' => c as i64 - 'a' as i64 + 10,
                    'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
                    'A'..='Z' => c as i64 - 'A' as i64 + 36,
                    _ => base,
                };
                if d >= base {
                    return fail(format!("`parseint`: {s:?} is not a number in base {base}"));
                }
                n = n * base as f64 + d as f64;
            }
            a.num_val(if neg { -n } else { n })
        }),
        _ => return None,
    })
}

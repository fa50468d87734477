//! The packed form of TOML values the built-in policies are embedded in:
//! `build.rs` encodes each policy file with [`encode`] and
//! [`super::packed`] hands the result to serde, so start-up reads policies
//! without parsing TOML. Shared by the build script (`#[path]`) and the
//! decoder, so both agree on the layout.
//!
//! A value is a tag byte and then:
//! - a string: its length and its UTF-8 bytes;
//! - an integer or a float: its 64 bits;
//! - a boolean: nothing (the tag says which);
//! - an array or a table: the number of items, the length in bytes of what
//!   follows, then the items (a table's as key string, value).
//!
//! Numbers are written seven bits a byte, least significant first, in a
//! fixed number of bytes ([`LEN_BYTES`] for lengths, [`WORD_BYTES`] for 64
//! bits): every byte outside strings is ASCII, so the whole form is UTF-8
//! and is embedded as a `&str` (checked once, by the compiler), and a
//! string is a slice of it, with nothing to validate at run time.

pub const STRING: u8 = 0;
pub const INTEGER: u8 = 1;
pub const FLOAT: u8 = 2;
pub const FALSE: u8 = 3;
pub const TRUE: u8 = 4;
pub const ARRAY: u8 = 5;
pub const TABLE: u8 = 6;

/// Bytes of a length (35 bits).
pub const LEN_BYTES: usize = 5;
/// Bytes of an integer or a float (70 bits for 64).
pub const WORD_BYTES: usize = 10;

/// Append the packed form of `value` to `out`. Dates have no packed form:
/// policies hold none, and serde would read them back as strings.
pub fn encode(value: &toml::Value, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        toml::Value::String(s) => {
            out.push(STRING);
            put_str(s, out);
        }
        toml::Value::Integer(i) => {
            out.push(INTEGER);
            put_seven_bits(*i as u64, WORD_BYTES, out);
        }
        toml::Value::Float(f) => {
            out.push(FLOAT);
            put_seven_bits(f.to_bits(), WORD_BYTES, out);
        }
        toml::Value::Boolean(b) => out.push(if *b { TRUE } else { FALSE }),
        toml::Value::Datetime(d) => return Err(format!("the date {d} cannot be embedded")),
        toml::Value::Array(items) => {
            let at = open(ARRAY, items.len(), out);
            for item in items {
                encode(item, out)?;
            }
            close(at, out);
        }
        toml::Value::Table(table) => encode_table(table, out)?,
    }
    Ok(())
}

/// [`encode`] of a table.
pub fn encode_table(table: &toml::Table, out: &mut Vec<u8>) -> Result<(), String> {
    let at = open(TABLE, table.len(), out);
    for (key, value) in table {
        put_str(key, out);
        encode(value, out)?;
    }
    close(at, out);
    Ok(())
}

/// `n` in `bytes` bytes of seven bits, least significant first.
fn put_seven_bits(n: u64, bytes: usize, out: &mut Vec<u8>) {
    out.extend((0..bytes).map(|i| ((n >> (7 * i)) & 0x7f) as u8));
}

/// The number `bytes` bytes of seven bits hold (see [`put_seven_bits`]).
pub fn seven_bits(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0, |n, b| (n << 7) | u64::from(*b))
}

fn put_len(n: usize, out: &mut Vec<u8>) {
    assert!(n < 1 << (7 * LEN_BYTES), "policies are far smaller than 32 GB");
    put_seven_bits(n as u64, LEN_BYTES, out);
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    put_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

/// Start a container of `count` items; returns where its byte length goes.
fn open(tag: u8, count: usize, out: &mut Vec<u8>) -> usize {
    out.push(tag);
    put_len(count, out);
    let at = out.len();
    put_len(0, out);
    at
}

fn close(at: usize, out: &mut [u8]) {
    let mut len = Vec::with_capacity(LEN_BYTES);
    put_len(out.len() - at - LEN_BYTES, &mut len);
    out[at..at + LEN_BYTES].copy_from_slice(&len);
}

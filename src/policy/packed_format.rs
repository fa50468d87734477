//! The packed form of TOML values the built-in policies are embedded in:
//! `build.rs` encodes each policy file with [`encode`] and
//! [`super::packed`] hands the result to serde, so start-up reads policies
//! without parsing TOML. Shared by the build script (`#[path]`) and the
//! decoder, so both agree on the layout.
//!
//! A value is a tag byte and then:
//! - a string: its length (u32, little-endian) and its UTF-8 bytes;
//! - an integer or a float: 8 bytes, little-endian;
//! - a boolean: nothing (the tag says which);
//! - an array or a table: the number of items (u32), the length in bytes of
//!   what follows (u32), then the items (a table's as key string, value).

pub const STRING: u8 = 0;
pub const INTEGER: u8 = 1;
pub const FLOAT: u8 = 2;
pub const FALSE: u8 = 3;
pub const TRUE: u8 = 4;
pub const ARRAY: u8 = 5;
pub const TABLE: u8 = 6;

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
            out.extend_from_slice(&i.to_le_bytes());
        }
        toml::Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.to_le_bytes());
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

fn put_u32(n: usize, out: &mut Vec<u8>) {
    let n = u32::try_from(n).expect("policies are far smaller than 4 GB");
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    put_u32(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

/// Start a container of `count` items; returns where its byte length goes.
fn open(tag: u8, count: usize, out: &mut Vec<u8>) -> usize {
    out.push(tag);
    put_u32(count, out);
    let at = out.len();
    put_u32(0, out);
    at
}

fn close(at: usize, out: &mut [u8]) {
    let len = u32::try_from(out.len() - at - 4).expect("policies are far smaller than 4 GB");
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
}
